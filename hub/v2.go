package hub

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/hub/auth"
	"github.com/exporthub/exporthub/hub/blob"
	"github.com/exporthub/exporthub/hub/gateway"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/internal/deflate"
)

// handleV2Export serves GET /v2/export: it writes the filtered export as
// a zip with one entry (<project>.json or .ndjson) into the hub's bucket,
// streaming, and answers a presigned GET URL of it. The query is what the
// Ango SDK's ExportOptions sends (see ParseExportFilter); sendEmail,
// doNotNotify, includeOnlyKeyFrames and includeIdleBlurDurations are
// accepted and change nothing. type=issue exports the project's issues
// instead (<project>-issues.json, Ango's issue export shape), every one:
// the task filters are checked but do not apply to issues. An export of 0
// assets (or issues) for a run writes a WARNING line in the run's log.
func (s *Server) handleV2Export(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	p, err := s.LoadProject(ctx, q.Get("project"))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	s.noteRunActivity(r)
	format := aaf.FormatJSON // Ango's default
	if v := q.Get("format"); v != "" {
		if format, err = parseFormatParam(v); err != nil {
			s.WriteError(w, r, err)
			return
		}
	}
	typ, err := parseExportType(q.Get("type"))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	f, err := ParseExportFilter(q, p)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	base := exportFileName(p)
	if typ == exportIssues {
		base += "-issues"
	}
	key, err := blob.NewKey(p.OrgID, p.ID, blob.TypeExports, base+".zip", time.Now())
	if err != nil {
		s.WriteError(w, r, fmt.Errorf("make export key: %w", err))
		return
	}
	entry := base + ".json"
	if format == aaf.FormatNDJSON {
		entry = base + ".ndjson"
	}
	// Recorded first, so that the object never outlives its record: the
	// snapshot sweeper deletes it once its run ended (or its presigned URL
	// expired).
	var runID string
	if pr, ok := auth.FromContext(ctx); ok && pr.IsRunToken() {
		runID = pr.RunID
	}
	if err := s.store.SnapshotInsert(ctx, key.String(), runID, time.Now()); err != nil {
		s.WriteError(w, r, err)
		return
	}
	var n int64
	if typ == exportIssues {
		// The issues of the project: the task filters are checked above
		// but select tasks, not issues.
		n, err = writeZipEntry(ctx, s.blobs.Hub(), key.String(), entry, func(ctx context.Context, w io.Writer) (int64, error) {
			return s.writeIssueExport(r.WithContext(ctx), w, p.ID, format)
		})
	} else {
		n, err = s.WriteExportZip(ctx, s.blobs.Hub(), key.String(), entry, &f, p.ID, format)
	}
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	if n == 0 {
		s.warnEmptyExport(r, p, &f, typ)
	}
	u, _, err := s.blobs.Hub().SignedURL(ctx, key.String(), http.MethodGet, 0)
	if err != nil {
		s.WriteError(w, r, fmt.Errorf("presign export: %w", err))
		return
	}
	WriteData(w, hubapi.V2ExportResponse{ExportPath: u, NumTasks: n})
}

// The export types of /v2/export.
const (
	exportTasks  = "task"
	exportIssues = "issue"
)

// parseExportType reads the "type" parameter of /v2/export: task (the
// default) or issue.
func parseExportType(v string) (string, error) {
	switch v {
	case "", exportTasks:
		return exportTasks, nil
	case exportIssues:
		return exportIssues, nil
	}
	return "", badRequest("type %q is not one of task, issue", v)
}

// warnEmptyExport writes a WARNING line in the log of the run whose token
// asked for an export that selected nothing, so that the run does not
// look like a silent success.
func (s *Server) warnEmptyExport(r *http.Request, p *store.Project, f *ExportFilter, typ string) {
	pr, ok := auth.FromContext(r.Context())
	if !ok || !pr.IsRunToken() {
		return
	}
	msg := fmt.Sprintf("the export holds 0 assets: nothing in project %q matches %s", p.Name, f.Describe(p))
	if typ == exportIssues {
		msg = fmt.Sprintf("the issue export holds 0 issues: project %q has none", p.Name)
	}
	if err := s.Runs().PostLog(r.Context(), pr.RunID, &gateway.LogEvent{Level: "WARNING", Msg: msg, Session: pr.RunID}); err != nil {
		s.log.WarnContext(r.Context(), "log empty export", slog.String(logKeyRunID, pr.RunID), slog.Any(logKeyError, err))
	}
}

// WriteExportZip streams the assets of project projectID that f selects,
// shaped as f says, as a zip with one entry named entry, into the object
// key of bucket b. Nothing is stored if any step fails. It returns the
// number of assets written.
func (s *Server) WriteExportZip(ctx context.Context, b *blob.Bucket, key, entry string, f *ExportFilter, projectID string, format aaf.Format) (int64, error) {
	lp := f.ListParams(projectID)
	return writeZipEntry(ctx, b, key, entry, func(ctx context.Context, w io.Writer) (int64, error) {
		return WriteExport(ctx, w, s.store, lp, format, f.Shape)
	})
}

// writeZipEntry streams a zip with one entry, whose content write writes
// (returning how many items it wrote), into the object key of bucket b.
// Nothing is stored if any step fails.
func writeZipEntry(ctx context.Context, b *blob.Bucket, key, entry string, write func(context.Context, io.Writer) (int64, error)) (int64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	var n int64
	go func() {
		zw := zip.NewWriter(pw)
		zw.RegisterCompressor(zip.Deflate, exportCompressor)
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: entry, Method: zip.Deflate, Modified: time.Now().UTC()})
		if err == nil {
			n, err = writePipelined(ctx, fw, write)
		}
		if err == nil {
			err = zw.Close()
		}
		pw.CloseWithError(err)
	}()
	_, err := b.Write(ctx, key, pr)
	pr.CloseWithError(err) // unblocks the writer goroutine when the bucket failed
	cancel()
	if err != nil {
		return 0, fmt.Errorf("write export zip: %w", err)
	}
	return n, nil
}

// exportCompressor deflates the entry of an export zip at the fastest
// level with klauspost's flate (internal/deflate): several times the
// speed of compress/flate's BestSpeed on NDJSON, for a zip of about the
// same size.
func exportCompressor(out io.Writer) (io.WriteCloser, error) {
	return deflate.NewCompressor(out, flate.BestSpeed)
}

// pipelineChunk is the size of the chunks handed from the producer of
// an export entry to its compressor (one in flight).
const pipelineChunk = 256 << 10

// writePipelined runs write on its own goroutine and copies what it
// writes to w in chunks, so that producing the content (the store scan)
// and compressing it run on two cores at once. It returns write's result,
// or the first error of either side.
func writePipelined(ctx context.Context, w io.Writer, write func(context.Context, io.Writer) (int64, error)) (int64, error) {
	pr, pw := io.Pipe()
	var n int64
	done := make(chan error, 1)
	go func() {
		var err error
		n, err = write(ctx, pw)
		pw.CloseWithError(err) // nil: the copy ends with io.EOF
		done <- err
	}()
	_, err := io.CopyBuffer(w, pr, make([]byte, pipelineChunk))
	pr.CloseWithError(err) // a failed copy unblocks write
	if werr := <-done; werr != nil {
		return n, werr
	}
	return n, err
}

// v2Project returns the project named by the "project" query parameter;
// a run token may omit it and gets its own project.
func (s *Server) v2Project(r *http.Request) (*store.Project, error) {
	id := r.URL.Query().Get("project")
	if id == "" {
		p := Principal(r)
		if !p.IsRunToken() {
			return nil, Errorf(http.StatusBadRequest, hubapi.CodeBadRequest, "query parameter project is required")
		}
		id = p.ProjectID
	}
	return s.LoadProject(r.Context(), id)
}

// v2Storage returns the storage named by the "storageId" query
// parameter, or nil for the hub's own bucket.
func (s *Server) v2Storage(r *http.Request) (*store.Storage, error) {
	id := r.URL.Query().Get("storageId")
	if id == "" {
		return nil, nil
	}
	return s.store.StorageGet(r.Context(), Principal(r).OrgID, id)
}

// v2Type reads the "type" query parameter; absent means exports.
func v2Type(r *http.Request) (blob.Type, error) {
	v := r.URL.Query().Get("type")
	if v == "" {
		return blob.TypeExports, nil
	}
	t, err := blob.ParseType(v)
	if err != nil {
		return "", Errorf(http.StatusBadRequest, hubapi.CodeBadRequest, "query parameter type %q is not one of exports, assets, brushes, medicalBrushes, instructions", v)
	}
	return t, nil
}

// handleV2UploadURL serves GET /v2/getUploadUrl: a presigned PUT URL for
// a new object in the project (in an organization storage with
// storageId).
func (s *Server) handleV2UploadURL(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	name := r.URL.Query().Get("name")
	if name == "" {
		s.WriteError(w, r, Errorf(http.StatusBadRequest, hubapi.CodeBadRequest, "query parameter name is required"))
		return
	}
	typ, err := v2Type(r)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	p, err := s.v2Project(r)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	st, err := s.v2Storage(r)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	params := &blob.UploadURLParams{OrgID: p.OrgID, ProjectID: p.ID, Type: typ, Name: name, Storage: st}
	if pr := Principal(r); pr.IsRunToken() {
		params.RunID = pr.RunID // the upload dies with the run and only it may name the file
	}
	res, err := s.blobs.UploadURL(ctx, params)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	WriteData(w, hubapi.V2UploadURLResponse{UploadURL: res.URL})
}

// handleV2SignedURL serves GET /v2/getSignedUrl: a presigned GET URL for
// an object of the caller's organization named by its upload URL, bare
// URL or key.
func (s *Server) handleV2SignedURL(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	name := q.Get("name")
	if name == "" {
		s.WriteError(w, r, Errorf(http.StatusBadRequest, hubapi.CodeBadRequest, "query parameter name is required"))
		return
	}
	pr := Principal(r)
	params := &blob.DownloadURLParams{OrgID: pr.OrgID, Name: name}
	if q.Get("project") != "" || pr.IsRunToken() {
		p, err := s.v2Project(r)
		if err != nil {
			s.WriteError(w, r, err)
			return
		}
		params.ProjectID = p.ID
	}
	if q.Get("type") != "" {
		if _, err := v2Type(r); err != nil {
			s.WriteError(w, r, err)
			return
		}
	}
	st, err := s.v2Storage(r)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	params.Storage = st
	res, err := s.blobs.DownloadURL(ctx, params)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	WriteData(w, hubapi.V2SignedURLResponse{SignedURL: res.URL})
}

// NewV2Storage converts a storage to its /v2 form (no credentials).
func NewV2Storage(st *store.Storage) hubapi.V2Storage {
	return hubapi.V2Storage{ID: st.ID, Name: st.Name, Provider: st.Provider, Bucket: st.Bucket, Region: st.Region,
		Endpoint: st.Endpoint, Organization: st.OrgID, CreatedAt: st.CreatedAt}
}

// handleV2Storages serves GET /v2/storages[?_id=]: the organization's
// storages without credentials.
func (s *Server) handleV2Storages(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	orgID := Principal(r).OrgID
	out := hubapi.V2StoragesResponse{Storages: []hubapi.V2Storage{}}
	if id := r.URL.Query().Get("_id"); id != "" {
		st, err := s.store.StorageGet(ctx, orgID, id)
		if err != nil {
			s.WriteError(w, r, err)
			return
		}
		out.Storages = append(out.Storages, NewV2Storage(st))
		WriteData(w, out)
		return
	}
	sts, err := s.store.StorageList(ctx, orgID)
	if err != nil {
		s.WriteError(w, r, fmt.Errorf("list storages: %w", err))
		return
	}
	for _, st := range sts {
		out.Storages = append(out.Storages, NewV2Storage(st))
	}
	WriteData(w, out)
}

// handleV2Project serves GET /v2/project/{id}.
func (s *Server) handleV2Project(w http.ResponseWriter, r *http.Request) {
	p, err := s.LoadProject(r.Context(), r.PathValue("id"))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	out, err := NewV2Project(p)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	WriteData(w, hubapi.V2ProjectResponse{Project: *out})
}

// NewV2Project returns a project as /v2/project shows it, as Ango does:
// the workflow's stages with their types and positions, the fixed stages
// included, and a category schema that always has tools, classifications
// and relations.
func NewV2Project(p *store.Project) (*hubapi.V2Project, error) {
	schema, err := v2CategorySchema(p.CategorySchema)
	if err != nil {
		return nil, fmt.Errorf("project %s category schema: %w", p.ID, err)
	}
	out := &hubapi.V2Project{ID: p.ID, Name: p.Name, Description: p.Description, Organization: p.OrgID, Batches: []hubapi.V2Batch{},
		Stages: store.NormalizeStages(p.Stages), CategorySchema: schema, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
	for _, b := range p.Batches {
		out.Batches = append(out.Batches, hubapi.V2Batch{ID: b.ID, Name: b.Name})
	}
	return out, nil
}

// v2CategorySchema returns a category schema with the keys tools,
// classifications and relations (empty lists when missing) and its other
// keys as stored.
func v2CategorySchema(raw json.RawMessage) (json.RawMessage, error) {
	obj := map[string]json.RawMessage{}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &obj); err != nil {
			return nil, err
		}
	}
	missing := false
	for _, k := range []string{"tools", "classifications", "relations"} {
		if v, ok := obj[k]; !ok || string(v) == "null" {
			missing = true
		}
	}
	if !missing {
		return raw, nil
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for _, k := range []string{"tools", "classifications", "relations"} {
		v, ok := obj[k]
		if !ok || string(v) == "null" {
			v = json.RawMessage("[]")
		}
		fmt.Fprintf(&b, "%q:%s,", k, v)
		delete(obj, k)
	}
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		kb, _ := json.Marshal(k) // a string always encodes
		fmt.Fprintf(&b, "%s:%s,", kb, obj[k])
	}
	out := b.Bytes()
	out[len(out)-1] = '}'
	return out, nil
}

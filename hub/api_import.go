package hub

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/internal/zipfirst"
)

// maxNewBatches bounds how many distinct unknown batch names (and stage
// ids) one import may add to a project.
const maxNewBatches = 1000

// errImportRejected ends the rows of an import whose input holds invalid
// AAF, so the store rolls the import back; importErrors has the details.
var errImportRejected = errors.New("import rejected: invalid AAF")

// importErrors collects the problems of a rejected import, up to max.
type importErrors struct {
	max       int
	list      []hubapi.ImportError
	first     *aaf.Error
	seen      int   // problems found, at most max+1
	truncated bool  // more problems than listed, or the input not read to its end
	cut       error // why the input could not be read to its end
}

// add records ae; the problem after the max-th only marks the list
// truncated.
func (e *importErrors) add(ae *aaf.Error) {
	e.seen++
	if e.first == nil {
		e.first = ae
	}
	if len(e.list) == e.max {
		e.truncated = true
		return
	}
	e.list = append(e.list, hubapi.ImportError{Index: ae.Index, ExternalID: ae.ExternalID, Line: ae.Line,
		Offset: ae.Offset, Path: ae.Path, ObjectID: ae.ObjectID, Message: ae.Msg})
}

// readRest reads the input on after the first problem, which rejected the
// import (the store has rolled it back, nothing is written), to list more
// problems. It stops at the problem after the max-th, at the end of the
// input and where the reader cannot go on.
func (e *importErrors) readRest(rd *aaf.Reader, body *readErrRecorder) {
	for !e.truncated && rd.Err() == nil {
		_, err := rd.Next()
		if err == nil {
			continue
		}
		if errors.Is(err, io.EOF) {
			return
		}
		var ae *aaf.Error
		if !errors.As(err, &ae) {
			// The body failed (too large, connection cut): what is
			// left is unknown. (The reader reports a failed body as its
			// read error, not as a problem of the truncated JSON.)
			e.truncated, e.cut = true, cmp.Or(body.err, err)
			return
		}
		e.add(ae)
	}
}

// response returns the body answering the rejected import.
func (e *importErrors) response() *hubapi.ImportFailResponse {
	msg := "invalid AAF, nothing was imported: " + e.first.Error()
	switch more := e.seen - 1; {
	case e.cut != nil && more > 0:
		msg += fmt.Sprintf(" (and %d more; the rest of the input was not checked: %v)", more, e.cut)
	case e.cut != nil:
		msg += fmt.Sprintf(" (the rest of the input was not checked: %v)", e.cut)
	case e.truncated:
		msg += fmt.Sprintf(" (and at least %d more)", more)
	case more > 0:
		msg += fmt.Sprintf(" (and %d more)", more)
	}
	return &hubapi.ImportFailResponse{Status: "fail", Message: msg, Code: hubapi.CodeInvalidAAF, Errors: e.list, Truncated: e.truncated}
}

// importTracker remembers the stages and batches an import references.
type importTracker struct {
	stages  map[string]string // stage id -> name
	order   []string          // stage ids in first-seen order
	batches map[string]bool
	border  []string
}

func (t *importTracker) see(a *aaf.Asset) error {
	id, name := importStage(a)
	if _, ok := t.stages[id]; !ok {
		if len(t.order) >= maxNewBatches {
			return Errorf(http.StatusBadRequest, hubapi.CodeInvalidAAF, "the import references more than %d distinct stages", maxNewBatches)
		}
		t.stages[id] = name
		t.order = append(t.order, id)
	}
	for _, b := range a.Batches {
		if !t.batches[b] {
			if len(t.border) >= maxNewBatches {
				return Errorf(http.StatusBadRequest, hubapi.CodeInvalidAAF, "the import references more than %d distinct batches", maxNewBatches)
			}
			t.batches[b] = true
			t.border = append(t.border, b)
		}
	}
	return nil
}

// handleProjectImport serves POST /api/projects/{id}/import: the body (a
// JSON array or NDJSON, or a zip whose first file is one: Ango's export
// download) is streamed through the AAF reader into one store
// transaction. Any invalid asset rejects the whole import: the first one
// ends the rows, so the store rolls back, then the rest of the body is
// read (outside the transaction, writing nothing) to answer 400
// invalid_aaf listing up to Config.MaxImportErrors problems with their
// locations. Stages and batches the assets reference but the project
// lacks are added to the project.
func (s *Server) handleProjectImport(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, err := s.LoadProject(ctx, r.PathValue("id"))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	mode := store.ImportMode(r.URL.Query().Get("mode"))
	switch mode {
	case "":
		mode = store.ImportAppend
	case store.ImportAppend, store.ImportUpsert:
	default:
		s.WriteError(w, r, Errorf(http.StatusBadRequest, hubapi.CodeBadRequest, "mode %q is not one of append, upsert", mode))
		return
	}
	in, cleanup, err := s.importBody(r)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	defer cleanup()
	start := time.Now()
	errs := &importErrors{max: s.cfg.MaxImportErrors}
	tr := &importTracker{stages: map[string]string{}, batches: map[string]bool{}}
	body := &readErrRecorder{r: in}
	// The assets are decoded and validated on every core; the results and
	// errors are the sequential reader's, in input order.
	rd := aaf.NewReader(body, aaf.WithRaw(), aaf.WithContinueOnInvalid(), aaf.WithWorkers(runtime.GOMAXPROCS(0)))
	defer rd.Close() // stops the workers of a reader abandoned mid-input
	rows := func(yield func(*store.Asset, error) bool) {
		for {
			a, err := rd.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			var ae *aaf.Error
			if errors.As(err, &ae) {
				// A problem of an asset read in full before the body
				// failed, if it did (the reader reports a failed body as
				// its read error, never as a problem of the truncated
				// JSON; the workers may have read ahead into the failure).
				// No row after the first problem: the store rolls back.
				errs.add(ae)
				yield(nil, errImportRejected)
				return
			}
			if err != nil && body.err != nil {
				// The body failed (too large, connection cut).
				yield(nil, fmt.Errorf("read import body: %w", body.err))
				return
			}
			if err != nil {
				yield(nil, fmt.Errorf("read import body: %w", err))
				return
			}
			if err := tr.see(a); err != nil {
				yield(nil, err)
				return
			}
			if !yield(assetRow(p.ID, a, start), nil) {
				return
			}
		}
	}
	res, err := s.store.AssetImport(ctx, &store.AssetImportParams{ProjectID: p.ID, Mode: mode, Rows: rows})
	if errors.Is(err, errImportRejected) {
		errs.readRest(rd, body)
		WriteJSON(w, http.StatusBadRequest, errs.response())
		return
	}
	if err != nil {
		if isConflict(err) {
			detail := conflictDetail(err, p.ID)
			msg := "nothing was imported: " + detail
			if strings.Contains(detail, ": externalId ") {
				msg += "; use mode=upsert to replace existing assets"
			}
			err = &Error{Status: http.StatusConflict, Code: hubapi.CodeConflict, Err: err, Message: msg}
		}
		s.WriteError(w, r, importZipError(err))
		return
	}
	out := hubapi.ImportResponse{Imported: res.Inserted + res.Updated, Inserted: res.Inserted, Updated: res.Updated}
	out.AddedStages, out.AddedBatches, err = s.addProjectStagesAndBatches(ctx, p, tr)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	s.log.InfoContext(ctx, "imported assets", slog.String(logKeyProjectID, p.ID), slog.Int(logKeyCount, out.Imported),
		slog.Duration(logKeyDuration, time.Since(start)))
	WriteJSON(w, http.StatusOK, out)
}

// importStage returns the stage id and name an asset is imported in: its
// task's, or store.DefaultStageID (Complete) for an asset without one
// (the legacy tasks/objects shape has none).
func importStage(a *aaf.Asset) (id, name string) {
	if a.Task != nil && a.Task.StageID != "" {
		return a.Task.StageID, a.Task.Stage
	}
	return store.DefaultStageID, store.DefaultStageID
}

// assetRow converts a read asset into a store row: its ids are the AAF's
// assetId and taskId (the first task's for a legacy asset; the store keeps
// or makes them when empty), and it is pre-labeled when its task holds
// annotations.
func assetRow(projectID string, a *aaf.Asset, now time.Time) *store.Asset {
	row := &store.Asset{ProjectID: projectID, ID: a.AssetID, ExternalID: a.ExternalID, Batches: a.Batches, UpdatedAt: now, Data: a.Raw()}
	row.StageID, _ = importStage(a)
	if a.Task != nil {
		if t, err := time.Parse(time.RFC3339Nano, a.Task.UpdatedAt); err == nil {
			row.UpdatedAt = t
		}
		row.TaskID = a.Task.TaskID
		row.PreLabeled = len(a.Task.Tools)+len(a.Task.Classifications)+len(a.Task.Relations) > 0
	}
	return row
}

// addProjectStagesAndBatches adds the stages and batches an import
// referenced and the project lacked. It re-reads the project so a
// concurrent change is not lost.
func (s *Server) addProjectStagesAndBatches(ctx context.Context, p *store.Project, tr *importTracker) ([]hubapi.StageJSON, []hubapi.BatchJSON, error) {
	fresh, err := s.store.ProjectGet(ctx, p.OrgID, p.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("reload project: %w", err)
	}
	haveStage := map[string]bool{}
	for _, st := range fresh.Stages {
		haveStage[st.ID] = true
	}
	haveBatch := map[string]bool{}
	for _, b := range fresh.Batches {
		haveBatch[b.Name] = true
	}
	var newStages []store.Stage
	for _, id := range tr.order {
		if !haveStage[id] && !slices.Contains(store.FixedStageIDs, id) {
			newStages = append(newStages, store.Stage{ID: id, Name: cmp.Or(tr.stages[id], id)})
		}
	}
	var addedStages []hubapi.StageJSON
	if len(newStages) > 0 {
		fresh.Stages = insertStages(fresh.Stages, newStages)
		for _, st := range fresh.Stages {
			if slices.ContainsFunc(newStages, func(n store.Stage) bool { return n.ID == st.ID }) {
				addedStages = append(addedStages, st)
			}
		}
	}
	var addedBatches []hubapi.BatchJSON
	for _, name := range tr.border {
		if !haveBatch[name] {
			b := store.Batch{ID: store.NewID(), Name: name}
			fresh.Batches = append(fresh.Batches, b)
			addedBatches = append(addedBatches, hubapi.BatchJSON(b))
		}
	}
	if len(addedStages) == 0 && len(addedBatches) == 0 {
		return nil, nil, nil
	}
	if err := s.store.ProjectUpdate(ctx, fresh); err != nil {
		return nil, nil, fmt.Errorf("add stages and batches to project: %w", err)
	}
	return addedStages, addedBatches, nil
}

// insertStages returns the normalized stages of a project with stages
// added by an import: before Complete, which stays the rightmost stage of
// the workflow.
func insertStages(stages, added []store.Stage) []store.Stage {
	stages = store.NormalizeStages(stages)
	i := slices.IndexFunc(stages, func(s store.Stage) bool { return s.ID == store.DefaultStageID })
	out := slices.Concat(stages[:i], added, stages[i:])
	out = store.NormalizeStages(out)
	right := 0.0
	for _, s := range out {
		if s.ID != store.DefaultStageID {
			right = max(right, s.Position.X)
		}
	}
	if c := &out[slices.IndexFunc(out, func(s store.Stage) bool { return s.ID == store.DefaultStageID })]; c.Position.X <= right {
		c.Position = &store.StagePosition{X: right + store.StageSpacing, Y: c.Position.Y}
	}
	return out
}

// conflictDetail returns the part of a store conflict error that tells the
// user which asset collided, without the store's wrapping.
func conflictDetail(err error, projectID string) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "import assets into project "+projectID+": ")
	msg = strings.TrimSuffix(msg, ": "+store.ErrConflict.Error())
	if msg == "" {
		return "an externalId is already in the project or twice in the input"
	}
	return msg
}

// readErrRecorder remembers the first error of r other than io.EOF.
type readErrRecorder struct {
	r   io.Reader
	err error
}

func (e *readErrRecorder) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}

// importBody returns what an import request holds: its body, or the first
// file of the zip it is (Ango's Export button hands out a zip whose first
// entry is the export). A zip is copied to a temporary file in the data
// directory (its directory is at its end), bounded like the body, and its
// file is decompressed as it is read, bounded by Config.MaxImportBytes
// too. cleanup removes the copy.
func (s *Server) importBody(r *http.Request) (body io.Reader, cleanup func(), err error) {
	f, err := zipfirst.Open(r.Body, &zipfirst.Options{TempDir: s.cfg.DataDir, MaxSize: s.cfg.MaxImportBytes,
		MaxZipSize: s.cfg.MaxImportBytes})
	if err != nil {
		return nil, nil, importZipError(err)
	}
	return f, func() { _ = f.Close() }, nil // only a temporary file to remove: nothing to report
}

// importZipError words the errors of reading an import's zip for the
// client; other errors pass unchanged.
func importZipError(err error) error {
	var fe *zipfirst.FormatError
	switch {
	case errors.Is(err, zipfirst.ErrNoFile):
		return &Error{Status: http.StatusBadRequest, Code: hubapi.CodeBadRequest, Err: err,
			Message: "the zip holds no file: want a zip whose first file is the JSON or NDJSON export"}
	case errors.As(err, &fe):
		return &Error{Status: http.StatusBadRequest, Code: hubapi.CodeBadRequest, Err: err,
			Message: strings.TrimPrefix(err.Error(), "zipfirst: ")}
	case errors.Is(err, zipfirst.ErrTooLarge):
		msg := err.Error()
		if i := strings.LastIndex(msg, "zipfirst: "); i >= 0 {
			msg = msg[i+len("zipfirst: "):]
		}
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: hubapi.CodeBodyTooLarge, Err: err,
			Message: "nothing was imported: " + msg}
	}
	return err
}

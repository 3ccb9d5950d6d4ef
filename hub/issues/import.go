package issues

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/exporthub/exporthub/hub/auth"
	"github.com/exporthub/exporthub/hub/hubtype"
)

// ImportParams is the input of [Service.Import].
type ImportParams struct {
	ProjectID string
	// Mode says what an issue id already in the project does: ImportAppend
	// (the default) rejects the import, ImportUpsert replaces the issue.
	Mode hubtype.ImportMode
	// Body is an Ango issue export: a JSON array of issues, or one issue
	// object per line (NDJSON). It is read as it is imported.
	Body io.Reader
}

// ImportResult is the output of [Service.Import].
type ImportResult struct {
	Imported, Inserted, Updated int
}

// importedKeys are the keys of an exported issue the hub reads into its
// fields; the others are kept as they are (Issue.Extra), but for
// "project" and "organization", the exporting hub's ids, which are
// replaced by this hub's.
var importedKeys = []string{"_id", "content", "status", "errorCode", "errorType", "errorCodes", "createdBy", "createdAt",
	"updatedBy", "updatedAt", "labelTask", "stage", "stageId", "objectId", "position", "page", "pageEnd",
	"contentMentions", "comments", "asset", "project", "organization"}

// Import reads an Ango issue export into project p.ProjectID in one
// transaction: all of it or, at the first bad issue, nothing (a
// *hubtype.FieldError naming the issue's index, id and key). Issues
// keep their ids, times and authors; each is linked to the task of its
// labelTask in the project when the project has it. Any member of the
// organization may import; a run token may not.
func (s *Service) Import(ctx context.Context, pr *auth.Principal, p *ImportParams) (*ImportResult, error) {
	if pr.IsRunToken() {
		return nil, hubtype.Forbiddenf("a run token may not import issues")
	}
	proj, err := s.Project(ctx, pr, p.ProjectID)
	if err != nil {
		return nil, err
	}
	mode := p.Mode
	switch mode {
	case "":
		mode = hubtype.ImportAppend
	case hubtype.ImportAppend, hubtype.ImportUpsert:
	default:
		return nil, hubtype.Fieldf("mode", "mode %q is not one of append, upsert", mode)
	}
	rd, err := newIssueReader(p.Body)
	if err != nil {
		return nil, err
	}
	now := s.now()
	rows := func(yield func(*hubtype.Issue, error) bool) {
		for n := 0; ; n++ {
			obj, err := rd.next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				yield(nil, err)
				return
			}
			i, err := s.fromExport(ctx, proj, n, obj, now)
			if !yield(i, err) || err != nil {
				return
			}
		}
	}
	res, err := s.st.IssueImport(ctx, &hubtype.IssueImportParams{OrgID: proj.OrgID, ProjectID: proj.ID, Mode: mode, Rows: rows})
	var fe *hubtype.FieldError
	switch {
	case errors.As(err, &fe):
		return nil, fe
	case errors.Is(err, hubtype.ErrConflict):
		msg := strings.TrimPrefix(err.Error(), "import issues into project "+proj.ID+": ")
		msg = strings.TrimSuffix(msg, ": "+hubtype.ErrConflict.Error())
		if mode == hubtype.ImportAppend {
			msg += "; use mode=upsert to replace the project's issues of the same ids"
		}
		return nil, hubtype.Conflictf("nothing was imported: %s", msg)
	case err != nil:
		return nil, err
	}
	return &ImportResult{Imported: res.Inserted + res.Updated, Inserted: res.Inserted, Updated: res.Updated}, nil
}

// issueReader reads the issues of an export one at a time.
type issueReader struct {
	dec   *json.Decoder
	array bool
	done  bool
	// skipped counts the spaces before the first value.
	skipped int64
}

func newIssueReader(r io.Reader) (*issueReader, error) {
	br := bufio.NewReader(r)
	var skipped int64
	for {
		b, err := br.Peek(1)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, hubtype.Fieldf("body", "the issue export is empty, want a JSON array of issues")
			}
			return nil, fmt.Errorf("read issue export: %w", err)
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			_, _ = br.ReadByte() // peeked: cannot fail
			skipped++
			continue
		case '[', '{':
		default:
			return nil, hubtype.Fieldf("body", "the issue export does not start with [ or {: want a JSON array of issues or NDJSON")
		}
		rd := &issueReader{dec: json.NewDecoder(br), array: b[0] == '[', skipped: skipped}
		if rd.array {
			if _, err := rd.dec.Token(); err != nil {
				return nil, fmt.Errorf("read issue export: %w", err)
			}
		}
		return rd, nil
	}
}

// next returns the next issue object; io.EOF after the last.
func (r *issueReader) next() (map[string]json.RawMessage, error) {
	if r.done {
		return nil, io.EOF
	}
	if r.array && !r.dec.More() {
		r.done = true
		if _, err := r.dec.Token(); err != nil {
			return nil, r.syntax(err, r.offset())
		}
		if _, err := r.dec.Token(); !errors.Is(err, io.EOF) {
			return nil, hubtype.Fieldf("body", "the issue export holds more after its JSON array (byte %d)", r.offset())
		}
		return nil, io.EOF
	}
	start := r.offset()
	var obj map[string]json.RawMessage
	if err := r.dec.Decode(&obj); err != nil {
		if !r.array && errors.Is(err, io.EOF) {
			r.done = true
			return nil, io.EOF
		}
		return nil, r.syntax(err, start)
	}
	if obj == nil {
		return nil, hubtype.Fieldf("body", "the issue export holds null at byte %d where an issue object is expected", start)
	}
	return obj, nil
}

// offset returns the position in the input of the next value: past the
// spaces and the comma before it.
func (r *issueReader) offset() int64 {
	off := r.skipped + r.dec.InputOffset()
	rest := r.dec.Buffered()
	for {
		var b [1]byte
		if n, _ := rest.Read(b[:]); n == 0 || !bytes.ContainsRune([]byte(" \t\r\n,"), rune(b[0])) {
			return off
		}
		off++
	}
}

// syntax explains a decode error of the value that starts at byte start
// (after leading spaces); a failed body (too large, cut) passes
// unchanged.
func (r *issueReader) syntax(err error, start int64) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return hubtype.Fieldf("body", "the issue export is not valid JSON in the value at byte %d: %v", start, err)
	case errors.As(err, &te):
		return hubtype.Fieldf("body", "the issue export holds a %s at byte %d where an issue object is expected", te.Value, start)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return hubtype.Fieldf("body", "the issue export ends in the middle of the value at byte %d", start)
	}
	return fmt.Errorf("read issue export: %w", err)
}

// exported reads the keys of one exported issue, naming the issue in its
// errors: by its position from 1 in the messages (as the store does), from
// 0 in the JSON path of the field ("[0].createdAt").
type exported struct {
	n   int
	id  string
	obj map[string]json.RawMessage
}

func (e *exported) fail(key, format string, args ...any) error {
	where := fmt.Sprintf("issue %d", e.n+1)
	if e.id != "" {
		where += fmt.Sprintf(" (_id %q)", e.id)
	}
	return hubtype.Fieldf(fmt.Sprintf("[%d].%s", e.n, key), "%s: %s", where, fmt.Sprintf(format, args...))
}

// str returns a string key ("" when absent or null).
func (e *exported) str(key string) (string, error) {
	raw, ok := e.obj[key]
	if !ok || isNull(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", e.fail(key, "%s is not a string: %s", key, short(raw))
	}
	return s, nil
}

// list returns a key that must be a JSON list (nil when absent or null).
func (e *exported) list(key string) (json.RawMessage, error) {
	raw := e.obj[key]
	if isNull(raw) {
		return nil, nil
	}
	var l []json.RawMessage
	if err := json.Unmarshal(raw, &l); err != nil {
		return nil, e.fail(key, "%s is not a list: %s", key, short(raw))
	}
	return raw, nil
}

// when returns a time key (zero when absent or null).
func (e *exported) when(key string) (time.Time, error) {
	s, err := e.str(key)
	if err != nil || s == "" {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, e.fail(key, "%s %q is not an ISO 8601 time such as 2024-03-04T10:15:30.120Z", key, s)
	}
	return t, nil
}

// fromExport converts the n-th (from 0) issue of an export for project
// proj.
func (s *Service) fromExport(ctx context.Context, proj *hubtype.Project, n int, obj map[string]json.RawMessage, now time.Time) (*hubtype.Issue, error) {
	e := &exported{n: n, obj: obj}
	id, err := e.str("_id")
	if err != nil {
		return nil, err
	}
	if id == "" {
		return nil, e.fail("_id", "_id is required")
	}
	e.id = id
	i := &hubtype.Issue{ID: id}
	for _, f := range []struct {
		key string
		dst *string
	}{{"content", &i.Content}, {"errorCode", &i.ErrorCode}, {"errorType", &i.ErrorType}, {"updatedBy", &i.UpdatedBy},
		{"labelTask", &i.TaskID}, {"stage", &i.Stage}, {"stageId", &i.StageID}, {"objectId", &i.ObjectID}} {
		if *f.dst, err = e.str(f.key); err != nil {
			return nil, err
		}
	}
	if i.TaskID == "" {
		return nil, e.fail("labelTask", "labelTask is required: the id of the task the issue is on")
	}
	if len(i.Content) > MaxContentLen {
		return nil, e.fail("content", "content is %d bytes, more than %d", len(i.Content), MaxContentLen)
	}
	status, err := e.str("status")
	if err != nil {
		return nil, err
	}
	i.Status = hubtype.IssueStatus(status)
	if status == "" {
		i.Status = hubtype.IssueOpen
	}
	if i.CreatedBy, err = e.author(); err != nil {
		return nil, err
	}
	if i.CreatedAt, err = e.when("createdAt"); err != nil {
		return nil, err
	}
	if i.CreatedAt.IsZero() {
		i.CreatedAt = now
	}
	if i.UpdatedAt, err = e.when("updatedAt"); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		key string
		dst *json.RawMessage
	}{{"errorCodes", &i.ErrorCodes}, {"contentMentions", &i.ContentMentions}, {"comments", &i.Comments}} {
		if *f.dst, err = e.list(f.key); err != nil {
			return nil, err
		}
	}
	if !isNull(obj["position"]) {
		i.Position = obj["position"]
	}
	if err := setPages(i, obj["page"], obj["pageEnd"]); err != nil {
		var fe *hubtype.FieldError
		if errors.As(err, &fe) {
			return nil, e.fail(fe.Field, "%s", fe.Message)
		}
		return nil, err
	}
	if err := e.asset(i); err != nil {
		return nil, err
	}
	// Link the issue to the project's task, and fill what the export
	// left out from it.
	found, err := s.st.AssetListPage(ctx, &hubtype.AssetListParams{ProjectID: proj.ID, TaskIDs: []string{i.TaskID}, Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("issue %d: find task %s: %w", n, i.TaskID, err)
	}
	if len(found) == 1 {
		a := found[0]
		i.AssetID = a.ID
		if i.ExternalID == "" {
			i.ExternalID, i.Batches = a.ExternalID, a.Batches
		}
	}
	switch {
	case i.StageID == "" && i.Stage != "":
		if ids, err := hubtype.ResolveStages(proj, []string{i.Stage}); err == nil {
			i.StageID = ids[0]
		}
	case i.StageID != "" && i.Stage == "":
		i.Stage = hubtype.StageName(proj, i.StageID)
	}
	if i.Extra, err = e.extra(); err != nil {
		return nil, err
	}
	return i, nil
}

// author returns createdBy: an e-mail, or an object with an email (or,
// without one, a name).
func (e *exported) author() (string, error) {
	raw := e.obj["createdBy"]
	if isNull(raw) {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var who struct {
		Email string `json:"email"`
		Name  string `json:"name"`
	}
	if json.Unmarshal(raw, &who) == nil && (who.Email != "" || who.Name != "") {
		if who.Email != "" {
			return who.Email, nil
		}
		return who.Name, nil
	}
	return "", e.fail("createdBy", "createdBy is not an e-mail or a user object: %s", short(raw))
}

// asset reads asset: {externalId, batches}.
func (e *exported) asset(i *hubtype.Issue) error {
	raw := e.obj["asset"]
	if isNull(raw) {
		return nil
	}
	var a struct {
		ExternalID *string   `json:"externalId"`
		Batches    []*string `json:"batches"`
	}
	if err := json.Unmarshal(raw, &a); err != nil {
		return e.fail("asset", "asset is not an object with externalId and batches: %s", short(raw))
	}
	if a.ExternalID != nil {
		i.ExternalID = *a.ExternalID
	}
	for _, b := range a.Batches {
		if b != nil {
			i.Batches = append(i.Batches, *b)
		}
	}
	return nil
}

// extra returns the keys the hub does not read, as a JSON object in key
// order; nil when there are none.
func (e *exported) extra() (json.RawMessage, error) {
	var keys []string
	for k := range e.obj {
		if !slices.Contains(importedKeys, k) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil, nil
	}
	slices.Sort(keys)
	var b bytes.Buffer
	b.WriteByte('{')
	for k, key := range keys {
		if k > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(key) // a string always encodes
		b.Write(kb)
		b.WriteByte(':')
		b.Write(bytes.TrimSpace(e.obj[key]))
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

package hub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/hub/store"
)

// maxNewBatches bounds how many distinct unknown batch names (and stage
// ids) one import may add to a project.
const maxNewBatches = 1000

// ImportResponse is the body of a successful POST /api/projects/{id}/import.
type ImportResponse struct {
	// Imported is the number of assets read and written.
	Imported int `json:"imported"`
	// Inserted and Updated split Imported (upsert mode replaces existing
	// externalIds).
	Inserted int `json:"inserted"`
	Updated  int `json:"updated"`
	// AddedStages and AddedBatches list the stages and batches the import
	// added to the project.
	AddedStages  []StageJSON `json:"addedStages,omitempty"`
	AddedBatches []BatchJSON `json:"addedBatches,omitempty"`
}

// ImportError is one problem of a rejected import, with its location.
type ImportError struct {
	// Index is the 0-based position of the asset in the input; -1 when the
	// problem is outside any asset.
	Index int `json:"index"`
	// ExternalID is the asset's externalId when it could be read.
	ExternalID string `json:"externalId,omitempty"`
	// Line is the 1-based input line; 0 when unknown.
	Line int `json:"line,omitempty"`
	// Offset is the byte offset in the input; -1 when unknown.
	Offset int64 `json:"offset"`
	// Path is the JSON path inside the asset (task.tools[0].bounding-box).
	Path string `json:"path,omitempty"`
	// Message says what is wrong.
	Message string `json:"message"`
}

// importErrors collects validation errors of an import up to a bound.
// The AAF reader stops at the first problem, so today it holds one; the
// wire format lists several so a reader that goes on can report more.
type importErrors struct {
	max   int
	list  []ImportError
	total int
	first error
}

func (e *importErrors) add(ae *aaf.Error) {
	e.total++
	if e.first == nil {
		e.first = ae
	}
	if len(e.list) < e.max {
		e.list = append(e.list, ImportError{Index: ae.Index, ExternalID: ae.ExternalID, Line: ae.Line,
			Offset: ae.Offset, Path: ae.Path, Message: ae.Msg})
	}
}

// err returns the *Error answering the rejected import.
func (e *importErrors) err() error {
	msg := fmt.Sprintf("invalid AAF, nothing was imported: %v", e.first)
	if e.total > 1 {
		msg = fmt.Sprintf("invalid AAF, nothing was imported: %d problems, the first: %v", e.total, e.first)
	}
	return &Error{Status: http.StatusBadRequest, Code: CodeInvalidAAF, Message: msg, Errors: e.list}
}

// importTracker remembers the stages and batches an import references.
type importTracker struct {
	stages  map[string]string // stage id -> name
	order   []string          // stage ids in first-seen order
	batches map[string]bool
	border  []string
}

func (t *importTracker) see(a *aaf.Asset) error {
	if a.Task != nil && a.Task.StageID != "" {
		if _, ok := t.stages[a.Task.StageID]; !ok {
			if len(t.order) >= maxNewBatches {
				return Errorf(http.StatusBadRequest, CodeInvalidAAF, "the import references more than %d distinct stages", maxNewBatches)
			}
			t.stages[a.Task.StageID] = a.Task.Stage
			t.order = append(t.order, a.Task.StageID)
		}
	}
	for _, b := range a.Batches {
		if !t.batches[b] {
			if len(t.border) >= maxNewBatches {
				return Errorf(http.StatusBadRequest, CodeInvalidAAF, "the import references more than %d distinct batches", maxNewBatches)
			}
			t.batches[b] = true
			t.border = append(t.border, b)
		}
	}
	return nil
}

// handleProjectImport serves POST /api/projects/{id}/import: the body (a
// JSON array or NDJSON) is streamed through the AAF reader into one store
// transaction. Any invalid asset rejects the whole import (400 invalid_aaf
// listing the first problems with their locations). Stages and batches
// the assets reference but the project lacks are added to the project.
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
		s.WriteError(w, r, Errorf(http.StatusBadRequest, CodeBadRequest, "mode %q is not one of append, upsert", mode))
		return
	}
	start := time.Now()
	errs := &importErrors{max: s.cfg.MaxImportErrors}
	tr := &importTracker{stages: map[string]string{}, batches: map[string]bool{}}
	body := &readErrRecorder{r: r.Body}
	rd := aaf.NewReader(body, aaf.WithRaw())
	rows := func(yield func(*store.Asset, error) bool) {
		for {
			a, err := rd.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			// The reader stops at the first problem (Next keeps returning
			// it), so the answer lists that one.
			if err != nil && body.err != nil {
				// The body failed (too large, connection cut): that is
				// the problem, not the truncated JSON it left behind.
				yield(nil, fmt.Errorf("read import body: %w", body.err))
				return
			}
			var ae *aaf.Error
			if errors.As(err, &ae) {
				errs.add(ae)
				yield(nil, errs.err())
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
	if err != nil {
		if isConflict(err) {
			err = &Error{Status: http.StatusConflict, Code: CodeConflict, Err: err,
				Message: fmt.Sprintf("nothing was imported: %s; use mode=upsert to replace existing assets", conflictDetail(err, p.ID))}
		}
		s.WriteError(w, r, err)
		return
	}
	out := ImportResponse{Imported: res.Inserted + res.Updated, Inserted: res.Inserted, Updated: res.Updated}
	out.AddedStages, out.AddedBatches, err = s.addProjectStagesAndBatches(ctx, p, tr)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	s.log.InfoContext(ctx, "imported assets", slog.String(logKeyProjectID, p.ID), slog.Int(logKeyCount, out.Imported),
		slog.Duration(logKeyDuration, time.Since(start)))
	WriteJSON(w, http.StatusOK, out)
}

// assetRow converts a read asset into a store row.
func assetRow(projectID string, a *aaf.Asset, now time.Time) *store.Asset {
	row := &store.Asset{ProjectID: projectID, ExternalID: a.ExternalID, Batches: a.Batches, UpdatedAt: now, Data: a.Raw()}
	if a.Task != nil {
		row.StageID = a.Task.StageID
		if t, err := time.Parse(time.RFC3339Nano, a.Task.UpdatedAt); err == nil {
			row.UpdatedAt = t
		}
	}
	return row
}

// addProjectStagesAndBatches adds the stages and batches an import
// referenced and the project lacked. It re-reads the project so a
// concurrent change is not lost.
func (s *Server) addProjectStagesAndBatches(ctx context.Context, p *store.Project, tr *importTracker) ([]StageJSON, []BatchJSON, error) {
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
	var addedStages []StageJSON
	for _, id := range tr.order {
		if !haveStage[id] {
			st := store.Stage{ID: id, Name: tr.stages[id]}
			if st.Name == "" {
				st.Name = id
			}
			fresh.Stages = append(fresh.Stages, st)
			addedStages = append(addedStages, StageJSON(st))
		}
	}
	var addedBatches []BatchJSON
	for _, name := range tr.border {
		if !haveBatch[name] {
			b := store.Batch{ID: store.NewID(), Name: name}
			fresh.Batches = append(fresh.Batches, b)
			addedBatches = append(addedBatches, BatchJSON(b))
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

package hub

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/exporthub/exporthub/hub/auth"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/store"
)

// TaskListParams is what GET /v2/project/{id}/tasks asks for.
type TaskListParams struct {
	// List selects and pages the tasks' assets.
	List *store.AssetListParams
	// WithAnswer adds each task's annotations (includeAnswer=true).
	WithAnswer bool
	// Fields, when not empty, keeps only these keys of each task (and
	// _id).
	Fields []string
}

// taskFilterKeys are the keys of the filter parameter of the task
// listing.
var taskFilterKeys = []string{"_id", "externalId", "stage", "batches", "status"}

// taskFields are the keys a task has, in order: what fields may name.
var taskFields = []string{"_id", "project", "organization", "asset", "externalId", "batches", "stage", "status",
	"updatedAt", "updatedBy", "completedAt", "duration", "answer"}

// taskSortFields maps the names sort takes to the store's order fields.
var taskSortFields = map[string]store.AssetOrderField{
	"_id":        store.AssetOrderTaskID,
	"externalId": store.AssetOrderExternalID,
	"stage":      store.AssetOrderStageID,
	"updatedAt":  store.AssetOrderUpdatedAt,
	"createdAt":  store.AssetOrderCreatedAt,
	"asset":      store.AssetOrderID,
}

// ParseTaskListParams reads the query of GET /v2/project/{id}/tasks for
// project p: page, limit, includeAnswer, filter (a JSON object with _id,
// externalId, stage, batches, status), sort ("externalId,-updatedAt"),
// fields ("externalId,stage") and the parameters older SDKs still send:
// stage (a stage id; also a JSON list), batches (a JSON list of batch ids
// or names: a task in any of them) and status[eq] (Completed or TODO).
// Every condition must hold. Errors are 400s naming the parameter.
func ParseTaskListParams(q url.Values, p *store.Project) (*TaskListParams, error) {
	lp := &store.AssetListParams{ProjectID: p.ID}
	out := &TaskListParams{List: lp}
	var err error
	if lp.Offset, lp.Limit, err = parseV2Page(q); err != nil {
		return nil, err
	}
	if out.WithAnswer, err = parseBoolParam(q, "includeAnswer", false); err != nil {
		return nil, err
	}
	stages := newStageSet(p)
	if vs := q["stage"]; len(vs) > 0 {
		values, err := ParseStageParam(vs)
		if err != nil {
			return nil, err
		}
		if err := stages.keep("stage", values); err != nil {
			return nil, err
		}
	}
	if v := strings.TrimSpace(q.Get("status[eq]")); v != "" {
		if err := stages.keepStatus("status[eq]", v); err != nil {
			return nil, err
		}
	}
	batches, err := parseBatchesParam(q["batches"])
	if err != nil {
		return nil, err
	}
	if _, lp.Batches, err = store.ResolveBatches(p, batches); err != nil {
		return nil, badRequest("batches: %v", err)
	}
	obj, err := decodeFilterObject("filter", q.Get("filter"), taskFilterKeys)
	if err != nil {
		return nil, err
	}
	for _, key := range taskFilterKeys {
		raw, ok := obj[key]
		if !ok {
			continue
		}
		values, err := stringsFilter("filter", key, raw)
		if err != nil {
			return nil, err
		}
		if values == nil {
			continue
		}
		switch key {
		case "_id":
			lp.TaskIDs, err = intersect("filter", key, lp.TaskIDs, raw)
		case "externalId":
			lp.ExternalIDs, err = intersect("filter", key, lp.ExternalIDs, raw)
		case "stage":
			err = stages.keep("filter: stage", values)
		case "batches":
			var names []string
			if _, names, err = store.ResolveBatches(p, values); err != nil {
				return nil, badRequest("filter: batches: %v", err)
			}
			if len(lp.Batches) > 0 {
				// Both the batches parameter and the filter hold: the
				// task is in one of each.
				names = slices.DeleteFunc(names, func(n string) bool { return !slices.Contains(lp.Batches, n) })
				if len(names) == 0 {
					names = []string{""}
				}
			}
			lp.Batches = names
		case "status":
			for _, v := range values {
				if v != hubapi.TaskStatusCompleted && v != hubapi.TaskStatusTodo {
					return nil, badRequest("filter: status %q is not one of %s, %s", v, hubapi.TaskStatusCompleted, hubapi.TaskStatusTodo)
				}
			}
			if len(values) == 1 {
				err = stages.keepStatus("filter: status", values[0])
			}
		}
		if err != nil {
			return nil, err
		}
	}
	lp.StageIDs = stages.ids()
	if lp.OrderBy, err = parseTaskSort(q.Get("sort")); err != nil {
		return nil, err
	}
	if out.Fields, err = parseTaskFields(q.Get("fields")); err != nil {
		return nil, err
	}
	return out, nil
}

// stageSet narrows the stages a task listing keeps; nil keeps all.
type stageSet struct {
	p   *store.Project
	set []string
	// narrowed is true once a condition applied (set may then be empty:
	// nothing matches).
	narrowed bool
}

func newStageSet(p *store.Project) *stageSet { return &stageSet{p: p} }

// keep keeps the stages values name (ids, else names); unknown ones are a
// 400 naming them.
func (s *stageSet) keep(param string, values []string) error {
	if len(values) == 0 {
		return nil
	}
	ids, err := store.ResolveStages(s.p, values)
	if err != nil {
		return badRequest("%s: %v", param, err)
	}
	s.intersect(ids)
	return nil
}

// keepStatus keeps the stages of a status: Completed is the Complete
// stage, TODO every other one.
func (s *stageSet) keepStatus(param, status string) error {
	switch {
	case strings.EqualFold(status, hubapi.TaskStatusCompleted):
		s.intersect([]string{store.DefaultStageID})
	case strings.EqualFold(status, hubapi.TaskStatusTodo):
		var ids []string
		for _, st := range store.NormalizeStages(s.p.Stages) {
			if st.ID != store.DefaultStageID {
				ids = append(ids, st.ID)
			}
		}
		s.intersect(ids)
	default:
		return badRequest("%s %q is not one of %s, %s", param, status, hubapi.TaskStatusCompleted, hubapi.TaskStatusTodo)
	}
	return nil
}

func (s *stageSet) intersect(ids []string) {
	if !s.narrowed {
		s.set, s.narrowed = slices.Clone(ids), true
		return
	}
	s.set = slices.DeleteFunc(s.set, func(id string) bool { return !slices.Contains(ids, id) })
}

// ids returns the stage filter: nil for all, a list that matches nothing
// when the conditions exclude each other.
func (s *stageSet) ids() []string {
	if !s.narrowed {
		return nil
	}
	if len(s.set) == 0 {
		return []string{""} // no task is in stage ""
	}
	return s.set
}

// parseTaskSort reads sort: comma-separated task keys, each ascending or,
// with a leading "-", descending.
func parseTaskSort(v string) ([]store.AssetOrder, error) {
	var out []store.AssetOrder
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		desc := strings.HasPrefix(part, "-")
		name := strings.TrimPrefix(strings.TrimPrefix(part, "-"), "+")
		f, ok := taskSortFields[name]
		if !ok {
			keys := make([]string, 0, len(taskSortFields))
			for k := range taskSortFields {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			return nil, badRequest("sort: %q is not one of %s (a leading - sorts descending)", name, strings.Join(keys, ", "))
		}
		out = append(out, store.AssetOrder{Field: f, Desc: desc})
	}
	return out, nil
}

// parseTaskFields reads fields: comma-separated task keys.
func parseTaskFields(v string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !slices.Contains(taskFields, f) {
			return nil, badRequest("fields: %q is not one of %s", f, strings.Join(taskFields, ", "))
		}
		out = append(out, f)
	}
	return out, nil
}

// projectTask encodes t keeping only fields (and _id) when fields is not
// empty, in the task's key order.
func projectTask(t *hubapi.V2Task, fields []string) (json.RawMessage, error) {
	b, err := json.Marshal(t)
	if err != nil {
		return nil, fmt.Errorf("encode task %s: %w", t.ID, err)
	}
	if len(fields) == 0 {
		return b, nil
	}
	return rewriteObject(b, func(key string, value []byte) ([]byte, bool, error) {
		return value, key == "_id" || slices.Contains(fields, key), nil
	})
}

// handleV2Tasks serves GET /v2/project/{id}/tasks.
func (s *Server) handleV2Tasks(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, err := s.LoadProject(ctx, r.PathValue("id"))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	s.noteRunActivity(r)
	tp, err := ParseTaskListParams(r.URL.Query(), p)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	out := hubapi.V2TasksResponse{Tasks: []json.RawMessage{}}
	if out.Total, err = s.store.AssetCount(ctx, tp.List); err != nil {
		s.WriteError(w, r, fmt.Errorf("count tasks: %w", err))
		return
	}
	page, err := s.store.AssetListPage(ctx, tp.List)
	if err != nil {
		s.WriteError(w, r, fmt.Errorf("list tasks: %w", err))
		return
	}
	for _, a := range page {
		t, err := NewV2Task(p, a, tp.WithAnswer)
		if err == nil {
			var b json.RawMessage
			if b, err = projectTask(t, tp.Fields); err == nil {
				out.Tasks = append(out.Tasks, b)
			}
		}
		if err != nil {
			s.WriteError(w, r, err)
			return
		}
	}
	WriteData(w, out)
}

// errTaskAmbiguous is the 409 of a task id found in several projects of
// the caller's organization (the same export imported twice).
func errTaskAmbiguous(id string, projects []string) error {
	return Errorf(http.StatusConflict, hubapi.CodeConflict,
		"task %s is in several projects of your organization (%s): ask with a run token of one of them",
		id, strings.Join(projects, ", "))
}

// findTask returns the task with id taskID (its asset) and its project,
// within what the caller reaches: a run token's project, a user's
// organization. ErrNotFound when there is none.
func (s *Server) findTask(r *http.Request, taskID string) (*store.Project, *store.Asset, error) {
	ctx := r.Context()
	pr, ok := auth.FromContext(ctx)
	if !ok {
		return nil, nil, errors.New("find task: no principal in context")
	}
	if taskID == "" {
		return nil, nil, store.ErrNotFound
	}
	var found []*store.Asset
	if pr.IsRunToken() {
		page, err := s.store.AssetListPage(ctx, &store.AssetListParams{ProjectID: pr.ProjectID, TaskIDs: []string{taskID}, Limit: 1})
		if err != nil {
			return nil, nil, fmt.Errorf("find task %s: %w", taskID, err)
		}
		found = page
	} else {
		var err error
		if found, err = s.store.AssetListByTask(ctx, pr.OrgID, taskID); err != nil {
			return nil, nil, err
		}
	}
	switch len(found) {
	case 0:
		return nil, nil, store.ErrNotFound
	case 1:
	default:
		var projects []string
		for _, a := range found {
			projects = append(projects, a.ProjectID)
		}
		return nil, nil, errTaskAmbiguous(taskID, projects)
	}
	p, err := s.LoadProject(ctx, found[0].ProjectID)
	if err != nil {
		return nil, nil, err
	}
	return p, found[0], nil
}

// handleV2Task serves GET /v2/task/{id}: the task with its annotations
// (includeAnswer=false leaves them out).
func (s *Server) handleV2Task(w http.ResponseWriter, r *http.Request) {
	withAnswer, err := parseBoolParam(r.URL.Query(), "includeAnswer", true)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	p, a, err := s.findTask(r, r.PathValue("id"))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	s.noteRunActivity(r)
	t, err := NewV2Task(p, a, withAnswer)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	b, err := projectTask(t, nil)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	WriteData(w, hubapi.V2TaskResponse{Task: b})
}

// handleV2TaskHistory serves GET /v2/task/{id}/history: the task's stage
// history as the imported AAF has it, each entry with its annotations.
func (s *Server) handleV2TaskHistory(w http.ResponseWriter, r *http.Request) {
	p, a, err := s.findTask(r, r.PathValue("id"))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	s.noteRunActivity(r)
	h, err := NewV2TaskHistory(p, a)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	WriteData(w, hubapi.V2TaskHistoryResponse{TaskHistory: h})
}

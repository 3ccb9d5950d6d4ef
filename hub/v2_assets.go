package hub

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/store"
)

// aafView is the part of a stored AAF asset the /v2 listings read; every
// value is kept as the AAF has it.
type aafView struct {
	Asset       json.RawMessage `json:"asset"`
	Metadata    json.RawMessage `json:"metadata"`
	ContextData json.RawMessage `json:"contextData"`
	Task        *aafTaskView    `json:"task"`
	Tasks       []*aafTaskView  `json:"tasks"`
}

// aafTaskView is the part of an AAF task the /v2 listings read.
type aafTaskView struct {
	UpdatedAt       json.RawMessage       `json:"updatedAt"`
	UpdatedBy       json.RawMessage       `json:"updatedBy"`
	TotalDuration   json.RawMessage       `json:"totalDuration"`
	Tools           json.RawMessage       `json:"tools"`
	Objects         json.RawMessage       `json:"objects"`
	Classifications json.RawMessage       `json:"classifications"`
	Relations       json.RawMessage       `json:"relations"`
	StageHistory    []aafStageHistoryView `json:"stageHistory"`
}

// aafStageHistoryView is one stageHistory entry as the AAF has it.
type aafStageHistoryView struct {
	StageID         json.RawMessage `json:"stageId"`
	Stage           json.RawMessage `json:"stage"`
	CompletedAt     json.RawMessage `json:"completedAt"`
	CompletedBy     json.RawMessage `json:"completedBy"`
	Duration        json.RawMessage `json:"duration"`
	ReviewStatus    json.RawMessage `json:"reviewStatus"`
	Tools           json.RawMessage `json:"tools"`
	Classifications json.RawMessage `json:"classifications"`
	Relations       json.RawMessage `json:"relations"`
}

// readAAFView decodes the parts of a stored asset the listings show; the
// task is the v3 task or the first legacy one (nil when there is none).
func readAAFView(a *store.Asset) (*aafView, *aafTaskView, error) {
	var v aafView
	if len(a.Data) > 0 {
		if err := json.Unmarshal(a.Data, &v); err != nil {
			return nil, nil, fmt.Errorf("read asset %q of project %s: %w", a.ExternalID, a.ProjectID, err)
		}
	}
	task := v.Task
	if task == nil && len(v.Tasks) > 0 {
		task = v.Tasks[0]
	}
	return &v, task, nil
}

// jsonString returns raw as a Go string when it is a JSON string, else "".
func jsonString(raw json.RawMessage) string {
	var s string
	if len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
		return s
	}
	return ""
}

// orEmpty returns raw, or def when raw is absent or null.
func orEmpty(raw json.RawMessage, def string) json.RawMessage {
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return json.RawMessage(def)
	}
	return raw
}

// batchIDs returns the ids of the batches named in names (a name the
// project lacks is given as is).
func batchIDs(p *store.Project, names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		id := n
		for _, b := range p.Batches {
			if b.Name == n {
				id = b.ID
				break
			}
		}
		out = append(out, id)
	}
	return out
}

// NewV2Asset returns a stored asset of project p as the /v2 asset listing
// shows it.
func NewV2Asset(p *store.Project, a *store.Asset) (*hubapi.V2Asset, error) {
	v, task, err := readAAFView(a)
	if err != nil {
		return nil, err
	}
	out := &hubapi.V2Asset{ID: a.ID, ExternalID: a.ExternalID, Project: a.ProjectID, Data: jsonString(v.Asset),
		Batches: batchIDs(p, a.Batches), Metadata: orEmpty(v.Metadata, "{}"), IsPreLabeled: a.PreLabeled,
		CreatedAt: hubapi.AngoTime(a.CreatedAt)}
	if len(v.ContextData) > 0 && !bytes.Equal(v.ContextData, []byte("null")) {
		out.ContextData = v.ContextData
	}
	lt := hubapi.V2AssetLabelTask{ID: a.TaskID, Stage: a.StageID, StageHistory: []hubapi.V2StageHistory{}}
	if task != nil {
		for _, h := range task.StageHistory {
			lt.StageHistory = append(lt.StageHistory, hubapi.V2StageHistory{StageID: h.StageID, Stage: h.Stage,
				CompletedAt: h.CompletedAt, CompletedBy: h.CompletedBy, Duration: h.Duration, ReviewStatus: h.ReviewStatus})
		}
	}
	out.LabelTasks = []hubapi.V2AssetLabelTask{lt}
	return out, nil
}

// taskStatus returns the Ango status of a task in stage stageID.
func taskStatus(stageID string) string {
	if stageID == store.DefaultStageID {
		return hubapi.TaskStatusCompleted
	}
	return hubapi.TaskStatusTodo
}

// taskAnswer returns a task's annotations (a legacy task's objects are
// its tools); each list is [] when absent.
func taskAnswer(task *aafTaskView) *hubapi.V2Answer {
	if task == nil {
		return &hubapi.V2Answer{Tools: json.RawMessage("[]"), Classifications: json.RawMessage("[]"), Relations: json.RawMessage("[]")}
	}
	tools := task.Tools
	if len(tools) == 0 {
		tools = task.Objects
	}
	return &hubapi.V2Answer{Tools: orEmpty(tools, "[]"), Classifications: orEmpty(task.Classifications, "[]"),
		Relations: orEmpty(task.Relations, "[]")}
}

// NewV2Task returns the task of a stored asset of project p as the /v2
// task endpoints show it, with its annotations when withAnswer.
func NewV2Task(p *store.Project, a *store.Asset, withAnswer bool) (*hubapi.V2Task, error) {
	_, task, err := readAAFView(a)
	if err != nil {
		return nil, err
	}
	out := &hubapi.V2Task{ID: a.TaskID, Project: a.ProjectID, Organization: p.OrgID, Asset: a.ID, ExternalID: a.ExternalID,
		Batches: batchIDs(p, a.Batches), Stage: a.StageID, Status: taskStatus(a.StageID)}
	if task != nil {
		out.UpdatedAt, out.UpdatedBy, out.Duration = task.UpdatedAt, task.UpdatedBy, task.TotalDuration
		if out.Status == hubapi.TaskStatusCompleted && len(task.StageHistory) > 0 {
			out.CompletedAt = task.StageHistory[len(task.StageHistory)-1].CompletedAt
		}
	}
	if withAnswer {
		out.Answer = taskAnswer(task)
	}
	return out, nil
}

// NewV2TaskHistory returns the stage history of the task of a stored
// asset of project p, with each entry's annotations; empty when the
// imported AAF has none.
func NewV2TaskHistory(p *store.Project, a *store.Asset) ([]hubapi.V2TaskHistory, error) {
	_, task, err := readAAFView(a)
	if err != nil {
		return nil, err
	}
	out := []hubapi.V2TaskHistory{}
	if task == nil {
		return out, nil
	}
	for i, h := range task.StageHistory {
		sum := sha256.Sum256([]byte(a.ProjectID + "/" + a.TaskID + "/" + strconv.Itoa(i)))
		out = append(out, hubapi.V2TaskHistory{ID: hex.EncodeToString(sum[:12]), LabelTaskID: a.TaskID, Project: a.ProjectID,
			Organization: p.OrgID, Asset: a.ID, StageID: h.StageID, Stage: h.Stage, CompletedAt: h.CompletedAt,
			CompletedBy: h.CompletedBy, Duration: h.Duration, ReviewStatus: h.ReviewStatus,
			Answer: hubapi.V2Answer{Tools: orEmpty(h.Tools, "[]"), Classifications: orEmpty(h.Classifications, "[]"),
				Relations: orEmpty(h.Relations, "[]")}})
	}
	return out, nil
}

// parseV2Page reads page (from 1, default 1) and limit (1 to
// hubapi.MaxV2PageSize, default hubapi.DefaultV2PageSize) and returns the offset and the
// limit.
func parseV2Page(q url.Values) (offset, limit int, err error) {
	page, limit := 1, hubapi.DefaultV2PageSize
	if v := strings.TrimSpace(q.Get("page")); v != "" {
		if page, err = strconv.Atoi(v); err != nil || page < 1 {
			return 0, 0, badRequest("page %q is not a whole number from 1", v)
		}
	}
	if v := strings.TrimSpace(q.Get("limit")); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > hubapi.MaxV2PageSize {
			return 0, 0, badRequest("limit %q is not a whole number from 1 to %d", v, hubapi.MaxV2PageSize)
		}
	}
	if page > (1<<31)/limit {
		return 0, 0, badRequest("page %d is too large", page)
	}
	return (page - 1) * limit, limit, nil
}

// stringsFilter reads the value of a filter key: a string, a list of
// strings, {"$in": [...]} or {"$eq": "..."}; it returns the values any of
// which match.
func stringsFilter(param, key string, raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	bad := func() error {
		return badRequest(`%s: %s %s is not a string, a list of strings, {"$in": [...]} or {"$eq": "..."}`, param, key, raw)
	}
	switch {
	case len(raw) == 0 || bytes.Equal(raw, []byte("null")):
		return nil, nil
	case raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, bad()
		}
		return []string{s}, nil
	case raw[0] == '[':
		var list []string
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, bad()
		}
		return list, nil
	case raw[0] == '{':
		var ops map[string]json.RawMessage
		if err := json.Unmarshal(raw, &ops); err != nil || len(ops) != 1 {
			return nil, bad()
		}
		if v, ok := ops["$in"]; ok && len(v) > 0 && v[0] == '[' {
			return stringsFilter(param, key, v)
		}
		if v, ok := ops["$eq"]; ok && len(v) > 0 && v[0] == '"' {
			return stringsFilter(param, key, v)
		}
		for op := range ops {
			return nil, badRequest("%s: %s: operator %q is not one of $in, $eq", param, key, op)
		}
	}
	return nil, bad()
}

// decodeFilterObject decodes the JSON object of parameter param; keys not
// in served give a 400 listing the served ones.
func decodeFilterObject(param, v string, served []string) (map[string]json.RawMessage, error) {
	v = strings.TrimSpace(v)
	if v == "" || v == "null" {
		return nil, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(v), &obj); err != nil {
		return nil, badRequest("%s %q is not a JSON object: %v", param, v, err)
	}
	for k := range obj {
		known := false
		for _, s := range served {
			known = known || k == s
		}
		if !known {
			return nil, badRequest("%s: key %q is not served (served: %s)", param, k, strings.Join(served, ", "))
		}
	}
	return obj, nil
}

// assetFilterKeys are the keys of the filters parameter of the asset
// listing.
var assetFilterKeys = []string{"_id", "externalId", "isPreLabeled", "batches"}

// ParseAssetListParams reads the query of GET /v2/project/{id}/assets for
// project p: page, limit, filters (a JSON object with _id, externalId,
// isPreLabeled, batches; every listed batch, by id or name, must hold the
// asset) and the plain _id and externalId parameters older SDKs send.
// Errors are 400s naming the parameter.
func ParseAssetListParams(q url.Values, p *store.Project) (*store.AssetListParams, error) {
	lp := &store.AssetListParams{ProjectID: p.ID}
	var err error
	if lp.Offset, lp.Limit, err = parseV2Page(q); err != nil {
		return nil, err
	}
	if v := q.Get("_id"); v != "" {
		lp.IDs = append(lp.IDs, v)
	}
	if v := q.Get("externalId"); v != "" {
		lp.ExternalIDs = append(lp.ExternalIDs, v)
	}
	obj, err := decodeFilterObject("filters", q.Get("filters"), assetFilterKeys)
	if err != nil {
		return nil, err
	}
	if raw, ok := obj["_id"]; ok {
		if lp.IDs, err = intersect("filters", "_id", lp.IDs, raw); err != nil {
			return nil, err
		}
	}
	if raw, ok := obj["externalId"]; ok {
		if lp.ExternalIDs, err = intersect("filters", "externalId", lp.ExternalIDs, raw); err != nil {
			return nil, err
		}
	}
	if raw, ok := obj["isPreLabeled"]; ok && !bytes.Equal(raw, []byte("null")) {
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return nil, badRequest("filters: isPreLabeled %s is not true or false", raw)
		}
		lp.PreLabeled = &b
	}
	if raw, ok := obj["batches"]; ok {
		values, err := stringsFilter("filters", "batches", raw)
		if err != nil {
			return nil, err
		}
		if _, lp.AllBatches, err = store.ResolveBatches(p, values); err != nil {
			return nil, badRequest("filters: batches: %v", err)
		}
	}
	return lp, nil
}

// intersect combines values already selected (from a plain parameter)
// with a filter key's values: both must match. An empty result selects
// nothing.
func intersect(param, key string, have []string, raw json.RawMessage) ([]string, error) {
	values, err := stringsFilter(param, key, raw)
	if err != nil || values == nil {
		return have, err
	}
	if len(have) == 0 {
		if len(values) == 0 {
			return []string{""}, nil // an empty list matches nothing
		}
		return values, nil
	}
	var out []string
	for _, v := range values {
		for _, h := range have {
			if v == h {
				out = append(out, v)
			}
		}
	}
	if len(out) == 0 {
		out = []string{""} // no id is empty: nothing matches
	}
	return out, nil
}

// handleV2Assets serves GET /v2/project/{id}/assets: a page of the
// project's assets in import order with their task and its stage
// history, and the number of assets the filters select.
func (s *Server) handleV2Assets(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, err := s.LoadProject(ctx, r.PathValue("id"))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	s.noteRunActivity(r)
	lp, err := ParseAssetListParams(r.URL.Query(), p)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	out := hubapi.V2AssetsResponse{Assets: []hubapi.V2Asset{}}
	if out.Total, err = s.store.AssetCount(ctx, lp); err != nil {
		s.WriteError(w, r, fmt.Errorf("count assets: %w", err))
		return
	}
	page, err := s.store.AssetListPage(ctx, lp)
	if err != nil {
		s.WriteError(w, r, fmt.Errorf("list assets: %w", err))
		return
	}
	for _, a := range page {
		v, err := NewV2Asset(p, a)
		if err != nil {
			s.WriteError(w, r, err)
			return
		}
		out.Assets = append(out.Assets, *v)
	}
	WriteData(w, out)
}

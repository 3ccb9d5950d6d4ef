package hub

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/store"
)

// ExportFilter is what an export selects from a project's assets and how
// it writes them. The zero value selects every asset, as imported.
type ExportFilter struct {
	// StageIDs keeps assets in any of these stages; nil keeps all.
	StageIDs []string
	// Batches keeps assets in at least one of these batch names; nil
	// keeps all.
	Batches []string
	// UpdatedAfter, UpdatedBefore, CreatedAfter and CreatedBefore bound
	// the tasks' times (exclusive); zero means no bound.
	UpdatedAfter, UpdatedBefore, CreatedAfter, CreatedBefore time.Time
	// NoTasks is set when the filter's task types hold no type the hub has
	// (only "default" tasks exist): the export selects nothing.
	NoTasks bool
	// Shape says which parts of each asset the export leaves out.
	Shape AssetShape
}

// AssetShape says which parts of each asset an export leaves out; the
// zero value writes the assets exactly as imported.
type AssetShape struct {
	// OmitMetadata leaves out the asset's "metadata" (includeMetadata=false).
	OmitMetadata bool
	// OmitHistory leaves out the task's "stageHistory" (includeHistory=false).
	OmitHistory bool
}

// ListParams returns the store filter for project id.
func (f *ExportFilter) ListParams(projectID string) store.AssetListParams {
	lp := store.AssetListParams{ProjectID: projectID, StageIDs: f.StageIDs, Batches: f.Batches,
		UpdatedAfter: f.UpdatedAfter, UpdatedBefore: f.UpdatedBefore, CreatedAfter: f.CreatedAfter, CreatedBefore: f.CreatedBefore}
	if f.NoTasks {
		// No stage has this id: the filter selects nothing.
		lp.StageIDs = []string{""}
	}
	return lp
}

// Describe names the filter for people: "stages Complete, Review; batches
// b1" or "all stages; all batches", with the time bounds when set.
func (f *ExportFilter) Describe(p *store.Project) string {
	stages := "all stages"
	if len(f.StageIDs) > 0 {
		names := make([]string, len(f.StageIDs))
		for i, id := range f.StageIDs {
			names[i] = store.StageName(p, id)
		}
		stages = "stages " + strings.Join(names, ", ")
	}
	batches := "all batches"
	if len(f.Batches) > 0 {
		batches = "batches " + strings.Join(f.Batches, ", ")
	}
	out := stages + "; " + batches
	for _, b := range []struct {
		what string
		t    time.Time
	}{{"updated after", f.UpdatedAfter}, {"updated before", f.UpdatedBefore},
		{"created after", f.CreatedAfter}, {"created before", f.CreatedBefore}} {
		if !b.t.IsZero() {
			out += "; " + b.what + " " + b.t.UTC().Format(time.RFC3339Nano)
		}
	}
	if f.NoTasks {
		out += "; no task type the hub has (only default)"
	}
	return out
}

// ParseExportFilter reads the filter parameters of an export request
// against project p, as the Ango SDK's ExportOptions sends them:
//
//   - stage: a JSON list of stage ids (the SDK's default is ["Complete"]),
//     a JSON string, a plain value (also repeated), null or absent (no
//     filter). Each value matches a stage id of p, or else a stage name;
//     the fixed stages Start and Complete always exist.
//   - batches: a JSON list, plain comma-separated and/or repeated values,
//     null or absent. Each value matches a batch id, or else a name.
//   - updatedAt, createdAt: JSON {"$gt": ISO time, "$lt": ISO time}
//     ($gte and $lte too), either key optional.
//   - taskTypes: a JSON list of task types; only "default" tasks exist.
//   - includeMetadata, includeHistory: true (default) or false.
//
// Errors are 400s naming the parameter and the value, such as an unknown
// stage or batch.
func ParseExportFilter(q url.Values, p *store.Project) (ExportFilter, error) {
	var f ExportFilter
	stages, err := ParseStageParam(q["stage"])
	if err != nil {
		return f, err
	}
	if f.StageIDs, err = store.ResolveStages(p, stages); err != nil {
		return f, badRequest("stage: %v", err)
	}
	batches, err := parseBatchesParam(q["batches"])
	if err != nil {
		return f, err
	}
	if _, f.Batches, err = store.ResolveBatches(p, batches); err != nil {
		return f, badRequest("batches: %v", err)
	}
	if f.UpdatedAfter, f.UpdatedBefore, err = parseTimeRange("updatedAt", q.Get("updatedAt")); err != nil {
		return f, err
	}
	if f.CreatedAfter, f.CreatedBefore, err = parseTimeRange("createdAt", q.Get("createdAt")); err != nil {
		return f, err
	}
	if f.NoTasks, err = parseTaskTypes(q.Get("taskTypes")); err != nil {
		return f, err
	}
	include, err := parseBoolParam(q, "includeMetadata", true)
	if err != nil {
		return f, err
	}
	f.Shape.OmitMetadata = !include
	if include, err = parseBoolParam(q, "includeHistory", true); err != nil {
		return f, err
	}
	f.Shape.OmitHistory = !include
	return f, nil
}

// ParseStageParam decodes the values of the "stage" parameter: each a JSON
// list of strings (null entries dropped), a JSON string, null, or a plain
// value. It returns the stage values in order, without duplicates; nil
// for no filter.
func ParseStageParam(vs []string) ([]string, error) {
	var out []string
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, v := range vs {
		v = strings.TrimSpace(v)
		switch {
		case v == "" || v == "null":
		case strings.HasPrefix(v, "["):
			var list []*string
			if err := json.Unmarshal([]byte(v), &list); err != nil {
				return nil, badRequest("stage %q is not a JSON list of stage ids: %v", v, err)
			}
			for _, s := range list {
				if s != nil {
					add(*s)
				}
			}
		case strings.HasPrefix(v, `"`):
			var s string
			if err := json.Unmarshal([]byte(v), &s); err != nil {
				return nil, badRequest("stage %q is not a JSON string: %v", v, err)
			}
			add(s)
		default:
			add(v)
		}
	}
	return out, nil
}

// parseBatchesParam decodes batches: a JSON list (null entries dropped),
// null, or plain comma-separated and/or repeated values.
func parseBatchesParam(vs []string) ([]string, error) {
	var out []string
	for _, v := range vs {
		v = strings.TrimSpace(v)
		switch {
		case v == "" || v == "null" || v == "[]":
		case strings.HasPrefix(v, "["):
			var list []*string
			if err := json.Unmarshal([]byte(v), &list); err != nil {
				return nil, badRequest("batches %q is not a JSON list of strings: %v", v, err)
			}
			for _, s := range list {
				if s != nil && *s != "" {
					out = append(out, *s)
				}
			}
		default:
			for _, s := range strings.Split(v, ",") {
				if s = strings.TrimSpace(s); s != "" {
					out = append(out, s)
				}
			}
		}
	}
	return out, nil
}

// parseTimeRange decodes a time filter {"$gt": ISO, "$lt": ISO} (also
// $gte, $lte) into exclusive bounds; absent or null means none.
func parseTimeRange(name, v string) (after, before time.Time, err error) {
	v = strings.TrimSpace(v)
	if v == "" || v == "null" || v == "{}" {
		return after, before, nil
	}
	var ops map[string]*string
	dec := json.NewDecoder(bytes.NewReader([]byte(v)))
	if err := dec.Decode(&ops); err != nil {
		return after, before, badRequest(`%s %q is not a JSON object {"$gt": time, "$lt": time}: %v`, name, v, err)
	}
	for op, s := range ops {
		if s == nil {
			continue
		}
		t, err := parseISOTime(*s)
		if err != nil {
			return after, before, badRequest("%s.%s %q is not an ISO 8601 time such as 2024-01-01T00:00:00.000Z", name, op, *s)
		}
		switch op {
		case "$gt":
			after = t
		case "$gte":
			after = t.Add(-time.Microsecond)
		case "$lt":
			before = t
		case "$lte":
			before = t.Add(time.Microsecond)
		default:
			return after, before, badRequest("%s: operator %q is not one of $gt, $gte, $lt, $lte", name, op)
		}
	}
	return after, before, nil
}

// parseISOTime reads an ISO 8601 time as Ango writes them; a time
// without a zone is UTC.
func parseISOTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("not an ISO 8601 time: %q", s)
}

// parseTaskTypes reads taskTypes (a JSON list, plain comma-separated
// values, or absent) and reports whether it excludes the only task type
// the hub has, "default".
func parseTaskTypes(v string) (none bool, err error) {
	v = strings.TrimSpace(v)
	if v == "" || v == "null" {
		return false, nil
	}
	var types []string
	if strings.HasPrefix(v, "[") {
		if err := json.Unmarshal([]byte(v), &types); err != nil {
			return false, badRequest("taskTypes %q is not a JSON list of strings: %v", v, err)
		}
	} else {
		types = strings.Split(v, ",")
	}
	if len(types) == 0 {
		return false, nil
	}
	return !slices.ContainsFunc(types, func(t string) bool { return strings.TrimSpace(t) == "default" }), nil
}

// parseBoolParam reads a true/false query parameter; absent means def.
func parseBoolParam(q url.Values, name string, def bool) (bool, error) {
	v := strings.TrimSpace(q.Get(name))
	switch strings.ToLower(v) {
	case "":
		return def, nil
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, Errorf(http.StatusBadRequest, hubapi.CodeBadRequest, "%s %q is not true or false", name, v)
}

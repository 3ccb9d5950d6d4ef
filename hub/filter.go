package hub

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/exporthub/exporthub/hub/store"
)

// ExportFilter is a stage and batch filter on a project's assets.
type ExportFilter struct {
	// StageID keeps assets in that stage; "" keeps all.
	StageID string
	// Batches keeps assets in at least one of these batch names; empty
	// keeps all.
	Batches []string
}

// ListParams returns the store filter for project id.
func (f ExportFilter) ListParams(projectID string) store.AssetListParams {
	return store.AssetListParams{ProjectID: projectID, StageID: f.StageID, Batches: f.Batches}
}

// ParseExportFilter reads the "stage" and "batches" query parameters of
// an export request against project p. Both accept the Ango SDK's
// JSON-encoded form (stage="Complete" or null, batches=["b1"]) and a
// plain form (stage=Complete, batches=b1,b2 or repeated). A stage matches
// a stage id or name of the project; a batch matches a batch id or name
// (an unknown value is taken as a batch name). Errors are 400s naming the
// parameter.
func ParseExportFilter(q url.Values, p *store.Project) (ExportFilter, error) {
	var f ExportFilter
	stage, err := parseStageParam(q.Get("stage"))
	if err != nil {
		return f, err
	}
	if stage != "" {
		f.StageID = stage
		for _, st := range p.Stages {
			if st.ID == stage {
				break
			}
			if st.Name == stage {
				f.StageID = st.ID
				break
			}
		}
	}
	batches, err := parseBatchesParam(q["batches"])
	if err != nil {
		return f, err
	}
	for _, b := range batches {
		name := b
		for _, pb := range p.Batches {
			if pb.ID == b {
				name = pb.Name
				break
			}
		}
		f.Batches = append(f.Batches, name)
	}
	return f, nil
}

// parseStageParam decodes stage: "", "null", a JSON string or a plain
// value.
func parseStageParam(v string) (string, error) {
	v = strings.TrimSpace(v)
	switch {
	case v == "" || v == "null":
		return "", nil
	case strings.HasPrefix(v, `"`):
		var s string
		if err := json.Unmarshal([]byte(v), &s); err != nil {
			return "", Errorf(http.StatusBadRequest, CodeBadRequest, "stage %q is not a JSON string: %v", v, err)
		}
		return s, nil
	}
	return v, nil
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
				return nil, Errorf(http.StatusBadRequest, CodeBadRequest, "batches %q is not a JSON list of strings: %v", v, err)
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

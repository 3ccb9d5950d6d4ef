package hubapi

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/exporthub/exporthub/hub/hubtype"
)

// StageJSON is a workflow stage on the wire, as Ango has it: {id, name,
// type, position: {x, y}, next?} plus any other keys sent (kept). In
// requests a bare string "X" means {"id":"X","name":"X"}; missing types
// and positions are filled (see hubtype.NormalizeStages).
type StageJSON = hubtype.Stage

// BatchJSON is a batch on the wire. In requests a bare string "X" means a
// new batch named X; "_id" is accepted as a synonym of "id".
type BatchJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// UnmarshalJSON accepts an object {"id" or "_id", "name"} or a bare string.
func (b *BatchJSON) UnmarshalJSON(data []byte) error {
	var name string
	if json.Unmarshal(data, &name) == nil {
		*b = BatchJSON{Name: name}
		return nil
	}
	var p struct {
		ID   string `json:"id"`
		MID  string `json:"_id"`
		Name string `json:"name"`
	}
	if err := json.Unmarshal(data, &p); err != nil {
		return fmt.Errorf("batch must be a string or an object {id, name}: %v", err)
	}
	*b = BatchJSON{ID: p.ID, Name: p.Name}
	if b.ID == "" {
		b.ID = p.MID
	}
	return nil
}

// ProjectCreateRequest is the body of POST /api/projects.
type ProjectCreateRequest struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// CategorySchema is the category schema object; {} when absent.
	CategorySchema json.RawMessage `json:"categorySchema,omitempty"`
	// Stages defaults to DefaultStages; the fixed stages Start and
	// Complete are added when missing.
	Stages []StageJSON `json:"stages,omitempty"`
	// Batches may be names or {id?, name} objects.
	Batches []BatchJSON `json:"batches,omitempty"`
}

// ProjectUpdateRequest is the body of PATCH /api/projects/{id}; absent
// fields are left unchanged.
type ProjectUpdateRequest struct {
	Name           *string         `json:"name,omitempty"`
	Description    *string         `json:"description,omitempty"`
	CategorySchema json.RawMessage `json:"categorySchema,omitempty"`
	Stages         []StageJSON     `json:"stages,omitempty"`
	// Batches, when not nil, replaces the batches (empty: none); a batch
	// given by name only keeps the id of the batch of that name.
	Batches []BatchJSON `json:"batches"`
}

// ProjectResponse is a project on the wire.
type ProjectResponse struct {
	ID             string          `json:"id"`
	Name           string          `json:"name"`
	Description    string          `json:"description"`
	CategorySchema json.RawMessage `json:"categorySchema"`
	Stages         []StageJSON     `json:"stages"`
	Batches        []BatchJSON     `json:"batches"`
	CreatedAt      time.Time       `json:"createdAt"`
	UpdatedAt      time.Time       `json:"updatedAt"`
	// Counts is set by GET /api/projects/{id}.
	Counts *AssetCountsResponse `json:"counts,omitempty"`
}

// AssetCountsResponse holds a project's asset counts.
type AssetCountsResponse struct {
	Total int64 `json:"total"`
	// ByStage counts assets per stage id.
	ByStage map[string]int64 `json:"byStage"`
	// ByBatch counts assets per batch name.
	ByBatch map[string]int64 `json:"byBatch"`
}

// ProjectListResponse is the body of GET /api/projects.
type ProjectListResponse struct {
	Projects []*ProjectResponse `json:"projects"`
}

// HeaderTotalCount carries the number of assets an export will hold, so a
// client can show progress.
const HeaderTotalCount = "X-Total-Count"

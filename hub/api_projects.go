package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/exporthub/exporthub/hub/auth"
	"github.com/exporthub/exporthub/hub/store"
)

// DefaultStages are the stages a project gets when it is created without
// any: the built-in stages of an Ango workflow, whose ids are their names,
// left to right.
var DefaultStages = store.NormalizeStages([]store.Stage{{ID: "Label", Name: "Label", Type: store.StageLabel}})

// Limits of project fields.
const (
	maxProjectNameLen        = 200
	maxProjectDescriptionLen = 10000
	maxStages                = 1000
	maxBatches               = 10000
)

// StageJSON is a workflow stage on the wire, as Ango has it: {id, name,
// type, position: {x, y}, next?} plus any other keys sent (kept). In
// requests a bare string "X" means {"id":"X","name":"X"}; missing types
// and positions are filled (see store.NormalizeStages).
type StageJSON = store.Stage

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
	Batches        []BatchJSON     `json:"batches,omitempty"`
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

// NewProjectResponse converts a stored project to its wire form.
func NewProjectResponse(p *store.Project) *ProjectResponse {
	out := &ProjectResponse{
		ID:             p.ID,
		Name:           p.Name,
		Description:    p.Description,
		CategorySchema: p.CategorySchema,
		Stages:         make([]StageJSON, 0, len(p.Stages)),
		Batches:        make([]BatchJSON, 0, len(p.Batches)),
		CreatedAt:      p.CreatedAt,
		UpdatedAt:      p.UpdatedAt,
	}
	if len(out.CategorySchema) == 0 {
		out.CategorySchema = json.RawMessage("{}")
	}
	out.Stages = append(out.Stages, store.NormalizeStages(p.Stages)...)
	for _, b := range p.Batches {
		out.Batches = append(out.Batches, BatchJSON(b))
	}
	return out
}

// LoadProject returns project id of the caller's organization. It gives
// store.ErrNotFound (404) for a project of another organization and for a
// run token scoped to another project, so nothing leaks about projects the
// caller cannot see.
func (s *Server) LoadProject(ctx context.Context, id string) (*store.Project, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return nil, errors.New("load project: no principal in context")
	}
	if id == "" || !p.CanReachProject(id) {
		return nil, store.ErrNotFound
	}
	return s.store.ProjectGet(ctx, p.OrgID, id)
}

// handleProjectCreate serves POST /api/projects.
func (s *Server) handleProjectCreate(w http.ResponseWriter, r *http.Request) {
	var req ProjectCreateRequest
	if err := DecodeJSON(r, &req); err != nil {
		s.WriteError(w, r, err)
		return
	}
	p := &store.Project{
		ID:          store.NewID(),
		OrgID:       Principal(r).OrgID,
		Name:        strings.TrimSpace(req.Name),
		Description: req.Description,
	}
	if err := applyProjectFields(p, req.CategorySchema, req.Stages, req.Batches); err != nil {
		s.WriteError(w, r, err)
		return
	}
	if len(p.Stages) == 0 {
		p.Stages = append([]store.Stage(nil), DefaultStages...)
	}
	if err := validateProject(p); err != nil {
		s.WriteError(w, r, err)
		return
	}
	if err := s.store.ProjectInsert(r.Context(), p); err != nil {
		s.WriteError(w, r, fmt.Errorf("insert project: %w", err))
		return
	}
	WriteJSON(w, http.StatusCreated, NewProjectResponse(p))
}

// handleProjectList serves GET /api/projects.
func (s *Server) handleProjectList(w http.ResponseWriter, r *http.Request) {
	ps, err := s.store.ProjectList(r.Context(), Principal(r).OrgID)
	if err != nil {
		s.WriteError(w, r, fmt.Errorf("list projects: %w", err))
		return
	}
	out := ProjectListResponse{Projects: make([]*ProjectResponse, 0, len(ps))}
	for _, p := range ps {
		out.Projects = append(out.Projects, NewProjectResponse(p))
	}
	WriteJSON(w, http.StatusOK, out)
}

// handleProjectGet serves GET /api/projects/{id}, with asset counts.
func (s *Server) handleProjectGet(w http.ResponseWriter, r *http.Request) {
	p, err := s.LoadProject(r.Context(), r.PathValue("id"))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	c, err := s.store.AssetCounts(r.Context(), p.ID)
	if err != nil {
		s.WriteError(w, r, fmt.Errorf("count assets: %w", err))
		return
	}
	out := NewProjectResponse(p)
	out.Counts = &AssetCountsResponse{Total: c.Total, ByStage: c.ByStage, ByBatch: c.ByBatch}
	WriteJSON(w, http.StatusOK, out)
}

// handleProjectUpdate serves PATCH /api/projects/{id}.
func (s *Server) handleProjectUpdate(w http.ResponseWriter, r *http.Request) {
	var req ProjectUpdateRequest
	if err := DecodeJSON(r, &req); err != nil {
		s.WriteError(w, r, err)
		return
	}
	p, err := s.LoadProject(r.Context(), r.PathValue("id"))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	if req.Name != nil {
		p.Name = strings.TrimSpace(*req.Name)
	}
	if req.Description != nil {
		p.Description = *req.Description
	}
	if req.Stages != nil {
		p.Stages = nil
	}
	if req.Batches != nil {
		old := p.Batches
		p.Batches = nil
		// Keep the ids of batches given by name only.
		for i, b := range req.Batches {
			if b.ID == "" {
				for _, o := range old {
					if o.Name == b.Name {
						req.Batches[i].ID = o.ID
					}
				}
			}
		}
	}
	if err := applyProjectFields(p, req.CategorySchema, req.Stages, req.Batches); err != nil {
		s.WriteError(w, r, err)
		return
	}
	if err := validateProject(p); err != nil {
		s.WriteError(w, r, err)
		return
	}
	if err := s.store.ProjectUpdate(r.Context(), p); err != nil {
		s.WriteError(w, r, fmt.Errorf("update project: %w", err))
		return
	}
	WriteJSON(w, http.StatusOK, NewProjectResponse(p))
}

// handleProjectDelete serves DELETE /api/projects/{id}.
func (s *Server) handleProjectDelete(w http.ResponseWriter, r *http.Request) {
	p, err := s.LoadProject(r.Context(), r.PathValue("id"))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	if err := s.store.ProjectDelete(r.Context(), p.OrgID, p.ID); err != nil {
		s.WriteError(w, r, fmt.Errorf("delete project: %w", err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// applyProjectFields sets the schema and appends the stages and batches
// of a request to p, giving new batches ids.
func applyProjectFields(p *store.Project, schema json.RawMessage, stages []StageJSON, batches []BatchJSON) error {
	if len(schema) > 0 && !bytes.Equal(bytes.TrimSpace(schema), []byte("null")) {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(schema, &obj); err != nil {
			return Errorf(http.StatusBadRequest, CodeBadRequest, "categorySchema must be a JSON object: %v", err)
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, schema); err != nil {
			return Errorf(http.StatusBadRequest, CodeBadRequest, "categorySchema: %v", err)
		}
		p.CategorySchema = buf.Bytes()
	}
	for _, st := range stages {
		if st.ID == "" {
			st.ID = st.Name
		}
		if st.Name == "" {
			st.Name = st.ID
		}
		p.Stages = append(p.Stages, st)
	}
	for _, b := range batches {
		if b.ID == "" {
			b.ID = store.NewID()
		}
		p.Batches = append(p.Batches, store.Batch(b))
	}
	return nil
}

// validateProject checks a project's fields (errors name the field) and
// normalizes its stages (the fixed stages added, types and positions
// filled).
func validateProject(p *store.Project) error {
	switch {
	case p.Name == "":
		return badRequest("name is required")
	case utf8.RuneCountInString(p.Name) > maxProjectNameLen:
		return badRequest("name is longer than %d characters", maxProjectNameLen)
	case utf8.RuneCountInString(p.Description) > maxProjectDescriptionLen:
		return badRequest("description is longer than %d characters", maxProjectDescriptionLen)
	case len(p.Stages) > maxStages:
		return badRequest("a project has at most %d stages, got %d", maxStages, len(p.Stages))
	case len(p.Batches) > maxBatches:
		return badRequest("a project has at most %d batches, got %d", maxBatches, len(p.Batches))
	}
	if err := store.CheckStages(p.Stages); err != nil {
		return badRequest("%v", err)
	}
	p.Stages = store.NormalizeStages(p.Stages)
	names := map[string]bool{}
	ids := map[string]bool{}
	for i, b := range p.Batches {
		if strings.TrimSpace(b.Name) == "" {
			return badRequest("batches[%d]: name is required", i)
		}
		if names[b.Name] {
			return badRequest("batches[%d]: batch name %q appears twice", i, b.Name)
		}
		if ids[b.ID] {
			return badRequest("batches[%d]: batch id %q appears twice", i, b.ID)
		}
		names[b.Name], ids[b.ID] = true, true
	}
	return nil
}

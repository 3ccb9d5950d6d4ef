package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/exporthub/exporthub/hub/auth"
	"github.com/exporthub/exporthub/hub/hubapi"
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

// NewProjectResponse converts a stored project to its wire form.
func NewProjectResponse(p *store.Project) *hubapi.ProjectResponse {
	out := &hubapi.ProjectResponse{
		ID:             p.ID,
		Name:           p.Name,
		Description:    p.Description,
		CategorySchema: p.CategorySchema,
		Stages:         make([]hubapi.StageJSON, 0, len(p.Stages)),
		Batches:        make([]hubapi.BatchJSON, 0, len(p.Batches)),
		CreatedAt:      p.CreatedAt,
		UpdatedAt:      p.UpdatedAt,
	}
	if len(out.CategorySchema) == 0 {
		out.CategorySchema = json.RawMessage("{}")
	}
	out.Stages = append(out.Stages, store.NormalizeStages(p.Stages)...)
	for _, b := range p.Batches {
		out.Batches = append(out.Batches, hubapi.BatchJSON(b))
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
	var req hubapi.ProjectCreateRequest
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
	out := hubapi.ProjectListResponse{Projects: make([]*hubapi.ProjectResponse, 0, len(ps))}
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
	out.Counts = &hubapi.AssetCountsResponse{Total: c.Total, ByStage: c.ByStage, ByBatch: c.ByBatch}
	WriteJSON(w, http.StatusOK, out)
}

// handleProjectUpdate serves PATCH /api/projects/{id}.
func (s *Server) handleProjectUpdate(w http.ResponseWriter, r *http.Request) {
	var req hubapi.ProjectUpdateRequest
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
func applyProjectFields(p *store.Project, schema json.RawMessage, stages []hubapi.StageJSON, batches []hubapi.BatchJSON) error {
	if len(schema) > 0 && !bytes.Equal(bytes.TrimSpace(schema), []byte("null")) {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(schema, &obj); err != nil {
			return Errorf(http.StatusBadRequest, hubapi.CodeBadRequest, "categorySchema must be a JSON object: %v", err)
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, schema); err != nil {
			return Errorf(http.StatusBadRequest, hubapi.CodeBadRequest, "categorySchema: %v", err)
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

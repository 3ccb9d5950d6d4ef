package hub

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/exporthub/exporthub/hub/auth"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/projects"
	"github.com/exporthub/exporthub/hub/store"
)

// DefaultStages are the stages a project gets when it is created without
// any (projects.DefaultStages).
var DefaultStages = projects.DefaultStages

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

// Projects returns the project service.
func (s *Server) Projects() *projects.Service { return s.projects }

// LoadProject returns project id for the caller in ctx
// (projects.Service.Get): store.ErrNotFound (404) for a project of
// another organization and for a run token scoped to another project, so
// nothing leaks about projects the caller cannot see.
func (s *Server) LoadProject(ctx context.Context, id string) (*store.Project, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return nil, errors.New("load project: no principal in context")
	}
	return s.projects.Get(ctx, p, id)
}

// batches converts the batches of a request; nil stays nil.
func batches(in []hubapi.BatchJSON) []store.Batch {
	if in == nil {
		return nil
	}
	out := make([]store.Batch, len(in))
	for i, b := range in {
		out[i] = store.Batch(b)
	}
	return out
}

// handleProjectCreate serves POST /api/projects.
func (s *Server) handleProjectCreate(w http.ResponseWriter, r *http.Request) {
	var req hubapi.ProjectCreateRequest
	if err := DecodeJSON(r, &req); err != nil {
		s.WriteError(w, r, err)
		return
	}
	p, err := s.projects.Create(r.Context(), Principal(r), &projects.CreateParams{
		Name: req.Name, Description: req.Description, CategorySchema: req.CategorySchema,
		Stages: req.Stages, Batches: batches(req.Batches),
	})
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusCreated, NewProjectResponse(p))
}

// handleProjectList serves GET /api/projects.
func (s *Server) handleProjectList(w http.ResponseWriter, r *http.Request) {
	ps, err := s.projects.List(r.Context(), Principal(r))
	if err != nil {
		s.WriteError(w, r, err)
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
	pr := Principal(r)
	p, err := s.projects.Get(r.Context(), pr, r.PathValue("id"))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	c, err := s.projects.Counts(r.Context(), pr, p.ID)
	if err != nil {
		s.WriteError(w, r, err)
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
	p, err := s.projects.Update(r.Context(), Principal(r), &projects.UpdateParams{
		ID: r.PathValue("id"), Name: req.Name, Description: req.Description, CategorySchema: req.CategorySchema,
		Stages: req.Stages, Batches: batches(req.Batches),
	})
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, NewProjectResponse(p))
}

// handleProjectDelete serves DELETE /api/projects/{id}.
func (s *Server) handleProjectDelete(w http.ResponseWriter, r *http.Request) {
	if _, err := s.projects.Delete(r.Context(), Principal(r), r.PathValue("id")); err != nil {
		s.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

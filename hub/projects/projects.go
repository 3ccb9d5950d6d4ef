package projects

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/exporthub/exporthub/hub/auth"
	"github.com/exporthub/exporthub/hub/hubtype"
)

// Limits of project fields.
const (
	// MaxNameLen bounds a project's name, in characters.
	MaxNameLen = 200
	// MaxDescriptionLen bounds a project's description, in characters.
	MaxDescriptionLen = 10000
	// MaxStages and MaxBatches bound a project's stages and batches.
	MaxStages  = 1000
	MaxBatches = 10000
)

// DefaultStages are the stages a project gets when it is created without
// any: the built-in stages of an Ango workflow, whose ids are their names,
// left to right.
var DefaultStages = hubtype.NormalizeStages([]hubtype.Stage{{ID: "Label", Name: "Label", Type: hubtype.StageLabel}})

// Store is what the service needs of the hub's store (hub/store.Store
// has it).
type Store interface {
	ProjectInsert(ctx context.Context, p *hubtype.Project) error
	ProjectGet(ctx context.Context, orgID, id string) (*hubtype.Project, error)
	ProjectList(ctx context.Context, orgID string) ([]*hubtype.Project, error)
	ProjectUpdate(ctx context.Context, p *hubtype.Project) error
	ProjectDelete(ctx context.Context, orgID, id string) error
	AssetCount(ctx context.Context, p *hubtype.AssetListParams) (int64, error)
	AssetCounts(ctx context.Context, projectID string) (*hubtype.AssetCounts, error)
	ExportList(ctx context.Context, orgID, projectID string) ([]*hubtype.Export, error)
	ExportGet(ctx context.Context, orgID, id string) (*hubtype.Export, error)
	RunGet(ctx context.Context, orgID, id string) (*hubtype.Run, error)
	RunList(ctx context.Context, p *hubtype.RunListParams) ([]*hubtype.Run, error)
}

// Config configures a [Service]. Fields are read once by [New].
type Config struct {
	// Store holds the projects. Required.
	Store Store
}

// Service applies the project rules. It is safe for concurrent use.
type Service struct {
	st Store
}

// New returns a Service.
func New(c *Config) (*Service, error) {
	if c == nil || c.Store == nil {
		return nil, errors.New("projects: Store is required")
	}
	return &Service{st: c.Store}, nil
}

// noRunToken refuses run tokens, which reach their own project only;
// what says what they tried ("list projects").
func noRunToken(pr *auth.Principal, what string) error {
	if pr.IsRunToken() {
		return hubtype.Forbiddenf("a run token may not %s", what)
	}
	return nil
}

// Get returns project id of the caller's organization. It gives
// ErrNotFound for a project of another organization and for a run token
// scoped to another project, so nothing leaks about projects the caller
// cannot see.
func (s *Service) Get(ctx context.Context, pr *auth.Principal, id string) (*hubtype.Project, error) {
	if id == "" || !pr.CanReachProject(id) {
		return nil, hubtype.ErrNotFound
	}
	return s.st.ProjectGet(ctx, pr.OrgID, id)
}

// List returns the projects of the caller's organization, newest first.
func (s *Service) List(ctx context.Context, pr *auth.Principal) ([]*hubtype.Project, error) {
	if err := noRunToken(pr, "list projects"); err != nil {
		return nil, err
	}
	ps, err := s.st.ProjectList(ctx, pr.OrgID)
	if err != nil {
		return nil, fmt.Errorf("list projects: %w", err)
	}
	return ps, nil
}

// Counts returns a project's asset counts in total, per stage id and per
// batch name.
func (s *Service) Counts(ctx context.Context, pr *auth.Principal, id string) (*hubtype.AssetCounts, error) {
	p, err := s.Get(ctx, pr, id)
	if err != nil {
		return nil, err
	}
	c, err := s.st.AssetCounts(ctx, p.ID)
	if err != nil {
		return nil, fmt.Errorf("count assets: %w", err)
	}
	return c, nil
}

// AssetTotal returns how many assets project id holds.
func (s *Service) AssetTotal(ctx context.Context, pr *auth.Principal, id string) (int64, error) {
	if id == "" || !pr.CanReachProject(id) {
		return 0, hubtype.ErrNotFound
	}
	n, err := s.st.AssetCount(ctx, &hubtype.AssetListParams{ProjectID: id})
	if err != nil {
		return 0, fmt.Errorf("count assets of project %s: %w", id, err)
	}
	return n, nil
}

// CreateParams is the input of [Service.Create].
type CreateParams struct {
	Name        string
	Description string
	// CategorySchema is a JSON object; empty or null for none.
	CategorySchema json.RawMessage
	// Stages are the workflow stages; none gives DefaultStages. A stage
	// without id takes its name as id, one without name its id.
	Stages []hubtype.Stage
	// Batches are the batches; one without id gets a new id.
	Batches []hubtype.Batch
}

// Create creates a project in the caller's organization.
func (s *Service) Create(ctx context.Context, pr *auth.Principal, params *CreateParams) (*hubtype.Project, error) {
	if err := noRunToken(pr, "create projects"); err != nil {
		return nil, err
	}
	p := &hubtype.Project{
		ID:          hubtype.NewID(),
		OrgID:       pr.OrgID,
		Name:        strings.TrimSpace(params.Name),
		Description: params.Description,
	}
	if err := applyFields(p, params.CategorySchema, params.Stages, params.Batches); err != nil {
		return nil, err
	}
	if len(p.Stages) == 0 {
		p.Stages = append([]hubtype.Stage(nil), DefaultStages...)
	}
	if err := check(p); err != nil {
		return nil, err
	}
	if err := s.st.ProjectInsert(ctx, p); err != nil {
		return nil, fmt.Errorf("insert project: %w", err)
	}
	return p, nil
}

// UpdateParams is the input of [Service.Update]: nil fields are left as
// they are.
type UpdateParams struct {
	ID          string
	Name        *string
	Description *string
	// CategorySchema replaces the schema when not empty (null keeps it).
	CategorySchema json.RawMessage
	// Stages replaces the stages when not nil.
	Stages []hubtype.Stage
	// Batches replaces the batches when not nil; a batch given by name
	// only keeps the id of the batch of that name.
	Batches []hubtype.Batch
}

// Update changes a project of the caller's organization.
func (s *Service) Update(ctx context.Context, pr *auth.Principal, params *UpdateParams) (*hubtype.Project, error) {
	if err := noRunToken(pr, "change projects"); err != nil {
		return nil, err
	}
	p, err := s.Get(ctx, pr, params.ID)
	if err != nil {
		return nil, err
	}
	if params.Name != nil {
		p.Name = strings.TrimSpace(*params.Name)
	}
	if params.Description != nil {
		p.Description = *params.Description
	}
	if params.Stages != nil {
		p.Stages = nil
	}
	batches := params.Batches
	if batches != nil {
		old := p.Batches
		p.Batches = nil
		batches = append([]hubtype.Batch(nil), batches...)
		// Keep the ids of batches given by name only.
		for i, b := range batches {
			if b.ID == "" {
				for _, o := range old {
					if o.Name == b.Name {
						batches[i].ID = o.ID
					}
				}
			}
		}
	}
	if err := applyFields(p, params.CategorySchema, params.Stages, batches); err != nil {
		return nil, err
	}
	if err := check(p); err != nil {
		return nil, err
	}
	if err := s.st.ProjectUpdate(ctx, p); err != nil {
		return nil, fmt.Errorf("update project: %w", err)
	}
	return p, nil
}

// Delete deletes a project of the caller's organization with its
// assets, runs and logs (exports and notifications stay) and returns it.
func (s *Service) Delete(ctx context.Context, pr *auth.Principal, id string) (*hubtype.Project, error) {
	if err := noRunToken(pr, "delete projects"); err != nil {
		return nil, err
	}
	p, err := s.Get(ctx, pr, id)
	if err != nil {
		return nil, err
	}
	if err := s.st.ProjectDelete(ctx, p.OrgID, p.ID); err != nil {
		return nil, fmt.Errorf("delete project: %w", err)
	}
	return p, nil
}

// Exports returns the exports of a project, newest first.
func (s *Service) Exports(ctx context.Context, pr *auth.Principal, projectID string) ([]*hubtype.Export, error) {
	p, err := s.Get(ctx, pr, projectID)
	if err != nil {
		return nil, err
	}
	list, err := s.st.ExportList(ctx, p.OrgID, p.ID)
	if err != nil {
		return nil, fmt.Errorf("list exports: %w", err)
	}
	return list, nil
}

// Export returns an export of the caller's organization.
func (s *Service) Export(ctx context.Context, pr *auth.Principal, id string) (*hubtype.Export, error) {
	return s.st.ExportGet(ctx, pr.OrgID, id)
}

// Runs returns up to limit runs of a project, whatever their status,
// newest first.
func (s *Service) Runs(ctx context.Context, pr *auth.Principal, projectID string, limit int) ([]*hubtype.Run, error) {
	p, err := s.Get(ctx, pr, projectID)
	if err != nil {
		return nil, err
	}
	list, err := s.st.RunList(ctx, &hubtype.RunListParams{OrgID: p.OrgID, ProjectID: p.ID, Limit: limit})
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	return list, nil
}

// Run returns a run of the caller's organization in a project the caller
// reaches; with projectID set, only a run of that project.
func (s *Service) Run(ctx context.Context, pr *auth.Principal, projectID, id string) (*hubtype.Run, error) {
	run, err := s.st.RunGet(ctx, pr.OrgID, id)
	if err != nil {
		return nil, err
	}
	if !pr.CanReachProject(run.ProjectID) || (projectID != "" && run.ProjectID != projectID) {
		return nil, hubtype.ErrNotFound
	}
	return run, nil
}

// applyFields sets the schema and appends the stages and batches to p,
// giving new batches ids.
func applyFields(p *hubtype.Project, schema json.RawMessage, stages []hubtype.Stage, batches []hubtype.Batch) error {
	if len(schema) > 0 && !bytes.Equal(bytes.TrimSpace(schema), []byte("null")) {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(schema, &obj); err != nil {
			return hubtype.Fieldf("categorySchema", "categorySchema must be a JSON object: %v", err)
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, schema); err != nil {
			return hubtype.Fieldf("categorySchema", "categorySchema: %v", err)
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
			b.ID = hubtype.NewID()
		}
		p.Batches = append(p.Batches, b)
	}
	return nil
}

// check checks a project's fields (errors name the field) and
// normalizes its stages (the fixed stages added, types and positions
// filled).
func check(p *hubtype.Project) error {
	switch {
	case p.Name == "":
		return hubtype.Fieldf("name", "name is required")
	case utf8.RuneCountInString(p.Name) > MaxNameLen:
		return hubtype.Fieldf("name", "name is longer than %d characters", MaxNameLen)
	case utf8.RuneCountInString(p.Description) > MaxDescriptionLen:
		return hubtype.Fieldf("description", "description is longer than %d characters", MaxDescriptionLen)
	case len(p.Stages) > MaxStages:
		return hubtype.Fieldf("stages", "a project has at most %d stages, got %d", MaxStages, len(p.Stages))
	case len(p.Batches) > MaxBatches:
		return hubtype.Fieldf("batches", "a project has at most %d batches, got %d", MaxBatches, len(p.Batches))
	}
	if err := hubtype.CheckStages(p.Stages); err != nil {
		return hubtype.Fieldf("stages", "%v", err)
	}
	p.Stages = hubtype.NormalizeStages(p.Stages)
	names := map[string]bool{}
	ids := map[string]bool{}
	for i, b := range p.Batches {
		field := fmt.Sprintf("batches[%d]", i)
		if strings.TrimSpace(b.Name) == "" {
			return hubtype.Fieldf(field, "%s: name is required", field)
		}
		if names[b.Name] {
			return hubtype.Fieldf(field, "%s: batch name %q appears twice", field, b.Name)
		}
		if ids[b.ID] {
			return hubtype.Fieldf(field, "%s: batch id %q appears twice", field, b.ID)
		}
		names[b.Name], ids[b.ID] = true, true
	}
	return nil
}

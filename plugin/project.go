package plugin

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/internal/wire"
)

// ProjectInfo is the project a run exports, as the hub describes it at
// GET /v2/project/{id}: its name, batches, workflow stages and category
// schema. Its JSON form is the "project" object of that answer.
type ProjectInfo struct {
	// ID is the project's id ("_id").
	ID string `json:"_id"`
	// Name is the project's name.
	Name string `json:"name"`
	// Description is the project's description; may be empty.
	Description string `json:"description"`
	// Batches lists the project's batches.
	Batches []ProjectBatch `json:"batches"`
	// Stages lists the project's workflow stages.
	Stages []ProjectStage `json:"stages"`
	// CategorySchema is the project's category schema: its tool classes,
	// classifications and relations in schema order. Empty when the
	// project has none.
	CategorySchema aaf.CategorySchema `json:"categorySchema"`
}

// ProjectBatch is one batch of a project.
type ProjectBatch struct {
	// ID is the batch id, as run requests' Batches name it ("_id").
	ID string `json:"_id"`
	// Name is the batch name.
	Name string `json:"name"`
}

// UnmarshalJSON reads {"_id", "name"}, also accepting "id" for "_id".
func (b *ProjectBatch) UnmarshalJSON(data []byte) error {
	var w struct {
		UID  string `json:"_id"`
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*b = ProjectBatch{ID: cmp.Or(w.UID, w.ID), Name: w.Name}
	return nil
}

// ProjectStage is one workflow stage of a project.
type ProjectStage struct {
	// ID is the stage id, as run requests' Stage names it.
	ID string `json:"id"`
	// Name is the stage name.
	Name string `json:"name"`
}

// UnmarshalJSON reads {"id", "name"}, also accepting "_id" for "id" and a
// bare string, which is both the id and the name.
func (s *ProjectStage) UnmarshalJSON(data []byte) error {
	var name string
	if json.Unmarshal(data, &name) == nil {
		*s = ProjectStage{ID: name, Name: name}
		return nil
	}
	var w struct {
		ID   string `json:"id"`
		UID  string `json:"_id"`
		Name string `json:"name"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*s = ProjectStage{ID: cmp.Or(w.ID, w.UID), Name: w.Name}
	return nil
}

// Project returns the project of the run: its name, batches, stages and
// category schema (use the schema for stable class ids and order).
//
// In a run from a hub, the first call asks GET {host}/v2/project/{projectId}
// with the run's API key (bounded by APITimeout when ctx has no deadline);
// a successful answer is kept for the rest of the run, a failure is not.
// Hub failures are [*APIError] values that match ErrNotFound,
// ErrUnauthorized, ErrForbidden with errors.Is. In a local run
// ([RunLocal], the dev command) it returns the project that [LocalOptions]
// describe, so a callback behaves the same with and without a hub.
//
// The returned value is shared by every call of the run and must not be
// modified. Project is safe for concurrent use.
func (r *Request) Project(ctx context.Context) (*ProjectInfo, error) {
	if r.run == nil {
		return nil, errors.New("get project: the request is not part of a run")
	}
	return r.run.projectInfo(ctx)
}

// projectInfo returns the cached project, asking the hub the first time.
func (s *runState) projectInfo(ctx context.Context) (*ProjectInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.project != nil {
		return s.project, nil
	}
	if s.api == nil {
		return nil, errors.New("get project: no hub to ask and no local project")
	}
	p, err := s.api.project(ctx, s.apiKey, s.projectID)
	if err != nil {
		return nil, err
	}
	s.project = p
	return p, nil
}

// project calls GET /v2/project/{id}.
func (c *apiClient) project(ctx context.Context, apiKey, id string) (*ProjectInfo, error) {
	if id == "" || strings.Contains(id, "/") {
		return nil, fmt.Errorf("get project %q: want a non-empty id without '/'", id)
	}
	var data struct {
		Project json.RawMessage `json:"project"`
	}
	if err := c.getJSON(ctx, apiKey, wire.PathProject+id, nil, &data); err != nil {
		return nil, fmt.Errorf("get project %s: %w", id, err)
	}
	if len(data.Project) == 0 || string(data.Project) == "null" {
		return nil, fmt.Errorf("get project %s: the hub sent no project", id)
	}
	var p ProjectInfo
	if err := json.Unmarshal(data.Project, &p); err != nil {
		return nil, fmt.Errorf("get project %s: decode: %w", id, err)
	}
	return &p, nil
}

// ReadSchemaFile reads a category schema from a JSON file. The file holds
// either the schema itself ({"tools": [...], "classifications": [...],
// "relations": [...]}, Ango's shape: schemaId, title, tool, color, options,
// nested classifications) or a document holding one: a project with a
// "categorySchema" (the answer of GET /v2/project/{id}, with or without its
// {"status", "data": {"project"}} envelope, or the hub's project API) or a
// {"schema": ...} object (what "exporthub aaf gen --project" prints).
func ReadSchemaFile(path string) (aaf.CategorySchema, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return aaf.CategorySchema{}, fmt.Errorf("read schema: %w", err)
	}
	s, err := parseSchemaDoc(b)
	if err != nil {
		return aaf.CategorySchema{}, fmt.Errorf("read schema %s: %w", path, err)
	}
	return s, nil
}

// parseSchemaDoc finds the category schema in a document (see
// ReadSchemaFile).
func parseSchemaDoc(b []byte) (aaf.CategorySchema, error) {
	var schema aaf.CategorySchema
	// At most two levels of wrapping: {"data": {"project": {...}}}.
	for range 3 {
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(b, &doc); err != nil {
			return schema, fmt.Errorf("want a JSON object: %w", err)
		}
		if doc["tools"] != nil || doc["classifications"] != nil || doc["relations"] != nil {
			return schema, json.Unmarshal(b, &schema)
		}
		if v := firstObject(doc, "categorySchema", "schema"); v != nil {
			return schema, json.Unmarshal(v, &schema)
		}
		if b = firstObject(doc, "project", "data"); b == nil {
			break
		}
	}
	return schema, errors.New(`no "tools" list, nor a "categorySchema" or "schema" object holding one`)
}

// firstObject returns the value of the first of keys that holds a JSON
// object, or nil.
func firstObject(doc map[string]json.RawMessage, keys ...string) json.RawMessage {
	for _, key := range keys {
		if v := bytes.TrimSpace(doc[key]); len(v) > 0 && v[0] == '{' {
			return v
		}
	}
	return nil
}

// localProject is the project of a local run, from opts.
func localProject(opts *LocalOptions, projectID string) (*ProjectInfo, error) {
	p := &ProjectInfo{
		ID:             projectID,
		Name:           cmp.Or(opts.ProjectName, projectID),
		Batches:        []ProjectBatch{},
		Stages:         []ProjectStage{},
		CategorySchema: opts.Schema,
	}
	if schemaEmpty(p.CategorySchema) && opts.SchemaFile != "" {
		s, err := ReadSchemaFile(opts.SchemaFile)
		if err != nil {
			return nil, err
		}
		p.CategorySchema = s
	}
	for _, b := range opts.Batches {
		p.Batches = append(p.Batches, ProjectBatch{ID: b, Name: b})
	}
	if opts.Stage != "" {
		p.Stages = append(p.Stages, ProjectStage{ID: opts.Stage, Name: opts.Stage})
	}
	return p, nil
}

func schemaEmpty(s aaf.CategorySchema) bool {
	return len(s.Tools) == 0 && len(s.Classifications) == 0 && len(s.Relations) == 0
}

package plugin_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/plugin"
	"github.com/exporthub/exporthub/plugin/plugintest"
)

// angoProject is a project as Ango Hub's GET /v2/project/{id} shows it:
// keys the SDK does not model (shortcutKey, ocrEnabled, parentOptionId,
// stage types, ...) must be ignored.
const angoProject = `{
	"_id": "p-ango",
	"name": "Street scenes",
	"description": "cars and people",
	"organization": "org-1",
	"batches": [{"_id": "b-1", "name": "night"}, {"_id": "b-2", "name": "day"}],
	"stages": [{"id": "Start", "name": "Start", "type": "Start", "next": ["Label"]}, {"id": "Label", "name": "Label", "type": "Label"}],
	"categorySchema": {
		"tools": [
			{"schemaId": "sch-person", "title": "Person", "tool": "bounding-box", "color": "#ff0000", "required": false, "shortcutKey": "1", "ocrEnabled": false,
			 "classifications": [{"schemaId": "sch-pose", "title": "Pose", "tool": "radio", "required": true, "parentOptionId": "",
			                      "options": [{"value": "Standing", "schemaId": "sch-pose-1"}, {"value": "Sitting", "schemaId": "sch-pose-2"}]}]},
			{"schemaId": "sch-car", "title": "Car", "tool": "polygon", "color": null}
		],
		"classifications": [{"schemaId": "sch-weather", "title": "Weather", "tool": "single-dropdown", "options": [{"value": "Rain", "schemaId": "sch-rain"}]}],
		"relations": [{"schemaId": "sch-follows", "title": "Follows", "tool": "one-way"}]
	},
	"createdAt": "2024-01-02T03:04:05Z"
}`

// wantAngoSchema is angoProject's category schema.
var wantAngoSchema = aaf.CategorySchema{
	Tools: []aaf.SchemaClass{
		{SchemaID: "sch-person", Title: "Person", Tool: "bounding-box", Color: "#ff0000", Classifications: []aaf.SchemaClass{
			{SchemaID: "sch-pose", Title: "Pose", Tool: "radio", Required: true, Options: []aaf.SchemaOption{
				{SchemaID: "sch-pose-1", Value: "Standing"}, {SchemaID: "sch-pose-2", Value: "Sitting"},
			}},
		}},
		{SchemaID: "sch-car", Title: "Car", Tool: "polygon"},
	},
	Classifications: []aaf.SchemaClass{{SchemaID: "sch-weather", Title: "Weather", Tool: "single-dropdown", Options: []aaf.SchemaOption{{SchemaID: "sch-rain", Value: "Rain"}}}},
	Relations:       []aaf.SchemaClass{{SchemaID: "sch-follows", Title: "Follows", Tool: "one-way"}},
}

// projectHandler calls req.Project from several goroutines and sends the
// results on got before converting.
func projectHandler(got chan<- []projectResult) plugin.HandlerFunc {
	return func(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
		results := make([]projectResult, 3)
		var wg sync.WaitGroup
		for i := range results {
			wg.Go(func() {
				p, err := req.Project(ctx)
				results[i] = projectResult{p, err}
			})
		}
		wg.Wait()
		got <- results
		return countingHandler(ctx, req)
	}
}

type projectResult struct {
	p   *plugin.ProjectInfo
	err error
}

func TestRequest_Project(t *testing.T) {
	t.Parallel()

	setup := func(t *testing.T) (*plugintest.Hub, chan []projectResult) {
		t.Helper()
		hub := plugintest.NewHub(t)
		hub.SetExportFile(t, testExport)
		got := make(chan []projectResult, 1)
		startPlugin(t, hub, projectHandler(got))
		hub.WaitConnected(t, 1)
		return hub, got
	}

	t.Run("DecodesAngoProjectOnce", func(t *testing.T) {
		t.Parallel()
		hub, got := setup(t)
		hub.SetProject(t, "p-ango", json.RawMessage(angoProject))
		session := hub.Dispatch(t, plugintest.RunRequest{ProjectID: "p-ango"})
		require.True(t, hub.WaitResult(t, session).Export)
		results := <-got
		for _, r := range results {
			require.NoError(t, r.err)
			require.Same(t, results[0].p, r.p, "every call of a run returns the cached project")
		}
		require.Equal(t, &plugin.ProjectInfo{
			ID: "p-ango", Name: "Street scenes", Description: "cars and people",
			Batches:        []plugin.ProjectBatch{{ID: "b-1", Name: "night"}, {ID: "b-2", Name: "day"}},
			Stages:         []plugin.ProjectStage{{ID: "Start", Name: "Start"}, {ID: "Label", Name: "Label"}},
			CategorySchema: wantAngoSchema,
		}, results[0].p)
		require.Equal(t, 1, hub.ProjectRequests(), "the project is asked once per run")
	})

	t.Run("ProjectWithoutSchema", func(t *testing.T) {
		t.Parallel()
		hub, got := setup(t)
		session := hub.Dispatch(t, plugintest.RunRequest{ProjectID: "p-plain"})
		require.True(t, hub.WaitResult(t, session).Export)
		r := (<-got)[0]
		require.NoError(t, r.err)
		require.Equal(t, "p-plain", r.p.ID)
		require.Empty(t, r.p.CategorySchema.Tools)
	})

	t.Run("HubFailureIsAnAPIErrorAndNotCached", func(t *testing.T) {
		t.Parallel()
		hub, got := setup(t)
		hub.FailProject(http.StatusNotFound, "not_found")
		session := hub.Dispatch(t, plugintest.RunRequest{ProjectID: "p-gone"})
		require.True(t, hub.WaitResult(t, session).Export, "the callback chose to go on")
		for _, r := range <-got {
			require.ErrorIs(t, r.err, plugin.ErrNotFound)
			require.EqualError(t, r.err, "get project p-gone: call /v2/project/p-gone: hub: project failed (not_found, HTTP 404)")
		}
		require.Equal(t, 3, hub.ProjectRequests(), "a failure is not cached")
	})

	t.Run("MalformedSchema", func(t *testing.T) {
		t.Parallel()
		hub, got := setup(t)
		hub.SetProject(t, "p-bad", json.RawMessage(`{"_id": "p-bad", "categorySchema": {"tools": {"schemaId": "x"}}}`))
		session := hub.Dispatch(t, plugintest.RunRequest{ProjectID: "p-bad"})
		hub.WaitResult(t, session)
		r := (<-got)[0]
		require.ErrorContains(t, r.err, "get project p-bad: decode: json: cannot unmarshal object into Go struct field")
		require.ErrorContains(t, r.err, "categorySchema.tools")
	})

	t.Run("NotInARun", func(t *testing.T) {
		t.Parallel()
		_, err := (&plugin.Request{ProjectID: "p"}).Project(context.Background())
		require.EqualError(t, err, "get project: the request is not part of a run")
	})
}

func TestRunLocal_Project(t *testing.T) {
	t.Parallel()

	run := func(t *testing.T, opts plugin.LocalOptions) (*plugin.ProjectInfo, error) {
		t.Helper()
		var got *plugin.ProjectInfo
		opts.Export, opts.Out, opts.LogOutput = testExport, t.TempDir(), io.Discard
		_, err := plugin.RunLocal(context.Background(), func(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
			p, err := req.Project(ctx)
			if err != nil {
				return nil, err
			}
			got = p
			return countingHandler(ctx, req)
		}, opts)
		return got, err
	}

	t.Run("Defaults", func(t *testing.T) {
		t.Parallel()
		p, err := run(t, plugin.LocalOptions{})
		require.NoError(t, err)
		require.Equal(t, &plugin.ProjectInfo{ID: "image_small", Name: "image_small", Batches: []plugin.ProjectBatch{}, Stages: []plugin.ProjectStage{}}, p)
	})

	t.Run("FromOptions", func(t *testing.T) {
		t.Parallel()
		p, err := run(t, plugin.LocalOptions{ProjectID: "p1", ProjectName: "Streets", Schema: wantAngoSchema, Stage: "Review", Batches: []string{"b-1"}})
		require.NoError(t, err)
		require.Equal(t, &plugin.ProjectInfo{
			ID: "p1", Name: "Streets", CategorySchema: wantAngoSchema,
			Batches: []plugin.ProjectBatch{{ID: "b-1", Name: "b-1"}}, Stages: []plugin.ProjectStage{{ID: "Review", Name: "Review"}},
		}, p)
	})

	t.Run("FromSchemaFile", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "project.json")
		require.NoError(t, os.WriteFile(path, []byte(`{"status": "success", "data": {"project": `+angoProject+`}}`), 0o600))
		p, err := run(t, plugin.LocalOptions{SchemaFile: path})
		require.NoError(t, err)
		require.Equal(t, wantAngoSchema, p.CategorySchema)
	})

	t.Run("BadSchemaFileFailsBeforeTheCallback", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "schema.json")
		require.NoError(t, os.WriteFile(path, []byte(`{"name": "no schema here"}`), 0o600))
		_, err := run(t, plugin.LocalOptions{SchemaFile: path})
		require.EqualError(t, err, "read schema "+path+`: no "tools" list, nor a "categorySchema" or "schema" object holding one`)
	})

	t.Run("DevCommandFlags", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "schema.json")
		require.NoError(t, os.WriteFile(path, []byte(`{"tools": [{"schemaId": "s1", "title": "Tree", "tool": "point"}]}`), 0o600))
		got := make(chan *plugin.ProjectInfo, 1)
		h := plugin.HandlerFunc(func(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
			p, err := req.Project(ctx)
			if err != nil {
				return nil, err
			}
			got <- p
			return countingHandler(ctx, req)
		})
		err := plugin.RunCommand(context.Background(), []string{"dev", "-export", testExport, "-out", t.TempDir(), "-schema", path, "-project-name", "Trees"},
			io.Discard, io.Discard, h)
		require.NoError(t, err)
		p := <-got
		require.Equal(t, "Trees", p.Name)
		require.Equal(t, []aaf.SchemaClass{{SchemaID: "s1", Title: "Tree", Tool: "point"}}, p.CategorySchema.Tools)
	})
}

func TestReadSchemaFile(t *testing.T) {
	t.Parallel()

	tree := aaf.CategorySchema{Tools: []aaf.SchemaClass{{SchemaID: "s1", Title: "Tree", Tool: "point"}}}
	const treeJSON = `{"tools": [{"schemaId": "s1", "title": "Tree", "tool": "point"}]}`
	tests := []struct {
		name    string
		doc     string
		want    aaf.CategorySchema
		wantErr string
	}{
		{name: "Schema", doc: treeJSON, want: tree},
		{name: "OnlyRelations", doc: `{"relations": [{"schemaId": "r", "title": "R", "tool": "one-way"}]}`,
			want: aaf.CategorySchema{Relations: []aaf.SchemaClass{{SchemaID: "r", Title: "R", Tool: "one-way"}}}},
		{name: "GenProject", doc: `{"schema": ` + treeJSON + `, "stages": [], "batches": []}`, want: tree},
		{name: "Project", doc: `{"_id": "p", "categorySchema": ` + treeJSON + `}`, want: tree},
		{name: "ProjectAnswer", doc: `{"project": {"_id": "p", "categorySchema": ` + treeJSON + `}}`, want: tree},
		{name: "Envelope", doc: `{"status": "success", "data": {"project": {"categorySchema": ` + treeJSON + `}}}`, want: tree},
		{name: "EmptyCategorySchema", doc: `{"_id": "p", "categorySchema": {}}`, want: aaf.CategorySchema{}},
		{name: "NoSchema", doc: `{"_id": "p"}`, wantErr: `no "tools" list, nor a "categorySchema" or "schema" object holding one`},
		{name: "NotAnObject", doc: `[1]`, wantErr: "want a JSON object: json: cannot unmarshal array into Go value of type map[string]json.RawMessage"},
		{name: "Truncated", doc: `{"tools": [`, wantErr: "want a JSON object: unexpected end of JSON input"},
		{name: "WrongType", doc: `{"tools": [{"schemaId": 7}]}`, wantErr: "json: cannot unmarshal number into Go struct field SchemaClass.tools.schemaId of type string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "schema.json")
			require.NoError(t, os.WriteFile(path, []byte(tt.doc), 0o600))
			got, err := plugin.ReadSchemaFile(path)
			if tt.wantErr != "" {
				require.EqualError(t, err, "read schema "+path+": "+tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}

	t.Run("MissingFile", func(t *testing.T) {
		t.Parallel()
		_, err := plugin.ReadSchemaFile(filepath.Join(t.TempDir(), "nope.json"))
		require.ErrorIs(t, err, os.ErrNotExist)
	})
}

func FuzzReadSchemaFile(f *testing.F) {
	for _, s := range []string{`{"tools": []}`, `{"schema": {"tools": [{"schemaId": "a"}]}}`, `{"data": {"project": {"categorySchema": {}}}}`, `{}`, `[]`, `{"project": {"project": {"project": {}}}}`} {
		f.Add(s)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, doc string) {
		path := filepath.Join(dir, "schema.json")
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := plugin.ReadSchemaFile(path)
		if err != nil {
			return
		}
		if _, err := json.Marshal(s); err != nil {
			t.Fatalf("a schema read from %q does not encode: %v", doc, err)
		}
	})
}

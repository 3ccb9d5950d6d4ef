package exportplugin_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/formats"
	"github.com/exporthub/exporthub/formats/exportplugin"
	"github.com/exporthub/exporthub/formats/formatstest"
	"github.com/exporthub/exporthub/plugin"
	"github.com/exporthub/exporthub/plugin/plugintest"
)

var sample = filepath.Join("..", "testdata", "aaf", "video_small.json")

// imageSample holds one image whose objects are, in order: Car, Bus,
// Sidewalk, Lane line, Traffic light, Road.
var imageSample = filepath.Join("..", "testdata", "aaf", "image_small.json")

// reversedSchema lists imageSample's classes in another order than their
// first appearance (Lane line and Traffic light have no COCO annotation).
var reversedSchema = aaf.CategorySchema{Tools: []aaf.SchemaClass{
	{SchemaID: "sch-tool-road", Title: "Road", Tool: "segmentation"},
	{SchemaID: "sch-tool-lane", Title: "Lane line", Tool: "polyline"},
	{SchemaID: "sch-tool-light", Title: "Traffic light", Tool: "point"},
	{SchemaID: "sch-tool-sidewalk", Title: "Sidewalk", Tool: "polygon"},
	{SchemaID: "sch-tool-bus", Title: "Bus", Tool: "rotated-bounding-box"},
	{SchemaID: "sch-tool-car", Title: "Car", Tool: "bounding-box"},
}}

// Category orders of imageSample in COCO, and the classes of its
// annotations in order.
var (
	schemaOrder      = []string{"Road", "Lane line", "Traffic light", "Sidewalk", "Bus", "Car"}
	firstSeenOrder   = []string{"Car", "Bus", "Sidewalk", "Road"}
	annotationsClass = []string{"Car", "Bus", "Sidewalk", "Road"}
)

// cocoClasses returns the COCO category names by id order (checking ids
// are 1, 2, ...) and the category name of each annotation.
func cocoClasses(t *testing.T, annotationsJSON []byte) (categories, annotations []string) {
	t.Helper()
	require.NoError(t, formatstest.ValidateCOCO(annotationsJSON))
	var doc struct {
		Categories []struct {
			ID   int    `json:"id"`
			Name string `json:"name"`
		} `json:"categories"`
		Annotations []struct {
			CategoryID int `json:"category_id"`
		} `json:"annotations"`
	}
	require.NoError(t, json.Unmarshal(annotationsJSON, &doc))
	for i, c := range doc.Categories {
		require.Equal(t, i+1, c.ID, "category %q", c.Name)
		categories = append(categories, c.Name)
	}
	for _, a := range doc.Annotations {
		annotations = append(annotations, categories[a.CategoryID-1])
	}
	return categories, annotations
}

// startPlugin serves h on hub until the test ends.
func startPlugin(t *testing.T, host, id, secret string, h plugin.Handler) {
	t.Helper()
	e, err := plugin.New(h,
		plugin.WithHost(host),
		plugin.WithCredentials(id, secret),
		plugin.WithLogger(plugintest.Logger(t)),
		plugin.WithReconnect(20*time.Millisecond, 200*time.Millisecond, 0),
		plugin.WithShutdownTimeout(5*time.Second),
	)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(plugintest.WaitTimeout):
			t.Error("the plugin did not stop")
		}
	})
}

func TestHandler_ServeExport(t *testing.T) {
	t.Parallel()

	t.Run("EveryFormat", func(t *testing.T) {
		t.Parallel()
		for _, name := range formats.Names() {
			h := &exportplugin.Handler{TempDir: t.TempDir()}
			out := plugintest.RunFile(t, h, sample, `{"format": "`+name+`"}`)
			require.Equal(t, "video_small-"+name+".zip", filepath.Base(out.Path))
			require.NotEmpty(t, out.Entries, name)
			left, err := os.ReadDir(h.TempDir)
			require.NoError(t, err)
			require.Empty(t, left, "%s: temporary files are removed once the SDK closes the result", name)
		}
	})

	t.Run("SchemaOrdersClasses", func(t *testing.T) {
		t.Parallel()
		h := &exportplugin.Handler{Schema: aaf.GenSchema(aaf.GenOptions{Kind: aaf.AssetKindVideo})}
		out := plugintest.RunFile(t, h, sample, `{"format": "yolo"}`)
		require.NoError(t, formatstest.ValidateYOLO(out.Entries, formatstest.YOLODetect))
		require.Contains(t, string(out.Entries["data.yaml"]), "  0: \"Pedestrian\"\n  1: \"Cyclist\"\n  2: \"Ball\"\n  3: \"Crosswalk\"\n")
	})

	t.Run("ProjectSchemaOrdersClassesInALocalRun", func(t *testing.T) {
		t.Parallel()
		h := &exportplugin.Handler{TempDir: t.TempDir()}
		res, err := plugin.RunLocal(context.Background(), h.ServeExport, plugin.LocalOptions{
			Export: imageSample, Config: `{"format": "coco"}`, Schema: reversedSchema, Out: t.TempDir(), Logger: plugintest.Logger(t),
		})
		require.NoError(t, err)
		data, err := os.ReadFile(res.Path)
		require.NoError(t, err)
		categories, annotations := cocoClasses(t, plugintest.ZipEntries(t, data)["annotations.json"])
		require.Equal(t, schemaOrder, categories)
		require.Equal(t, annotationsClass, annotations)
	})

	t.Run("BadConfigFailsTheRun", func(t *testing.T) {
		t.Parallel()
		h := &exportplugin.Handler{TempDir: t.TempDir()}
		_, err := plugin.RunLocal(context.Background(), h.ServeExport, plugin.LocalOptions{
			Export: sample, Config: `{"format": "coco", "strict": 1}`, Out: t.TempDir(), Logger: plugintest.Logger(t),
		})
		require.ErrorIs(t, err, formats.ErrConfig)
		require.ErrorContains(t, err, `option "strict" of format "coco" must be a boolean, got 1`)
	})

	t.Run("FailedConversionLeavesNothing", func(t *testing.T) {
		t.Parallel()
		h := &exportplugin.Handler{TempDir: t.TempDir()}
		out := t.TempDir()
		_, err := plugin.RunLocal(context.Background(), h.ServeExport, plugin.LocalOptions{
			Export: filepath.Join("..", "testdata", "aaf", "edge_cases.json"), Config: `{"format": "coco", "strict": true}`,
			Out: out, Logger: plugintest.Logger(t),
		})
		require.ErrorContains(t, err, `asset 1 ("no-size.jpg"): COCO needs metadata.width and metadata.height (strict mode stops at the first problem)`)
		for _, dir := range []string{h.TempDir, out} {
			left, err := os.ReadDir(dir)
			require.NoError(t, err)
			require.Empty(t, left, dir)
		}
	})
}

func TestHandler_ServeExportProjectSchema(t *testing.T) {
	t.Parallel()

	setup := func(t *testing.T, h *exportplugin.Handler) *plugintest.Hub {
		t.Helper()
		hub := plugintest.NewHub(t)
		hub.SetExportFile(t, imageSample)
		startPlugin(t, hub.URL(), hub.ID, hub.Secret, h)
		hub.WaitConnected(t, 1)
		return hub
	}
	// run exports project p as COCO with config and returns the category
	// names and the class of each annotation.
	run := func(t *testing.T, hub *plugintest.Hub, config string) (session string, categories, annotations []string) {
		t.Helper()
		session = hub.Dispatch(t, plugintest.RunRequest{ProjectID: "p", ConfigJSON: config})
		res := hub.WaitResult(t, session)
		require.True(t, res.Export, "got %+v, want an export", res)
		categories, annotations = cocoClasses(t, plugintest.ZipEntries(t, hub.Download(t, res))["annotations.json"])
		return session, categories, annotations
	}

	t.Run("FromTheHub", func(t *testing.T) {
		t.Parallel()
		hub := setup(t, &exportplugin.Handler{TempDir: t.TempDir()})
		hub.SetProject(t, "p", map[string]any{"_id": "p", "name": "Streets", "categorySchema": reversedSchema})
		session, categories, annotations := run(t, hub, `{"format": "coco"}`)
		require.Equal(t, schemaOrder, categories)
		require.Equal(t, annotationsClass, annotations)
		require.Equal(t, 1, hub.ProjectRequests())
		hub.WaitLog(t, session, "class order from the project's category schema")
	})

	t.Run("HubFailureWarnsAndUsesFirstSeenOrder", func(t *testing.T) {
		t.Parallel()
		hub := setup(t, &exportplugin.Handler{TempDir: t.TempDir()})
		hub.FailProject(http.StatusForbidden, "forbidden")
		session, categories, annotations := run(t, hub, `{"format": "coco"}`)
		require.Equal(t, firstSeenOrder, categories)
		require.Equal(t, annotationsClass, annotations)
		l := hub.WaitLog(t, session, "no category schema: classes are numbered in the order first seen in the export")
		require.Equal(t, "WARNING", l.Level)
		require.Contains(t, l.Extra["error"], "forbidden")
	})

	t.Run("NoSchemaWarns", func(t *testing.T) {
		t.Parallel()
		hub := setup(t, &exportplugin.Handler{TempDir: t.TempDir()})
		hub.SetProject(t, "p", map[string]any{"_id": "p", "name": "Streets"})
		session, categories, _ := run(t, hub, `{"format": "coco"}`)
		require.Equal(t, firstSeenOrder, categories)
		l := hub.WaitLog(t, session, exportplugin.MsgNoSchema)
		require.Equal(t, "WARNING", l.Level)
	})

	t.Run("ClassesOptionNeedsNoProject", func(t *testing.T) {
		t.Parallel()
		hub := setup(t, &exportplugin.Handler{TempDir: t.TempDir()})
		_, categories, annotations := run(t, hub, `{"format": "coco", "classes": ["Road", "Car"]}`)
		require.Equal(t, []string{"Road", "Car"}, categories)
		require.Equal(t, []string{"Car", "Road"}, annotations)
		require.Zero(t, hub.ProjectRequests())
	})

	t.Run("HandlerSchemaWins", func(t *testing.T) {
		t.Parallel()
		fixed := aaf.CategorySchema{Tools: []aaf.SchemaClass{{SchemaID: "sch-tool-bus", Title: "Bus"}}}
		hub := setup(t, &exportplugin.Handler{Schema: fixed, TempDir: t.TempDir()})
		_, categories, _ := run(t, hub, `{"format": "coco"}`)
		require.Equal(t, []string{"Bus", "Car", "Sidewalk", "Road"}, categories)
		require.Zero(t, hub.ProjectRequests())
	})
}

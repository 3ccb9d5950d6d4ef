package exportplugin_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/formats"
	"github.com/exporthub/exporthub/formats/exportplugin"
	"github.com/exporthub/exporthub/formats/formatstest"
	"github.com/exporthub/exporthub/plugin"
	"github.com/exporthub/exporthub/plugin/plugintest"
)

var sample = filepath.Join("..", "testdata", "aaf", "video_small.json")

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
		require.ErrorContains(t, err, `asset[0] ("no-size.jpg"): COCO needs metadata.width and metadata.height (strict mode stops at the first problem)`)
		for _, dir := range []string{h.TempDir, out} {
			left, err := os.ReadDir(dir)
			require.NoError(t, err)
			require.Empty(t, left, dir)
		}
	})
}

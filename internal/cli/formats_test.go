package cli_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/formats/formatstest"
	"github.com/exporthub/exporthub/internal/cli"
	"github.com/exporthub/exporthub/plugin/plugintest"
)

// sampleExport is a shared AAF sample of the formats tests.
var sampleExport = filepath.Join("..", "..", "formats", "testdata", "aaf", "image_small.json")

// runFormats runs the exporthub command line in-process and returns stdout,
// stderr and the exit code.
func runFormats(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := cli.Execute(t.Context(), args, strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), cli.ExitCode(err)
}

// unzip returns the entries of a zip file.
func unzip(t *testing.T, data []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		require.NoError(t, err)
		b, err := io.ReadAll(rc)
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		out[f.Name] = b
	}
	return out
}

func TestFormatsList(t *testing.T) {
	t.Parallel()
	out, _, code := runFormats(t, "formats", "list")
	require.Equal(t, 0, code)
	for _, want := range []string{"coco", "yolo", "voc", "csv", "json", "cvat", "labelstudio", "kitti", "mask", "Options of every format:", "strict", "segmentation"} {
		require.Contains(t, out, want)
	}
	out, _, code = runFormats(t, "formats", "list", "--json")
	require.Equal(t, 0, code)
	var doc struct {
		Formats []struct{ Name string } `json:"formats"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	require.Len(t, doc.Formats, 9)
}

func TestFormatsDev(t *testing.T) {
	t.Parallel()

	t.Run("WritesTheZip", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		out, errOut, code := runFormats(t, "formats", "dev", "--export", sampleExport, "--config", `{"format": "coco"}`, "--out", dir, "--temp-dir", t.TempDir())
		require.Equal(t, 0, code, errOut)
		path := filepath.Join(dir, "image_small-coco.zip")
		require.Contains(t, out, "wrote "+path)
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		files := unzip(t, data)
		require.NoError(t, formatstest.ValidateCOCO(files["annotations.json"]))
		require.Contains(t, errOut, `objects skipped: polyline not expressible in COCO" count=1`, "the run log reports what was skipped")
	})

	t.Run("SchemaFixesClassOrder", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		schema := filepath.Join(dir, "schema.json")
		require.NoError(t, os.WriteFile(schema, []byte(`{"schema": {"tools": [{"schemaId": "sch-tool-road", "title": "Road"}, {"schemaId": "sch-tool-car", "title": "Car"}]}}`), 0o600))
		_, errOut, code := runFormats(t, "formats", "dev", "--export", sampleExport, "--config", `{"format": "yolo"}`, "--out", dir, "--project", "p1", "--schema", schema)
		require.Equal(t, 0, code, errOut)
		data, err := os.ReadFile(filepath.Join(dir, "p1-yolo.zip"))
		require.NoError(t, err)
		yaml := string(unzip(t, data)["data.yaml"])
		require.Contains(t, yaml, "names:\n  0: \"Road\"\n  1: \"Car\"\n  2: \"Bus\"\n")
	})

	for _, tc := range []struct {
		name   string
		export string
		config string
		want   string
	}{
		{"UnknownFormat", "", `{"format": "cocoa"}`, `error: formats: invalid config: unknown format "cocoa" (one of coco, csv, cvat, json, kitti, labelstudio, mask, voc, yolo)`},
		{"UnknownOption", "", `{"format": "voc", "task": "detect"}`, `error: formats: invalid config: unknown option "task" for format "voc"`},
		{"StrictMissingSize", `[{"asset": "u", "externalId": "img-004.jpg", "metadata": {}, "task": {"tools": []}}]`, `{"format": "yolo", "strict": true}`,
			`error: callback: yolo: asset 1 ("img-004.jpg"): YOLO needs metadata.width and metadata.height (strict mode stops at the first problem)`},
		{"MalformedExport", `[{"asset": "u", "externalId": "a.jpg", "metadata": {}}]`, `{"format": "csv"}`, `error: callback: csv: read export: asset 1 ("a.jpg") line 1: missing "task"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			export := sampleExport
			if tc.export != "" {
				export = filepath.Join(dir, "export.json")
				require.NoError(t, os.WriteFile(export, []byte(tc.export), 0o600))
			}
			out := filepath.Join(dir, "out")
			_, errOut, code := runFormats(t, "formats", "dev", "--export", export, "--config", tc.config, "--out", out)
			require.Equal(t, 1, code)
			require.Contains(t, errOut, tc.want)
			left, _ := os.ReadDir(out)
			require.Empty(t, left, "a failed run leaves no file behind")
		})
	}

	t.Run("MissingSizeIsReportedAndSkipped", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		export := filepath.Join(dir, "export.ndjson")
		require.NoError(t, os.WriteFile(export, []byte(
			`{"asset": "u", "externalId": "img-001.jpg", "metadata": {"width": 10, "height": 10}, "task": {"tools": []}}`+"\n"+
				`{"asset": "u", "externalId": "img-004.jpg", "metadata": {}, "task": {"tools": []}}`+"\n"), 0o600))
		_, errOut, code := runFormats(t, "formats", "dev", "--export", export, "--config", `{"format": "yolo"}`, "--out", dir)
		require.Equal(t, 0, code, errOut)
		require.Contains(t, errOut, `asset 2 (\"img-004.jpg\"): YOLO needs metadata.width and metadata.height`)
		data, err := os.ReadFile(filepath.Join(dir, "export-yolo.zip"))
		require.NoError(t, err)
		files := unzip(t, data)
		require.Contains(t, files, "labels/img-001.txt")
		require.NotContains(t, files, "labels/img-004.txt")
	})
}

// TestFormatsServe connects "exporthub formats serve" to an in-process hub
// and runs an export through it. It sets environment variables, so it does
// not run in parallel.
func TestFormatsServe(t *testing.T) {
	hub := plugintest.NewHub(t)
	hub.SetExportFile(t, sampleExport)
	t.Setenv("PLUGIN_ID", hub.ID)
	t.Setenv("PLUGIN_SECRET", hub.Secret)
	t.Setenv("HOST", "")
	t.Setenv("CONNECTOR", "")

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	var errOut bytes.Buffer
	go func() {
		done <- cli.Execute(ctx, []string{"formats", "serve", "--host", hub.URL(), "--temp-dir", t.TempDir()}, strings.NewReader(""), io.Discard, &errOut)
	}()
	hub.WaitConnected(t, 1)

	session := hub.Dispatch(t, plugintest.RunRequest{ProjectID: "p7", ConfigJSON: `{"format": "yolo", "task": "segment"}`})
	res := hub.WaitResult(t, session)
	require.True(t, res.Export, "result: %+v", res)
	up, ok := hub.Upload("p7-yolo.zip")
	require.True(t, ok, "upload named after project and format")
	files := unzip(t, up.Data)
	require.NoError(t, formatstest.ValidateYOLO(files, formatstest.YOLOSegment))
	hub.WaitLog(t, session, "objects skipped: polyline not expressible in YOLO segmentation")

	bad := hub.Dispatch(t, plugintest.RunRequest{ProjectID: "p7", ConfigJSON: `{"format": "png"}`})
	require.True(t, hub.WaitResult(t, bad).Error, "a bad config fails the run")

	cancel()
	require.NoError(t, <-done)
}

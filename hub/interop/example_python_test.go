package interop_test

import (
	"archive/zip"
	"bytes"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/store"
)

// TestExample_ClassCountsPython runs the Python plugin example of the
// README (examples/class-counts-python) as a user would, against a hub:
// its CSV counts the sample's classes and its progress lines reach the
// run's log.
func TestExample_ClassCountsPython(t *testing.T) {
	t.Parallel()
	requirePython(t)
	h := startHub(t, nil, nil)
	p := h.newPlugin(t, map[string]any{"name": "class-counts"})
	script, err := filepath.Abs("../../examples/class-counts-python/plugin.py")
	require.NoError(t, err)
	cmd := exec.Command(python, script)
	cmd.Env = []string{"HOST=" + h.URL, "PLUGIN_ID=" + p.ID, "PLUGIN_SECRET=" + p.Secret, "PYTHONUNBUFFERED=1"}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("plugin output:\n%s", out.String())
		}
	})
	h.waitInstances(t, p.ID, 1)

	run := h.startRun(t, p.ID, map[string]any{"configJSON": `{"classes": ["Car", "Person"]}`})
	end := h.waitEnd(t, run.ID, 30*time.Second)
	require.Equal(t, string(store.RunSucceeded), end.Status, end.Message)
	zipped := h.download(t, end.ExportID)
	zr, err := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
	require.NoError(t, err)
	require.Len(t, zr.File, 1)
	require.Equal(t, "class_counts.csv", zr.File[0].Name)
	rc, err := zr.File[0].Open()
	require.NoError(t, err)
	csv, err := io.ReadAll(rc)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
	require.Equal(t, "externalId,Car,Person", strings.TrimSpace(lines[0]), "the columns of the Config JSON")
	require.Len(t, lines, 3, "a header and the 2 assets of the stage Complete")

	var progress []string
	for _, l := range h.logs(t, run.ID) {
		if l.Msg == "counting" {
			progress = append(progress, string(l.Extra))
		}
	}
	require.Equal(t, []string{`{"progress":{"done":2,"total":2}}`}, progress, "the example logs its progress as an extra key (2 assets in Complete, the default stage)")
}

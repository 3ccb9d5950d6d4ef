package cli_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
	"github.com/exporthub/exporthub/internal/cli"
)

// run runs the exporthub command line in-process and returns its stdout,
// stderr and error.
func run(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := cli.Execute(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

func assetLine(extID, stage, batch string) string {
	b, _ := json.Marshal(map[string]any{
		"asset": "https://assets.example.test/" + extID, "externalId": extID, "batches": []string{batch},
		"task": map[string]any{"taskId": "t-" + extID, "stage": stage, "stageId": stage, "tools": []any{}, "classifications": []any{}, "relations": []any{}},
	})
	return string(b) + "\n"
}

func TestProjectCommand(t *testing.T) {
	t.Parallel()
	h := hubtest.Start(t, nil)
	dir := t.TempDir()
	hostFlags := []string{"--host", h.URL, "--api-key", h.AdminKey}

	out, _, err := run(t, "", append([]string{"project", "create", "--name", "Street", "--batches", "b1,b2"}, hostFlags...)...)
	require.NoError(t, err)
	id := strings.TrimSpace(out)
	require.Len(t, id, 24)

	out, _, err = run(t, "", append([]string{"project", "list"}, hostFlags...)...)
	require.NoError(t, err)
	require.Contains(t, out, id)
	require.Contains(t, out, "Street")

	var file strings.Builder
	for i := range 10 {
		stage := "Label"
		if i%2 == 0 {
			stage = "Complete"
		}
		file.WriteString(assetLine(fmt.Sprintf("a-%d", i), stage, "b1"))
	}
	in := filepath.Join(dir, "in.ndjson")
	require.NoError(t, os.WriteFile(in, []byte(file.String()), 0o600))

	t.Run("ImportFile", func(t *testing.T) {
		out, _, err := run(t, "", append([]string{"project", "import", in, "--project", id}, hostFlags...)...)
		require.NoError(t, err)
		require.Contains(t, out, "Imported 10 assets (10 new, 0 updated)")
	})
	t.Run("ImportStdinUpsert", func(t *testing.T) {
		out, _, err := run(t, assetLine("a-0", "Label", "b3"), append([]string{"project", "import", "-", "--project", id, "--mode", "upsert"}, hostFlags...)...)
		require.NoError(t, err)
		require.Contains(t, out, "Imported 1 assets (0 new, 1 updated)")
		require.Contains(t, out, `Added batch "b3" to the project.`)
	})
	t.Run("ImportInvalid", func(t *testing.T) {
		bad := filepath.Join(dir, "bad.ndjson")
		require.NoError(t, os.WriteFile(bad, []byte(assetLine("z-1", "Label", "b1")+`{"externalId":"z-2","task":[]}`+"\n"), 0o600))
		_, errOut, err := run(t, "", append([]string{"project", "import", bad, "--project", id}, hostFlags...)...)
		require.Error(t, err)
		require.Equal(t, 1, cli.ExitCode(err))
		require.Contains(t, errOut, "invalid AAF, nothing was imported")
		require.Contains(t, errOut, `asset 2, externalId "z-2", line 2`)
	})
	t.Run("ImportInvalidListsEveryProblem", func(t *testing.T) {
		bad := filepath.Join(dir, "bad3.ndjson")
		require.NoError(t, os.WriteFile(bad, []byte(assetLine("y-1", "Label", "b1")+
			`{"externalId":"y-2","task":[]}`+"\n"+
			`{"externalId":"y-3","task":{"tools":[{"objectId":"pt","point":[1,"2"]}]}}`+"\n"+
			`{"externalId":"y-4","task":{`+"\n"), 0o600))
		_, errOut, err := run(t, "", append([]string{"project", "import", bad, "--project", id}, hostFlags...)...)
		require.Equal(t, 1, cli.ExitCode(err))
		require.Equal(t, `invalid AAF, nothing was imported: asset 2 ("y-2") line 2: task: task must be an object, got array (and 2 more)
  asset 2, externalId "y-2", line 2, task: task must be an object, got array
  asset 3, externalId "y-3", line 3, task.tools[0].point[1], objectId "pt": coordinate must be a number, got string "2"
  asset 4, line 4: invalid JSON: unexpected end of input
`, errOut)
	})
	t.Run("ImportInvalidTruncated", func(t *testing.T) {
		var file strings.Builder
		for i := range hub.DefaultMaxImportErrors + 5 {
			fmt.Fprintf(&file, `{"externalId":"x-%d","task":5}`+"\n", i)
		}
		_, errOut, err := run(t, file.String(), append([]string{"project", "import", "-", "--project", id}, hostFlags...)...)
		require.Equal(t, 1, cli.ExitCode(err))
		lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
		require.Len(t, lines, 1+hub.DefaultMaxImportErrors+1, errOut)
		require.True(t, strings.HasSuffix(lines[0], fmt.Sprintf("(and at least %d more)", hub.DefaultMaxImportErrors)), lines[0])
		require.Equal(t, fmt.Sprintf(`  asset %d, externalId "x-%d", line %[1]d, task: task must be an object, got number 5`, hub.DefaultMaxImportErrors, hub.DefaultMaxImportErrors-1), lines[hub.DefaultMaxImportErrors])
		require.Equal(t, "  (more problems not listed)", lines[len(lines)-1])
	})
	t.Run("ExportToFile", func(t *testing.T) {
		outFile := filepath.Join(dir, "out.ndjson")
		_, errOut, err := run(t, "", append([]string{"project", "export", "--project", id, "--stage", "Complete", "-o", outFile}, hostFlags...)...)
		require.NoError(t, err)
		require.Contains(t, errOut, "Exported 4 assets")
		b, err := os.ReadFile(outFile)
		require.NoError(t, err)
		require.Equal(t, 4, strings.Count(string(b), "\n"))
	})
	t.Run("ExportJSONStdout", func(t *testing.T) {
		out, _, err := run(t, "", append([]string{"project", "export", id, "--format", "json", "--batch", "b3"}, hostFlags...)...)
		require.NoError(t, err)
		var arr []map[string]any
		require.NoError(t, json.Unmarshal([]byte(out), &arr))
		require.Len(t, arr, 1)
	})
	t.Run("Show", func(t *testing.T) {
		out, _, err := run(t, "", append([]string{"project", "show", "--project", id}, hostFlags...)...)
		require.NoError(t, err)
		var p hubapi.ProjectResponse
		require.NoError(t, json.Unmarshal([]byte(out), &p))
		require.EqualValues(t, 10, p.Counts.Total)
	})
	t.Run("Errors", func(t *testing.T) {
		tests := []struct {
			name string
			args []string
			want string
		}{
			{"NoKey", []string{"project", "list", "--host", h.URL, "--api-key", ""}, "no API key: pass --api-key or set EXPORTHUB_API_KEY"},
			{"BadKey", []string{"project", "list", "--host", h.URL, "--api-key", "ehk_wrong"}, "invalid API key"},
			{"UnknownProject", append([]string{"project", "show", "--project", "nope"}, hostFlags...), "not found"},
			{"MissingFile", append([]string{"project", "import", filepath.Join(dir, "none.json"), "--project", id}, hostFlags...), "open import file"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, errOut, err := run(t, "", tt.args...)
				require.Error(t, err)
				require.Contains(t, errOut, tt.want)
			})
		}
	})
}

func TestProjectCommand_Stages(t *testing.T) {
	t.Parallel()
	h := hubtest.Start(t, nil)
	hostFlags := []string{"--host", h.URL, "--api-key", h.AdminKey}
	stages := `[{"id":"lbl","name":"Labeling","type":"Label","position":{"x":100,"y":0},"next":["qa"]},` +
		`{"id":"qa","name":"QA","type":"Review","position":{"x":400,"y":0}}]`
	out, _, err := run(t, stages, append([]string{"project", "create", "--name", "Flow", "--stages", "@-", "--json"}, hostFlags...)...)
	require.NoError(t, err)
	var p hubapi.ProjectResponse
	require.NoError(t, json.Unmarshal([]byte(out), &p))
	var got []string
	for _, st := range p.Stages {
		got = append(got, fmt.Sprintf("%s %s %s %v %v", st.ID, st.Name, st.Type, st.Position.X, st.Next))
	}
	require.Equal(t, []string{"Start Start Start 0 []", "lbl Labeling Label 100 [qa]", "qa QA Review 400 []", "Complete Complete Complete 700 []"}, got)

	out, _, err = run(t, "", append([]string{"project", "update", "--project", p.ID, "--name", "Flow 2", "--stages", "Label,Second review", "--json"}, hostFlags...)...)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal([]byte(out), &p))
	require.Equal(t, "Flow 2", p.Name)
	got = got[:0]
	for _, st := range p.Stages {
		got = append(got, string(st.Type)+" "+st.Name)
	}
	require.Equal(t, []string{"Start Start", "Label Label", "Review Second review", "Complete Complete"}, got)

	_, _, err = run(t, "", append([]string{"project", "update", "--project", p.ID, "--stages", `[{"id":"x","type":"Nope"}]`}, hostFlags...)...)
	require.ErrorContains(t, err, `stages[0] (x): type "Nope" is not one of Start, Label, Review`)

	// Batches: set, renamed around a kept one (its id stays), removed.
	batchesOf := func(args ...string) []hubapi.BatchJSON {
		out, _, err := run(t, "", append(append([]string{"project", "update", "--project", p.ID, "--json"}, args...), hostFlags...)...)
		require.NoError(t, err)
		var q hubapi.ProjectResponse
		require.NoError(t, json.Unmarshal([]byte(out), &q))
		return q.Batches
	}
	first := batchesOf("--batches", "day,night")
	require.Equal(t, []string{"day", "night"}, []string{first[0].Name, first[1].Name})
	second := batchesOf("--batches", "night, dusk")
	require.Equal(t, first[1], second[0], "night keeps its id")
	require.Equal(t, "dusk", second[1].Name)
	require.Equal(t, second, batchesOf("--name", "Flow 3"), "no --batches: the batches stay")
	require.Empty(t, batchesOf("--batches", ""))
}

// angoZip writes what Ango's Export button downloads for the sample: a
// zip whose first entry is the JSON export.
func angoZip(t *testing.T, dir string) string {
	t.Helper()
	export, err := os.ReadFile("../../aaf/testdata/image_small.json")
	require.NoError(t, err)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("Street scenes-2024-03-05T10_00_00.json")
	require.NoError(t, err)
	_, err = w.Write(export)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	path := filepath.Join(dir, "street-scenes-export.zip")
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o600))
	return path
}

// TestProjectCommand_AngoZip imports Ango's export zip from a file (read
// in place by the CLI) and from stdin (read by the hub), and an issue
// export.
func TestProjectCommand_AngoZip(t *testing.T) {
	t.Parallel()
	h := hubtest.Start(t, nil)
	dir := t.TempDir()
	hostFlags := []string{"--host", h.URL, "--api-key", h.AdminKey}
	create := func(name string) string {
		out, _, err := run(t, "", append([]string{"project", "create", "--name", name}, hostFlags...)...)
		require.NoError(t, err)
		return strings.TrimSpace(out)
	}
	zipPath := angoZip(t, dir)

	file := create("from file")
	out, errOut, err := run(t, "", append([]string{"project", "import", zipPath, "--project", file}, hostFlags...)...)
	require.NoError(t, err)
	require.Contains(t, errOut, "Reading Street scenes-2024-03-05T10_00_00.json from "+zipPath+".")
	require.Contains(t, out, "Imported 3 assets (3 new, 0 updated)")

	zipped, err := os.ReadFile(zipPath)
	require.NoError(t, err)
	stdin := create("from stdin")
	out, _, err = run(t, string(zipped), append([]string{"project", "import", "-", "--project", stdin}, hostFlags...)...)
	require.NoError(t, err)
	require.Contains(t, out, "Imported 3 assets (3 new, 0 updated)")

	issues := filepath.Join(dir, "issues.json")
	require.NoError(t, os.WriteFile(issues, []byte(`[{"_id": "i-1", "labelTask": "65f0a1b2c3d4e5f600000001", "content": "loose box",
		"createdBy": "reviewer.one@example.com", "createdAt": "2024-03-04T10:12:40.500Z"}]`), 0o600))
	out, _, err = run(t, "", append([]string{"project", "import-issues", issues, "--project", file}, hostFlags...)...)
	require.NoError(t, err)
	require.Equal(t, "Imported 1 issues (1 new, 0 updated).\n", out)
	out, _, err = run(t, "", append([]string{"project", "import-issues", issues, "--project", file, "--mode", "upsert"}, hostFlags...)...)
	require.NoError(t, err)
	require.Equal(t, "Imported 1 issues (0 new, 1 updated).\n", out)
	_, errOut, err = run(t, `[{"_id": "i-2"}]`, append([]string{"project", "import-issues", "-", "--project", file}, hostFlags...)...)
	require.Error(t, err)
	require.Contains(t, errOut, `issue 1 (_id "i-2"): labelTask is required`)

	notZip := filepath.Join(dir, "broken.zip")
	require.NoError(t, os.WriteFile(notZip, zipped[:len(zipped)/2], 0o600))
	_, errOut, err = run(t, "", append([]string{"project", "import", notZip, "--project", file}, hostFlags...)...)
	require.Error(t, err)
	require.Contains(t, errOut, "the zip cannot be read")
}

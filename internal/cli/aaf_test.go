package cli_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/internal/cli"
)

// runAAF runs the exporthub command line in-process with stdin and returns
// stdout, stderr and the exit code.
func runAAF(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := cli.Execute(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), cli.ExitCode(err)
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

func TestAAFValidate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var gen bytes.Buffer
	require.NoError(t, aaf.Generate(&gen, aaf.FormatJSON, aaf.GenOptions{Assets: 25, Seed: 3, Kind: aaf.AssetKindMixed}))
	good := writeFile(t, dir, "good.json", gen.String())
	one := writeFile(t, dir, "one.ndjson", `{"externalId":"a.jpg","task":{}}`+"\n")
	bad := writeFile(t, dir, "bad.ndjson", `{"externalId":"a.jpg","task":{}}`+"\n"+
		`{"externalId":"b.jpg","task":{"tools":[{"objectId":"o","polygon":[[1,2],[3]]}]}}`+"\n")
	truncated := writeFile(t, dir, "truncated.json", "[\n"+`{"externalId":"a.jpg","task":{`)
	missing := filepath.Join(dir, "missing.json")

	t.Run("Good", func(t *testing.T) {
		t.Parallel()
		out, errOut, code := runAAF(t, "", "aaf", "validate", good, one)
		require.Equal(t, 0, code)
		require.Equal(t, good+": ok: 25 assets\n"+one+": ok: 1 asset\n", out)
		require.Empty(t, errOut)
	})
	t.Run("BadFilesDoNotStopTheOthers", func(t *testing.T) {
		t.Parallel()
		out, errOut, code := runAAF(t, "", "aaf", "validate", bad, good, truncated, missing)
		require.Equal(t, 1, code)
		require.Equal(t, good+": ok: 25 assets\n", out)
		require.Equal(t,
			bad+`: asset 2 ("b.jpg") line 2: task.tools[0].polygon[1] (objectId "o"): vertex must be [x, y] (2 numbers), got 1 value`+"\n"+
				truncated+": asset 1 line 2: invalid JSON: unexpected end of input\n"+
				missing+": open "+missing+": no such file or directory\n",
			errOut)
	})
	t.Run("Stdin", func(t *testing.T) {
		t.Parallel()
		out, _, code := runAAF(t, gen.String(), "aaf", "validate", "-")
		require.Equal(t, 0, code)
		require.Equal(t, "-: ok: 25 assets\n", out)
	})
	t.Run("Warnings", func(t *testing.T) {
		t.Parallel()
		in := `{"externalId":"w.jpg","task":{"tools":[{"objectId":"o","polygon":[[1,2],[3,4]]}]}}`
		out, errOut, code := runAAF(t, in, "aaf", "validate", "--warnings", "-")
		require.Equal(t, 0, code)
		require.Equal(t, "-: ok: 1 asset\n", out)
		require.Equal(t, `-: warning: asset 1 ("w.jpg") line 1: task.tools[0].polygon (objectId "o"): polygon has 2 vertices; a valid polygon needs at least 3`+"\n", errOut)
	})
	t.Run("EveryProblemOfAFile", func(t *testing.T) {
		t.Parallel()
		lines := []string{
			`{"externalId":"a.jpg","task":{}}`,
			`{"externalId":"b.jpg","task":{"tools":[{"objectId":"o","polygon":[[1,2],[3]]}]}}`,
			`{"externalId":"c.jpg"}`,
			`{"externalId":"d.jpg","task":{`,
			`{"externalId":"e.jpg","task":{"tools":[{"objectId":"p","point":["1",2]}]}}`,
			`{"externalId":"f.jpg","task":{}}`,
		}
		nd := writeFile(t, t.TempDir(), "many.ndjson", strings.Join(lines, "\n")+"\n")
		arr := writeFile(t, t.TempDir(), "many.json", "[\n"+strings.Join(lines[:3], ",\n")+",\n"+lines[4]+",\n"+lines[3]+",\n"+lines[5]+"\n]\n")
		const (
			polygon = `asset 2 ("b.jpg") line %d: task.tools[0].polygon[1] (objectId "o"): vertex must be [x, y] (2 numbers), got 1 value`
			noTask  = `asset 3 ("c.jpg") line %d: missing "task" (and no legacy "tasks")`
			point   = `asset %d ("e.jpg") line %d: task.tools[0].point[0] (objectId "p"): coordinate must be a number, got string "1"`
		)
		for _, tc := range []struct {
			name string
			args []string
			want []string
		}{
			{"NDJSON", []string{nd}, []string{
				fmt.Sprintf(polygon, 2), fmt.Sprintf(noTask, 3), "asset 4 line 4: invalid JSON: unexpected end of input", fmt.Sprintf(point, 5, 5),
			}},
			{"JSONArraySyntaxErrorEndsIt", []string{arr}, []string{
				fmt.Sprintf(polygon, 3), fmt.Sprintf(noTask, 4), fmt.Sprintf(point, 4, 5),
				"asset 5 line 8: invalid JSON: unexpected end of input", // the open object takes the rest of the array
			}},
			{"MaxErrors", []string{"--max-errors", "2", nd}, []string{
				fmt.Sprintf(polygon, 2), fmt.Sprintf(noTask, 3), "more problems not listed (--max-errors 2)",
			}},
			{"MaxErrorsExactlyReached", []string{"--max-errors", "4", nd}, []string{
				fmt.Sprintf(polygon, 2), fmt.Sprintf(noTask, 3), "asset 4 line 4: invalid JSON: unexpected end of input", fmt.Sprintf(point, 5, 5),
			}},
			{"MaxErrorsOneStopsAtTheFirst", []string{"--max-errors", "1", nd}, []string{fmt.Sprintf(polygon, 2)}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				out, errOut, code := runAAF(t, "", append([]string{"aaf", "validate"}, tc.args...)...)
				require.Equal(t, 1, code)
				require.Empty(t, out)
				name := tc.args[len(tc.args)-1]
				var want strings.Builder
				for _, w := range tc.want {
					want.WriteString(name + ": " + w + "\n")
				}
				require.Equal(t, want.String(), errOut)
			})
		}
	})
	t.Run("BadMaxErrors", func(t *testing.T) {
		t.Parallel()
		_, errOut, code := runAAF(t, "", "aaf", "validate", "--max-errors", "0", good)
		require.Equal(t, 1, code)
		require.Equal(t, "error: --max-errors must be at least 1, got 0\n", errOut)
	})
	t.Run("NoArguments", func(t *testing.T) {
		t.Parallel()
		_, errOut, code := runAAF(t, "", "aaf", "validate")
		require.Equal(t, 1, code)
		require.Contains(t, errOut, "requires at least 1 arg")
	})
}

func TestAAFGen(t *testing.T) {
	t.Parallel()
	t.Run("DeterministicAndValid", func(t *testing.T) {
		t.Parallel()
		out, errOut, code := runAAF(t, "", "aaf", "gen", "--assets", "40", "--seed", "9", "--kind", "mixed")
		require.Equal(t, 0, code, errOut)
		again, _, _ := runAAF(t, "", "aaf", "gen", "--assets", "40", "--seed", "9", "--kind", "mixed")
		require.Equal(t, out, again)
		require.Equal(t, 40, strings.Count(out, "\n"), "NDJSON by default")
		valid, _, code := runAAF(t, out, "aaf", "validate", "-")
		require.Equal(t, 0, code)
		require.Equal(t, "-: ok: 40 assets\n", valid)

		var want bytes.Buffer
		require.NoError(t, aaf.Generate(&want, aaf.FormatNDJSON, aaf.GenOptions{Assets: 40, Seed: 9, Kind: aaf.AssetKindMixed}))
		require.Equal(t, want.String(), out, "the command writes what aaf.Generate writes")
	})
	t.Run("JSONVideo", func(t *testing.T) {
		t.Parallel()
		out, _, code := runAAF(t, "", "aaf", "gen", "--assets", "3", "--format", "json", "--kind", "video")
		require.Equal(t, 0, code)
		var assets []map[string]any
		require.NoError(t, json.Unmarshal([]byte(out), &assets))
		require.Len(t, assets, 3)
		require.Contains(t, out, `"frameTotal":300`)
	})
	t.Run("ZeroAssets", func(t *testing.T) {
		t.Parallel()
		out, _, code := runAAF(t, "", "aaf", "gen", "--assets", "0", "--format", "json")
		require.Equal(t, 0, code)
		require.Equal(t, "[]\n", out)
	})
	t.Run("Project", func(t *testing.T) {
		t.Parallel()
		out, _, code := runAAF(t, "", "aaf", "gen", "--project", "--kind", "text", "--batches", "2")
		require.Equal(t, 0, code)
		var p struct {
			Schema  aaf.CategorySchema `json:"schema"`
			Stages  []aaf.GenStage     `json:"stages"`
			Batches []string           `json:"batches"`
		}
		require.NoError(t, json.Unmarshal([]byte(out), &p))
		require.Equal(t, aaf.GenSchema(aaf.GenOptions{Kind: aaf.AssetKindText}), p.Schema)
		require.Equal(t, []string{"batch-000", "batch-001"}, p.Batches)
		require.Len(t, p.Stages, 4)
	})
	t.Run("AngoZip", func(t *testing.T) {
		t.Parallel()
		zipped, errOut, code := runAAF(t, "", "aaf", "gen", "--assets", "5", "--format", "json", "--zip")
		require.Equal(t, 0, code, errOut)
		again, _, _ := runAAF(t, "", "aaf", "gen", "--assets", "5", "--format", "json", "--zip")
		require.Equal(t, zipped, again, "the same flags give the same bytes")
		bare, _, _ := runAAF(t, "", "aaf", "gen", "--assets", "5", "--format", "json")
		zr, err := zip.NewReader(strings.NewReader(zipped), int64(len(zipped)))
		require.NoError(t, err)
		require.Len(t, zr.File, 1)
		require.Equal(t, "export.json", zr.File[0].Name)
		rc, err := zr.File[0].Open()
		require.NoError(t, err)
		entry, err := io.ReadAll(rc)
		require.NoError(t, err)
		require.Equal(t, bare, string(entry), "the zip's file is the export")
	})
	t.Run("Schema", func(t *testing.T) {
		t.Parallel()
		out, _, code := runAAF(t, "", "aaf", "gen", "--schema")
		require.Equal(t, 0, code)
		var schema aaf.CategorySchema
		require.NoError(t, json.Unmarshal([]byte(out), &schema), "the file project create --schema reads")
		require.Equal(t, aaf.GenSchema(aaf.GenOptions{}), schema)
		require.NotEmpty(t, schema.Tools)
	})
	t.Run("BadFlags", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"--format", "xml"}, `error: aaf: unknown format "xml" (want json or ndjson)`},
			{[]string{"--kind", "audio"}, `error: aaf: unknown asset kind "audio" (want image, video, text or mixed)`},
			{[]string{"--assets", "-1"}, `error: --assets must not be negative, got -1`},
		} {
			_, errOut, code := runAAF(t, "", append([]string{"aaf", "gen"}, tc.args...)...)
			require.Equal(t, 1, code)
			require.Equal(t, tc.want+"\n", errOut)
		}
	})
}

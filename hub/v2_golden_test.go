package hub_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/hubtest"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/v2")

// timeRE matches the RFC 3339 times of an answer.
var timeRE = regexp.MustCompile(`"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"`)

// v2Golden calls GET path with the admin key and compares the answer,
// indented, with testdata/v2/NAME.json once the values in names (value ->
// placeholder) and the times of this run are replaced by placeholders
// (times that come from the imported data are kept: pass them in keep).
func v2Golden(t *testing.T, h *hubtest.Hub, name, path string, names map[string]string, keep ...string) {
	t.Helper()
	body := h.JSON(t, "GET", path, h.AdminKey, nil, http.StatusOK, nil)
	var out bytes.Buffer
	require.NoError(t, json.Indent(&out, body, "", "  "))
	got := out.String()
	for value, placeholder := range names {
		got = strings.ReplaceAll(got, value, placeholder)
	}
	got = timeRE.ReplaceAllStringFunc(got, func(s string) string {
		for _, k := range keep {
			if s == `"`+k+`"` {
				return s
			}
		}
		return `"<time>"`
	})
	got += "\n"
	file := filepath.Join("testdata", "v2", name+".json")
	if *updateGolden {
		require.NoError(t, os.WriteFile(file, []byte(got), 0o644))
	}
	want, err := os.ReadFile(file)
	require.NoError(t, err, "run go test -update to write %s", file)
	require.Equal(t, string(want), got, "GET %s differs from %s", path, file)
}

// TestV2_ProjectGolden checks GET /v2/project/{id} against its golden
// shape: Ango's stages (type, position, next), batches, category schema.
func TestV2_ProjectGolden(t *testing.T) {
	t.Parallel()
	h := hubtest.Start(t, nil)
	p := createProject(t, h, h.AdminKey, map[string]any{"name": "Street scenes", "description": "cars and people",
		"batches": []string{"day", "night"},
		"categorySchema": map[string]any{"tools": []any{map[string]any{"schemaId": "sch-car", "title": "Car", "tool": "bounding-box"}},
			"classifications": []any{map[string]any{"schemaId": "sch-weather", "title": "Weather", "tool": "radio"}}},
		"stages": []any{"Start", map[string]any{"id": "Label", "name": "Label", "type": "Label", "next": []string{"5c0f-review"}},
			map[string]any{"id": "5c0f-review", "name": "QA Review", "type": "Review", "position": map[string]any{"x": 450, "y": 120}}, "Complete"}})
	v2Golden(t, h, "project", "/v2/project/"+p.ID, map[string]string{
		p.ID: "<project id>", h.OrgID: "<org id>", p.Batches[0].ID: "<batch day id>", p.Batches[1].ID: "<batch night id>"})
}

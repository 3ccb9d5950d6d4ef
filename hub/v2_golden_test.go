package hub_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/hubapi"
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

// urlRE matches the URLs of an answer up to their query string.
var urlRE = regexp.MustCompile(`"(https?://[^"?]*)(\?[^"]*)?"`)

// blobKeyRE matches the year and random part of a blob key in a URL.
var blobKeyRE = regexp.MustCompile(`/\d{4}/[0-9a-f]{32}/`)

// v2GoldenText compares an answer with testdata/v2/NAME.json as v2Golden
// does; URLs keep their path with the values of names replaced and the
// year and random part of the blob key written <year>/<random>, and lose
// their query (signatures, expiry) to "?<signed>".
func v2GoldenText(t *testing.T, h *hubtest.Hub, name string, body []byte, names map[string]string) {
	t.Helper()
	var out bytes.Buffer
	require.NoError(t, json.Indent(&out, body, "", "  "))
	got := urlRE.ReplaceAllStringFunc(out.String(), func(s string) string {
		m := urlRE.FindStringSubmatch(s)
		u := strings.Replace(m[1], h.URL, "<hub>", 1)
		u = blobKeyRE.ReplaceAllString(u, "/<year>/<random>/")
		if m[2] != "" {
			u += "?<signed>"
		}
		return `"` + u + `"`
	})
	for value, placeholder := range names {
		got = strings.ReplaceAll(got, value, placeholder)
	}
	got = timeRE.ReplaceAllString(got, `"<time>"`) + "\n"
	file := filepath.Join("testdata", "v2", name+".json")
	if *updateGolden {
		require.NoError(t, os.WriteFile(file, []byte(got), 0o644))
	}
	want, err := os.ReadFile(file)
	require.NoError(t, err, "run go test -update to write %s", file)
	require.Equal(t, string(want), got, "%s differs from %s", name, file)
}

// TestV2_FilesGolden checks the /v2 shapes of the calls a plugin makes
// around files against their golden files: the export (tasks and
// issues), the upload and signed URLs, the storages.
func TestV2_FilesGolden(t *testing.T) {
	t.Parallel()
	h := hubtest.Start(t, nil)
	p := sampleProject(t, h, "Street scenes")
	var st hubapi.StorageResponse
	h.JSON(t, "POST", "/api/storages", h.AdminKey, map[string]any{"name": "Team bucket", "provider": "AWS",
		"bucket": "team-exports", "region": "eu-west-1", "accessKey": "AKIAEXAMPLE", "secretKey": "not-shown",
		"skipCheck": true}, http.StatusCreated, &st)
	names := map[string]string{p.ID: "<project id>", h.OrgID: "<org id>", st.ID: "<storage id>"}
	get := func(path string) []byte {
		return h.JSON(t, "GET", path, h.AdminKey, nil, http.StatusOK, nil)
	}

	exp := get("/v2/export?project=" + p.ID + "&stage=" + url.QueryEscape(`["Complete"]`) + "&includeHistory=false&includeMetadata=false")
	v2GoldenText(t, h, "export", exp, names)
	// The export file: the assets of Complete as the SDK's default run
	// gets them, without stage history and metadata as asked.
	var res v2[hubapi.V2ExportResponse]
	require.NoError(t, json.Unmarshal(exp, &res))
	status, zipped := httpGet(t, res.Data.ExportPath)
	require.Equal(t, http.StatusOK, status)
	entries := readZip(t, zipped)
	require.Contains(t, entries, "Street_scenes.json")
	v2GoldenText(t, h, "export_file", entries["Street_scenes.json"], names)
	v2GoldenText(t, h, "export_issues", get("/v2/export?project="+p.ID+"&type=issue&format=ndjson"), names)
	up := get("/v2/getUploadUrl?name=report.zip&project=" + p.ID + "&type=exports")
	v2GoldenText(t, h, "upload_url", up, names)
	var upload v2[hubapi.V2UploadURLResponse]
	require.NoError(t, json.Unmarshal(up, &upload))
	v2GoldenText(t, h, "signed_url", get("/v2/getSignedUrl?name="+url.QueryEscape(upload.Data.UploadURL)), names)
	v2GoldenText(t, h, "storages", get("/v2/storages"), names)
}

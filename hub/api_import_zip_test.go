package hub_test

import (
	"archive/zip"
	"bytes"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
)

// TestProjects_ImportZip imports Ango's export zip (its first entry the
// JSON or NDJSON export) through the API as the bare file is imported, on
// both backends, and checks the zip's own errors.
func TestProjects_ImportZip(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b hubtest.Backend) {
		h := hubtest.Start(t, &hubtest.Options{Backend: b, Configure: func(c *hub.Config) { c.MaxImportBytes = 64 << 10 }})
		jsonExport, err := os.ReadFile("../aaf/testdata/image_small.json")
		require.NoError(t, err)
		ndjsonExport, err := os.ReadFile(sampleNDJSON)
		require.NoError(t, err)
		count := func(id string) int64 {
			var p hubapi.ProjectResponse
			h.JSON(t, "GET", "/api/projects/"+id, h.AdminKey, nil, http.StatusOK, &p)
			return p.Counts.Total
		}
		var zipDir bytes.Buffer
		zw := zip.NewWriter(&zipDir)
		_, err = zw.Create("export/")
		require.NoError(t, err)
		require.NoError(t, zw.Close())

		tests := []struct {
			name  string
			body  []byte
			want  int
			check func(t *testing.T, body []byte)
		}{
			{"JSONEntry", zipOf(t, "Street scenes-2024-03-05.json", jsonExport), http.StatusOK, func(t *testing.T, body []byte) {
				require.Contains(t, string(body), `"imported":3`)
			}},
			{"NDJSONEntry", zipOf(t, "Street scenes.ndjson", ndjsonExport), http.StatusOK, nil},
			{"InvalidAAFInside", zipOf(t, "x.ndjson", []byte(`{"externalId":"a","task":7}`+"\n")), http.StatusBadRequest, func(t *testing.T, body []byte) {
				require.Contains(t, string(body), `"code":"invalid_aaf"`)
				require.Contains(t, string(body), `"line":1`)
			}},
			{"NoFile", zipDir.Bytes(), http.StatusBadRequest, func(t *testing.T, body []byte) {
				require.Contains(t, string(body), "the zip holds no file: want a zip whose first file is the JSON or NDJSON export")
			}},
			{"Cut", zipOf(t, "a.json", jsonExport)[:200], http.StatusBadRequest, func(t *testing.T, body []byte) {
				require.Contains(t, string(body), "the zip cannot be read")
			}},
			{"EntryLargerThanLimit", zipOf(t, "big.json", []byte("["+strings.Repeat(" ", 70<<10)+"]")), http.StatusRequestEntityTooLarge, func(t *testing.T, body []byte) {
				require.Contains(t, string(body), "nothing was imported: the zip's file is larger than the limit: big.json holds more than 65536 bytes")
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p := createProject(t, h, h.AdminKey, map[string]any{"name": tt.name})
				body := h.JSON(t, "POST", "/api/projects/"+p.ID+"/import", h.AdminKey, tt.body, tt.want, nil)
				if tt.check != nil {
					tt.check(t, body)
				}
				if tt.want == http.StatusOK {
					require.EqualValues(t, 3, count(p.ID))
				} else {
					require.Zero(t, count(p.ID), "nothing is imported")
				}
			})
		}
		left, err := os.ReadDir(h.DataDir)
		require.NoError(t, err)
		for _, e := range left {
			require.False(t, strings.HasPrefix(e.Name(), "zipfirst-"), "the temporary copies are removed: %s", e.Name())
		}
	})
}

package hub_test

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/exporthub/exporthub/hub/hubtest"
)

// forEachBackend runs f as one subtest per database backend.
func forEachBackend(t *testing.T, f func(t *testing.T, b hubtest.Backend)) {
	t.Helper()
	for _, b := range hubtest.Backends {
		t.Run(backendName(b), func(t *testing.T) {
			t.Parallel()
			f(t, b)
		})
	}
}

func backendName(b hubtest.Backend) string {
	if b == hubtest.Postgres {
		return "Postgres"
	}
	return "SQLite"
}

// testAsset returns a small valid v3 AAF asset.
func testAsset(extID, stage string, batches ...string) map[string]any {
	if batches == nil {
		batches = []string{}
	}
	return map[string]any{
		"asset":      "https://assets.example.test/" + extID,
		"externalId": extID,
		"metadata":   map[string]any{"width": 640, "height": 480},
		"batches":    batches,
		"task": map[string]any{
			"taskId":    "task-" + extID,
			"stage":     stage,
			"stageId":   stage,
			"updatedAt": "2024-03-04T10:15:30.120Z",
			"updatedBy": "labeler@example.test",
			"tools": []any{map[string]any{
				"objectId": "obj-" + extID, "schemaId": "sch-car", "title": "Car",
				"bounding-box": map[string]any{"x": 1, "y": 2, "width": 30, "height": 40},
			}},
			"classifications": []any{},
			"relations":       []any{},
		},
	}
}

// ndjson encodes assets one per line.
func ndjson(t *testing.T, assets ...map[string]any) string {
	t.Helper()
	var b strings.Builder
	for _, a := range assets {
		line, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// manyAssets returns n assets ext-0..ext-(n-1), alternating stages
// Label/Complete and batches b1/b2.
func manyAssets(n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		stage, batch := "Label", "b1"
		if i%2 == 1 {
			stage, batch = "Complete", "b2"
		}
		out[i] = testAsset(fmt.Sprintf("ext-%d", i), stage, batch)
	}
	return out
}

func decodeJSON(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }

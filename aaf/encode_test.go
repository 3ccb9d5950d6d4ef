package aaf_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/aaf"
)

// jsonValues decodes a JSON array or NDJSON into generic values, so two
// encodings compare as JSON values (key order and number spelling aside).
func jsonValues(t testing.TB, data []byte) []any {
	t.Helper()
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var out []any
		require.NoError(t, json.Unmarshal(trimmed, &out))
		return out
	}
	var out []any
	dec := json.NewDecoder(bytes.NewReader(data))
	for dec.More() {
		var v any
		require.NoError(t, dec.Decode(&v))
		out = append(out, v)
	}
	return out
}

// roundTrip decodes data and encodes every asset in format f.
func roundTrip(t testing.TB, data []byte, f aaf.Format) []byte {
	t.Helper()
	var out bytes.Buffer
	enc := aaf.NewEncoder(&out, f)
	for a, err := range aaf.Assets(bytes.NewReader(data)) {
		require.NoError(t, err)
		require.NoError(t, enc.Encode(a))
	}
	require.NoError(t, enc.Close())
	return out.Bytes()
}

func TestEncoder_Encode_RoundTripSamples(t *testing.T) {
	t.Parallel()
	for name := range sampleFiles {
		for _, f := range []aaf.Format{aaf.FormatJSON, aaf.FormatNDJSON} {
			t.Run(name+"/"+f.String(), func(t *testing.T) {
				t.Parallel()
				data := readFile(t, name)
				out := roundTrip(t, data, f)
				require.Equal(t, jsonValues(t, data), jsonValues(t, out))
				if f == aaf.FormatNDJSON {
					require.Equal(t, sampleFiles[name], bytes.Count(out, []byte("\n")), "one line per asset")
				}
				// Encoding is stable: a second round trip gives the same bytes.
				require.Equal(t, string(out), string(roundTrip(t, out, f)))
			})
		}
	}
}

func TestEncoder_Encode_RoundTripTolerated(t *testing.T) {
	t.Parallel()
	// Inputs the reader tolerates must come back as the same JSON value.
	for _, tc := range []struct{ name, input string }{
		{"NullsInBatches", `{"externalId":"x.jpg","batches":["a",null,"b",null],"task":{}}`},
		{"OddBatches", `{"externalId":"x.jpg","batches":"a","task":{}}`},
		{"EmptyStrings", v3(`"taskId":"","stage":"","brushDataUrl":"","medicalBrushDataUrl":"","isSkipped":false`)},
		{"NullsAndEpochs", v3(`"updatedAt":1709546100000,"updatedBy":null,"brushDataUrl":null`)},
		{"WrongTypesKept", `{"externalId":"x.jpg","asset":7,"metadata":{"width":"640","height":null},"dataset":[1],"task":{"tools":[{"objectId":"o","title":5,"point":[1,2],"interpolationStopped":"yes"}]}}`},
		{"MetadataNotObject", `{"externalId":"x.jpg","metadata":[],"task":{"review":"none"}}`},
		{"UnknownGeometry", v3(`"tools":[{"objectId":"o","circle":{"cx":1,"r":2},"spline":[[1,2],[3,4]]}]`)},
		{"BoxExtraKeys", v3(`"tools":[{"objectId":"o","bounding-box":{"x":1,"y":2,"width":3,"height":4,"z":5}}]`)},
		{"FlatHoles", v3(`"tools":[{"objectId":"o","segmentation":{"zones":[{"region":[[0,0],[9,0],[9,9]],"holes":[[1,1],[2,1],[2,2]],"area":3}],"v":2}}]`)},
		{"SegmentationNoZones", v3(`"tools":[{"objectId":"o","segmentation":{"zones":[]}},{"objectId":"p","segmentation":{}}]`)},
		{"Answers", v3(`"classifications":[{"answer":"a"},{"answer":["a"]},{"answer":[]},{"answer":null},{"answer":{"x":1}},{"answer":[1,"a"]},{"tool":"text"},{"answer":""}]`)},
		{"Relations", v3(`"tools":[{"objectId":"o","point":[1,2]}],"relations":[{"objectId":"r","from":"o","to":"o"},{"objectId":"g","group":[]},{"objectId":"h","group":["o"],"page":2,"metadata":{"createdAt":"2024"}}]`)},
		{"PDF", v3(`"tools":[{"objectId":"o","pdf":{"position":{"boundingRect":{"x1":1,"y1":2,"x2":3,"y2":4,"width":600,"height":800},"rects":[],"pageNumber":1},"content":{"text":"hi"},"more":true}}]`)},
		{"PDFOdd", v3(`"tools":[{"objectId":"o","pdf":"page 1"}]`)},
		{"Numbers", v3(`"tools":[{"objectId":"o","polygon":[[1e-7,2.5E+3],[-0.0,1e20],[123456789012345678,0.1]]}]`)},
		{"Escapes", `{"externalId":"x\"\\\/\b\f\n\r\t\u0001\u00e9\ud83d\ude00.jpg","task":{"k\u00e9y":"\u2028"}}`},
		{"NERAudio", v3(`"tools":[{"objectId":"o","ner":{"start":0.5,"end":2.25}}]`)},
		{"LegacyWithReview", `{"externalId":"x.jpg","tasks":[{"objects":[],"review":{"status":"Todo","completedBy":[],"completedAt":null}},{"objects":[{"objectId":"o","point":[1,2]}]}]}`},
		{"LegacyEmptyTasks", `{"externalId":"x.jpg","tasks":[]}`},
		{"BothTaskShapes", `{"externalId":"x.jpg","task":{"tools":[]},"tasks":[{"objects":[]}]}`},
		{"TaskObjectsKeyInV3", v3(`"tools":[],"objects":[1]`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := roundTrip(t, []byte(tc.input+"\n"), aaf.FormatNDJSON)
			require.Equal(t, jsonValues(t, []byte(tc.input)), jsonValues(t, out), "got %s", out)
		})
	}
}

func TestEncoder_Close(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		f    aaf.Format
		n    int
		want string
	}{
		{"EmptyJSON", aaf.FormatJSON, 0, "[]\n"},
		{"EmptyNDJSON", aaf.FormatNDJSON, 0, ""},
		{"TwoJSON", aaf.FormatJSON, 2, "[\n" + minimal("a0") + ",\n" + minimal("a1") + "\n]\n"},
		{"TwoNDJSON", aaf.FormatNDJSON, 2, minimal("a0") + "\n" + minimal("a1") + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			enc := aaf.NewEncoder(&out, tc.f)
			for i := range tc.n {
				var a aaf.Asset
				require.NoError(t, json.Unmarshal([]byte(minimal("a"+string(rune('0'+i)))), &a))
				require.NoError(t, enc.Encode(&a))
			}
			require.NoError(t, enc.Close())
			require.NoError(t, enc.Close(), "a second Close is a no-op")
			require.Equal(t, tc.want, out.String())
			require.Error(t, enc.Encode(&aaf.Asset{}), "Encode after Close fails")
		})
	}
}

func TestEncoder_EncodeRaw(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	enc := aaf.NewEncoder(&out, aaf.FormatNDJSON)
	require.NoError(t, enc.EncodeRaw(json.RawMessage("{\n  \"externalId\": \"a b\",\n  \"task\": {}\n}")))
	require.ErrorContains(t, enc.EncodeRaw(json.RawMessage(`[1]`)), "not a JSON object")
	require.ErrorContains(t, enc.EncodeRaw(json.RawMessage(`{"a":`)), "invalid JSON")
	require.NoError(t, enc.Close())
	require.Equal(t, `{"externalId":"a b","task":{}}`+"\n", out.String())
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestEncoder_Errors(t *testing.T) {
	t.Parallel()
	enc := aaf.NewEncoder(failWriter{}, aaf.FormatJSON)
	nan := math.NaN()
	err := enc.Encode(&aaf.Asset{ExternalID: "n.jpg", Metadata: aaf.Metadata{Width: &nan}})
	require.ErrorContains(t, err, `encode asset "n.jpg": aaf: number is NaN or infinite`)
	require.NoError(t, enc.Encode(&aaf.Asset{ExternalID: "ok.jpg"}), "a failed Encode leaves the encoder usable")
	require.ErrorContains(t, enc.Close(), "write aaf output: disk full")
}

func TestAsset_MarshalJSON(t *testing.T) {
	t.Parallel()
	data := readFile(t, "image_small.json")
	// encoding/json uses the model's methods in both directions.
	var assets []*aaf.Asset
	require.NoError(t, json.Unmarshal(data, &assets))
	require.Len(t, assets, 3)
	out, err := json.Marshal(assets)
	require.NoError(t, err)
	require.Equal(t, jsonValues(t, data), jsonValues(t, out))

	var values []aaf.Asset
	require.NoError(t, json.Unmarshal(data, &values))
	out, err = json.Marshal(values)
	require.NoError(t, err)
	require.Equal(t, jsonValues(t, data), jsonValues(t, out), "value receivers marshal too")

	// A bad asset reports the same error as the reader, counted from the
	// start of the value.
	var a aaf.Asset
	bad := bytes.TrimSpace(readFile(t, "malformed/bbox_wrong_type.json"))
	err = json.Unmarshal(bad[1:len(bad)-1], &a)
	var ae *aaf.Error
	require.True(t, errors.As(err, &ae), "got %v", err)
	require.Equal(t, `task.tools[0]."bounding-box"`, ae.Path)
	require.Equal(t, "bbox-array.jpg", ae.ExternalID)
}

func TestTool_MarshalJSON(t *testing.T) {
	t.Parallel()
	in := `{"objectId":"o","schemaId":"s","title":"Car","bounding-box":{"x":1,"y":2,"width":-3,"height":4},"page":3,"classifications":[{"objectId":"c","tool":"radio","title":"Q","answer":"A"}],"metadata":{"createdAt":1}}`
	var tool aaf.Tool
	require.NoError(t, json.Unmarshal([]byte(in), &tool))
	require.Equal(t, aaf.KindBoundingBox, tool.Kind)
	require.Equal(t, aaf.BoundingBox{X: -2, Y: 2, Width: 3, Height: 4}, tool.BoundingBox.Normalize())
	require.Equal(t, 3, tool.PageOr(0))
	require.Equal(t, "A", tool.Classifications[0].Answer.String())
	out, err := json.Marshal(tool)
	require.NoError(t, err)
	require.JSONEq(t, in, string(out))

	// A tool built in code writes the geometry its fields hold.
	built := aaf.Tool{ObjectID: "p", Polygon: []aaf.Point{{1, 2}, {3, 4}, {5, 6}}}
	out, err = json.Marshal(&built)
	require.NoError(t, err)
	require.JSONEq(t, `{"objectId":"p","polygon":[[1,2],[3,4],[5,6]]}`, string(out))

	for _, v := range []any{&aaf.Classification{}, &aaf.Relation{}, &aaf.Task{}, &aaf.StageSnapshot{}, &aaf.Metadata{},
		&aaf.BoundingBox{}, &aaf.RotatedBox{}, &aaf.Segmentation{}, &aaf.NER{}, &aaf.PDF{}, &aaf.Answer{}} {
		require.Error(t, json.Unmarshal([]byte(`{"a":`), v), "%T rejects bad JSON", v)
	}
}

func TestTask_UnmarshalJSON(t *testing.T) {
	t.Parallel()
	var task aaf.Task
	require.NoError(t, json.Unmarshal([]byte(`{"taskId":"t","objects":[{"objectId":"o","point":[1,2]}]}`), &task))
	require.True(t, task.Legacy)
	require.Len(t, task.Tools, 1)
	out, err := json.Marshal(task)
	require.NoError(t, err)
	require.JSONEq(t, `{"taskId":"t","objects":[{"objectId":"o","point":[1,2]}]}`, string(out))

	err = json.Unmarshal([]byte(`{"tools":[{"objectId":"o","point":[1,2]},{"objectId":"o","point":[1,2]}]}`), &task)
	require.ErrorContains(t, err, `tools[1]: duplicate objectId "o" (also at tools[0])`)
}

func TestAsset_Modified(t *testing.T) {
	t.Parallel()
	var a aaf.Asset
	require.NoError(t, json.Unmarshal([]byte(`{"externalId":"x.jpg","batches":["a",null],"task":{"tools":[{"objectId":"o","pdf":{"position":{"pageNumber":1},"content":{"text":"a"}}}]}}`), &a))
	require.Equal(t, []string{"a"}, a.Batches)
	out, err := json.Marshal(a)
	require.NoError(t, err)
	require.Contains(t, string(out), `"batches":["a",null]`, "unchanged batches keep their nulls")

	a.Batches = append(a.Batches, "b")
	a.Task.Tools[0].PDF.Text = "changed"
	out, err = json.Marshal(a)
	require.NoError(t, err)
	require.Contains(t, string(out), `"batches":["a","b"]`)
	require.Contains(t, string(out), `"text":"changed"`)
	require.True(t, strings.Count(string(out), `"pageNumber":1`) == 1)
}

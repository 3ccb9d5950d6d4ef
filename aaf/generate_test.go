package aaf_test

import (
	"bytes"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/aaf"
)

var allKinds = []aaf.AssetKind{aaf.AssetKindImage, aaf.AssetKindVideo, aaf.AssetKindText, aaf.AssetKindMixed}

func generate(t testing.TB, f aaf.Format, o aaf.GenOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, aaf.Generate(&buf, f, o))
	return buf.Bytes()
}

func TestGenerate_Deterministic(t *testing.T) {
	t.Parallel()
	for _, kind := range allKinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			o := aaf.GenOptions{Assets: 200, Seed: 42, Kind: kind}
			first := generate(t, aaf.FormatNDJSON, o)
			require.Equal(t, first, generate(t, aaf.FormatNDJSON, o), "same seed, same bytes")
			o.Seed = 43
			require.NotEqual(t, first, generate(t, aaf.FormatNDJSON, o), "another seed, other bytes")
		})
	}
}

func TestGenerate_Valid(t *testing.T) {
	t.Parallel()
	for _, kind := range allKinds {
		for _, f := range []aaf.Format{aaf.FormatJSON, aaf.FormatNDJSON} {
			t.Run(string(kind)+"/"+f.String(), func(t *testing.T) {
				t.Parallel()
				o := aaf.GenOptions{Assets: 300, Seed: 7, Kind: kind}
				data := generate(t, f, o)
				r := aaf.NewReader(bytes.NewReader(data))
				n := 0
				for _, err := range r.All() {
					require.NoError(t, err)
					n++
				}
				require.Equal(t, 300, n)
				require.Equal(t, f, r.Format())
				// The generator writes canonical output: a round trip gives
				// the same bytes.
				require.Equal(t, string(data), string(roundTrip(t, data, f)))
			})
		}
	}
}

func TestGenerateAssets_MatchesSchemaStagesAndBatches(t *testing.T) {
	t.Parallel()
	o := aaf.GenOptions{Assets: 400, Seed: 1, Kind: aaf.AssetKindMixed, Batches: 3}
	schema := aaf.GenSchema(o)
	ids := map[string]string{}
	var collect func(classes []aaf.SchemaClass)
	collect = func(classes []aaf.SchemaClass) {
		for _, c := range classes {
			require.NotContains(t, ids, c.SchemaID, "schemaIds are unique")
			ids[c.SchemaID] = c.Title
			collect(c.Classifications)
		}
	}
	collect(schema.Tools)
	collect(schema.Classifications)
	collect(schema.Relations)
	stages := map[string]string{}
	for _, s := range aaf.GenStages(o) {
		stages[s.ID] = s.Name
	}
	batches := aaf.GenBatchNames(o)
	require.Equal(t, []string{"batch-000", "batch-001", "batch-002"}, batches)

	kinds := map[aaf.ToolKind]bool{}
	var legacy, skipped, stopped, nullBatches, rejected, groups int
	pagesByID := map[string]map[int]bool{}
	var checkClassifications func(cs []*aaf.Classification)
	checkClassifications = func(cs []*aaf.Classification) {
		for _, c := range cs {
			require.Equal(t, ids[c.SchemaID], c.Title, "classification %s is in the schema", c.SchemaID)
			checkClassifications(c.Classifications)
		}
	}
	for a := range aaf.GenerateAssets(o) {
		if a.Generation == aaf.GenerationLegacy {
			legacy++
		}
		for _, b := range a.Batches {
			require.Contains(t, batches, b)
		}
		raw, err := a.MarshalJSON()
		require.NoError(t, err)
		if bytes.Contains(raw, []byte(`"batches":[null`)) {
			nullBatches++
		}
		task := a.Task
		require.Equal(t, stages[task.StageID], task.Stage, "stage %q is a generated stage", task.StageID)
		if task.IsSkipped {
			skipped++
		}
		for _, h := range task.StageHistory {
			require.Equal(t, stages[h.StageID], h.Stage)
			if h.ReviewStatus == "Rejected" {
				rejected++
			}
		}
		for _, tool := range task.Tools {
			kinds[tool.Kind] = true
			require.Equal(t, ids[tool.SchemaID], tool.Title, "tool %s is in the schema", tool.SchemaID)
			if tool.InterpolationStopped {
				stopped++
			}
			if tool.Page != nil {
				if pagesByID[tool.ObjectID] == nil {
					pagesByID[tool.ObjectID] = map[int]bool{}
				}
				pagesByID[tool.ObjectID][*tool.Page] = true
			}
			checkClassifications(tool.Classifications)
		}
		checkClassifications(task.Classifications)
		for _, r := range task.Relations {
			require.Equal(t, ids[r.SchemaID], r.Title)
			if r.IsGroup() {
				groups++
			}
		}
	}
	for _, k := range []aaf.ToolKind{aaf.KindBoundingBox, aaf.KindRotatedBoundingBox, aaf.KindPolygon, aaf.KindPolyline,
		aaf.KindPoint, aaf.KindSegmentation, aaf.KindNER} {
		require.True(t, kinds[k], "some tool is a %s", k)
	}
	tracked := 0
	for _, pages := range pagesByID {
		if len(pages) > 1 {
			tracked++
		}
	}
	require.Positive(t, tracked, "video objects repeat their objectId on several frames")
	require.Equal(t, 40, legacy, "every tenth mixed asset is legacy")
	for name, n := range map[string]int{"skipped": skipped, "stopped": stopped, "nullBatches": nullBatches, "rejected": rejected, "groups": groups} {
		require.Positive(t, n, name)
	}
}

func TestGenSchema(t *testing.T) {
	t.Parallel()
	image := aaf.GenSchema(aaf.GenOptions{})
	mixed := aaf.GenSchema(aaf.GenOptions{Kind: aaf.AssetKindMixed})
	require.Equal(t, image, aaf.GenSchema(aaf.GenOptions{Seed: 99}), "the schema does not depend on the seed")
	require.Greater(t, len(mixed.Tools), len(image.Tools))
	for _, c := range image.Tools {
		require.True(t, slices.ContainsFunc(mixed.Tools, func(m aaf.SchemaClass) bool { return m.SchemaID == c.SchemaID }))
	}
}

func TestParseAssetKind(t *testing.T) {
	t.Parallel()
	for _, k := range allKinds {
		got, err := aaf.ParseAssetKind(" " + string(k) + " ")
		require.NoError(t, err)
		require.Equal(t, k, got)
	}
	_, err := aaf.ParseAssetKind("audio")
	require.EqualError(t, err, `aaf: unknown asset kind "audio" (want image, video, text or mixed)`)
}

func TestParseFormat(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]aaf.Format{"json": aaf.FormatJSON, "NDJSON": aaf.FormatNDJSON, "jsonl": aaf.FormatNDJSON} {
		got, err := aaf.ParseFormat(in)
		require.NoError(t, err)
		require.Equal(t, want, got)
		require.Contains(t, []string{"json", "ndjson"}, got.String())
	}
	_, err := aaf.ParseFormat("xml")
	require.EqualError(t, err, `aaf: unknown format "xml" (want json or ndjson)`)
}

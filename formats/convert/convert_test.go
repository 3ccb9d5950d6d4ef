package convert_test

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/formats/convert"
)

func page(p int) *int { return &p }

func TestSanitize(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"street-001.jpg", "street-001.jpg"},
		{"../../etc/passwd", "___.._etc_passwd"},
		{"a/b\\c:d*e?f\"g<h>i|j", "a_b_c_d_e_f_g_h_i_j"},
		{".hidden", "_hidden"},
		{"  spaced name.png  ", "spaced name.png"},
		{"tab\there", "tab_here"},
		{"bad\xffbyte", "bad_byte"},
		{"ünïcödé.jpg", "ünïcödé.jpg"},
	} {
		require.Equal(t, tc.want, convert.Sanitize(tc.in), "Sanitize(%q)", tc.in)
	}
}

func TestNamer_Name(t *testing.T) {
	t.Parallel()
	n := convert.NewNamer()
	for i, tc := range []struct {
		asset      aaf.Asset
		name, stem string
		renamed    bool
	}{
		{aaf.Asset{ExternalID: "a.jpg"}, "a.jpg", "a", false},
		{aaf.Asset{ExternalID: "a.jpg"}, "a_2.jpg", "a_2", true},
		{aaf.Asset{ExternalID: "a.png"}, "a_3.png", "a_3", true},
		{aaf.Asset{ExternalID: "a_2.jpg"}, "a_2_2.jpg", "a_2_2", true},
		{aaf.Asset{AssetID: "65f0"}, "65f0", "65f0", false},
		{aaf.Asset{}, "asset-5", "asset-5", false},
		{aaf.Asset{ExternalID: "Photo 12.03.2024"}, "Photo 12.03.2024", "Photo 12.03", false},
		{aaf.Asset{ExternalID: ".."}, "__", "__", false},
	} {
		name, stem, renamed := n.Name(&tc.asset, i)
		require.Equal(t, []any{tc.name, tc.stem, tc.renamed}, []any{name, stem, renamed}, "asset %d", i)
	}
}

func TestClasses_Index(t *testing.T) {
	t.Parallel()
	schema := aaf.CategorySchema{Tools: []aaf.SchemaClass{
		{SchemaID: "s-car", Title: "Car", Color: "#112233"},
		{SchemaID: "s-bus", Title: "Bus"},
		{SchemaID: "s-car2", Title: "Car"},
	}}
	tool := func(id, title string) *aaf.Tool { return &aaf.Tool{SchemaID: id, Title: title} }

	t.Run("SchemaOrderThenFirstSeen", func(t *testing.T) {
		t.Parallel()
		c := convert.NewClasses(schema, convert.Common{})
		for _, tc := range []struct {
			t    *aaf.Tool
			want int
		}{{tool("s-bus", "Bus"), 1}, {tool("s-x", "Truck"), 2}, {tool("s-car2", "Car"), 0}, {tool("s-y", "Van"), 3}, {tool("s-x", "Truck"), 2}} {
			i, ok := c.Index(tc.t)
			require.True(t, ok)
			require.Equal(t, tc.want, i, "%s", tc.t.Title)
		}
		require.Equal(t, []string{"Car", "Bus", "Truck", "Van"}, c.Names())
		require.Equal(t, "#112233", c.Color(0))
		require.Regexp(t, `^#[0-9a-f]{6}$`, c.Color(1))
	})

	t.Run("BySchemaID", func(t *testing.T) {
		t.Parallel()
		c := convert.NewClasses(schema, convert.Common{Categories: convert.CategoriesSchemaID})
		i, _ := c.Index(tool("s-car2", "Car"))
		require.Equal(t, 2, i)
		require.Equal(t, []string{"Car", "Bus", "Car"}, c.Names())
	})

	t.Run("FixedList", func(t *testing.T) {
		t.Parallel()
		c := convert.NewClasses(schema, convert.Common{Classes: []string{"Bus", "Car"}})
		i, ok := c.Index(tool("s-car", "Car"))
		require.True(t, ok)
		require.Equal(t, 1, i)
		_, ok = c.Index(tool("s-x", "Truck"))
		require.False(t, ok)
		require.Equal(t, `class "Truck" not in the classes option`, c.NotListed(tool("s-x", "Truck")))
		require.Equal(t, []string{"Bus", "Car"}, c.Names())
	})

	t.Run("NoSchemaFirstSeen", func(t *testing.T) {
		t.Parallel()
		c := convert.NewClasses(aaf.CategorySchema{}, convert.Common{})
		i, _ := c.Index(tool("s-z", ""))
		require.Equal(t, 0, i)
		require.Equal(t, []string{"s-z"}, c.Names(), "untitled classes are named by schemaId")
	})
}

func TestCommon_Validate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   convert.Common
		want string
	}{
		{"Defaults", convert.Common{}, ""},
		{"SchemaID", convert.Common{Categories: "schemaId"}, ""},
		{"BadCategories", convert.Common{Categories: "id"}, `option "categories" must be "title" or "schemaId", got "id"`},
		{"EmptyClass", convert.Common{Classes: []string{"a", ""}}, `option "classes": entry 1 is empty`},
		{"DuplicateClass", convert.Common{Classes: []string{"a", "a"}}, `option "classes": "a" is listed twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.in.Validate()
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.EqualError(t, err, tc.want)
		})
	}
}

func TestSplitFrames(t *testing.T) {
	t.Parallel()
	frames := 100.0
	a := &aaf.Asset{ExternalID: "clip.mp4", Metadata: aaf.Metadata{FrameTotal: &frames}, Task: &aaf.Task{
		Tools: []*aaf.Tool{
			{ObjectID: "o1", Page: page(10)},
			{ObjectID: "o1", Page: page(20), InterpolationStopped: true},
			{ObjectID: "o2", Page: page(3)},
			{ObjectID: "o3"},
		},
		Classifications: []*aaf.Classification{
			{ObjectID: "c-sig", Title: "Signal", Page: page(0), Answer: aaf.Answer{Values: []string{"Red"}, Present: true}},
			{ObjectID: "c-sig", Title: "Signal", Page: page(5), Answer: aaf.Answer{Values: []string{"Green"}, Present: true}},
			{ObjectID: "c-sig", Title: "Signal", Page: page(8), InterpolationStopped: true},
			{ObjectID: "c-all", Title: "Summary", Answer: aaf.Answer{Values: []string{"x"}, Present: true}},
		},
	}}
	got, stopped := convert.SplitFrames(a, "clip.mp4", "clip")
	require.Equal(t, 1, stopped)
	require.Len(t, got, 3)
	require.Equal(t, []int{0, 3, 10}, []int{got[0].Index, got[1].Index, got[2].Index})
	require.Equal(t, "clip_000003.jpg", got[1].Name)
	require.Equal(t, "o3", got[0].Tools[0].ObjectID, "objects without a page belong to page 0")
	answers := func(f convert.Frame) string {
		b, _ := json.Marshal(convert.Flatten(f.Classifications))
		return string(b)
	}
	require.JSONEq(t, `{"Signal":"Red","Summary":"x"}`, answers(got[0]))
	require.JSONEq(t, `{"Signal":"Red","Summary":"x"}`, answers(got[1]))
	require.JSONEq(t, `{"Summary":"x"}`, answers(got[2]), "the answer stopped at frame 8")
	require.JSONEq(t, `{"Signal":"Green","Summary":"x"}`, answers(convert.Frame{Classifications: convert.FrameClassifications(a.Task.Classifications, 6)}))
}

func TestFlatten(t *testing.T) {
	t.Parallel()
	cls := []*aaf.Classification{
		{Title: "Occluded", Tool: "radio", Answer: aaf.Answer{Values: []string{"Yes"}, Present: true}, Classifications: []*aaf.Classification{
			{Title: "By", Tool: "checkbox", Answer: aaf.Answer{Values: []string{"Pole", "Tree"}, List: true, Present: true}},
		}},
		{Title: "Unanswered", Tool: "text"},
		{Title: "Raw", Answer: aaf.Answer{Raw: json.RawMessage(`{"k":1}`), Present: true}},
		{Title: "Occluded", Tool: "radio", Answer: aaf.Answer{Values: []string{"No"}, Present: true}},
	}
	a := convert.Flatten(cls)
	b, err := json.Marshal(a)
	require.NoError(t, err)
	require.Equal(t, `{"Occluded":"No","Occluded/By":["Pole","Tree"],"Raw":{"k":1}}`, string(b))
	require.Equal(t, "Pole, Tree", a[1].Text())
	var back convert.Attrs
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, []string{"Pole", "Tree"}, back[1].Answer.Values)
	require.True(t, back[1].Answer.List)
}

func seq(assets ...*aaf.Asset) iter.Seq2[*aaf.Asset, error] {
	return func(yield func(*aaf.Asset, error) bool) {
		for _, a := range assets {
			if !yield(a, nil) {
				return
			}
		}
	}
}

func TestWalk(t *testing.T) {
	t.Parallel()
	env := &convert.Env{Logger: slog.New(slog.DiscardHandler)}

	t.Run("ReadErrorStopsTheRun", func(t *testing.T) {
		t.Parallel()
		bad := errors.New(`asset 2 ("x.jpg"): invalid JSON`)
		assets := func(yield func(*aaf.Asset, error) bool) {
			if yield(&aaf.Asset{ExternalID: "a", Task: &aaf.Task{}}, nil) {
				yield(nil, bad)
			}
		}
		rep := &convert.Report{}
		err := convert.Walk(t.Context(), assets, env, convert.Common{}, rep, func(*convert.Item) error { return nil })
		require.ErrorIs(t, err, bad)
		require.EqualError(t, err, `read export: asset 2 ("x.jpg"): invalid JSON`)
	})

	t.Run("CancelledContextStops", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		err := convert.Walk(ctx, seq(&aaf.Asset{Task: &aaf.Task{}}), env, convert.Common{}, &convert.Report{}, func(*convert.Item) error { return nil })
		require.ErrorIs(t, err, context.Canceled)
	})

	t.Run("ProblemsAreCappedAndCounted", func(t *testing.T) {
		t.Parallel()
		var assets []*aaf.Asset
		for range convert.MaxProblems + 5 {
			assets = append(assets, &aaf.Asset{ExternalID: "x", Task: &aaf.Task{}})
		}
		rep := &convert.Report{}
		err := convert.Walk(t.Context(), seq(assets...), env, convert.Common{}, rep, func(it *convert.Item) error {
			_, _, err := it.Size("YOLO")
			return err
		})
		require.NoError(t, err)
		require.Equal(t, convert.MaxProblems+5, rep.ProblemCount)
		require.Len(t, rep.Problems, convert.MaxProblems)
		require.Contains(t, rep.String(), "... 5 more asset problems")
	})

	t.Run("SkippedAndTasklessAssets", func(t *testing.T) {
		t.Parallel()
		rep := &convert.Report{}
		err := convert.Walk(t.Context(), seq(&aaf.Asset{}, &aaf.Asset{Task: &aaf.Task{IsSkipped: true}}), env, convert.Common{}, rep, func(*convert.Item) error {
			t.Fatal("no asset should be converted")
			return nil
		})
		require.NoError(t, err)
		require.Equal(t, map[string]int{convert.ReasonNoTask: 1, convert.ReasonTaskSkipped: 1}, rep.SkippedAssets)
	})

	t.Run("OtherErrorsStopWithTheAsset", func(t *testing.T) {
		t.Parallel()
		err := convert.Walk(t.Context(), seq(&aaf.Asset{ExternalID: "a.jpg", Task: &aaf.Task{}}), env, convert.Common{}, &convert.Report{}, func(*convert.Item) error {
			return errors.New("disk full")
		})
		require.EqualError(t, err, `convert asset 1 ("a.jpg"): disk full`)
	})
}

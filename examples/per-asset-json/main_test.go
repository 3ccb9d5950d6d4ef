package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/plugin"
	"github.com/exporthub/exporthub/plugin/plugintest"
)

// Tests of a main package live in it (it cannot be imported).

func TestConvert(t *testing.T) {
	t.Parallel()

	t.Run("OneFilePerAsset", func(t *testing.T) {
		t.Parallel()
		out := plugintest.RunFile(t, plugin.HandlerFunc(convert), "testdata/image_small.ndjson", "")
		names := make([]string, 0, len(out.Entries))
		for name := range out.Entries {
			names = append(names, name)
		}
		slices.Sort(names)
		require.Equal(t, []string{"0001-street-001.jpg.json", "0002-street-002.jpg.json", "0003-street-003.jpg.json"}, names)

		// Each file is the asset itself: it reads back as the same asset.
		src, err := os.Open("testdata/image_small.ndjson")
		require.NoError(t, err)
		defer src.Close()
		i := 0
		for want, err := range aaf.NewReader(src).All() {
			require.NoError(t, err)
			data := out.Entries[names[i]]
			require.True(t, strings.HasPrefix(string(data), "{\n  \""), "got %.20q, want 2-space indented JSON", data)
			var got aaf.Asset
			require.NoError(t, json.Unmarshal(data, &got))
			wantJSON, err := json.Marshal(want)
			require.NoError(t, err)
			gotJSON, err := json.Marshal(&got)
			require.NoError(t, err)
			require.JSONEq(t, string(wantJSON), string(gotJSON))
			i++
		}
		require.Equal(t, 3, i)
	})

	t.Run("Compact", func(t *testing.T) {
		t.Parallel()
		out := plugintest.RunFile(t, plugin.HandlerFunc(convert), "testdata/image_small.ndjson", `{"indent": 0}`)
		for name, data := range out.Entries {
			require.Equal(t, 1, strings.Count(string(data), "\n"), "%s is not one line", name)
		}
	})

	t.Run("BadIndent", func(t *testing.T) {
		t.Parallel()
		_, err := plugin.RunLocal(t.Context(), convert, plugin.LocalOptions{
			Export: "testdata/image_small.ndjson", Config: `{"indent": 12}`, Out: t.TempDir(), Logger: plugintest.Logger(t),
		})
		require.EqualError(t, err, "callback: config JSON: indent 12: want 0 to 8")
	})
}

func TestEntryName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n    int
		id   string
		want string
	}{
		{1, "cat.jpg", "0001-cat.jpg.json"},
		{2, "../../etc/passwd", "0002-_.._etc_passwd.json"},
		{3, "a\\b:c\x00d", "0003-a_b_c_d.json"},
		{4, "", "0004.json"},
		{5, "...", "0005.json"},
		{6, "data.json", "0006-data.json"},
		{12345, "車.png", "12345-車.png.json"},
		{7, strings.Repeat("a", 99) + "車車", "0007-" + strings.Repeat("a", 99) + ".json"},
	}
	for _, tt := range tests {
		got := entryName(tt.n, tt.id)
		require.Equal(t, tt.want, got)
		require.Equal(t, got, filepath.Base(got), "entry names stay at the top level")
		require.True(t, utf8.ValidString(got))
	}
}

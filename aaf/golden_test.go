package aaf_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/aaf"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -run %s -update to create it", t.Name())
	require.Equal(t, string(want), string(got), "output differs from %s (go test -update rewrites it)", path)
}

func TestEncoder_Golden(t *testing.T) {
	t.Parallel()
	for name := range sampleFiles {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out := roundTrip(t, readFile(t, name), aaf.FormatNDJSON)
			golden(t, name+".golden", out)
		})
	}
}

func TestGenerate_Golden(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	require.NoError(t, aaf.Generate(&buf, aaf.FormatJSON, aaf.GenOptions{Assets: 12, Seed: 1, Kind: aaf.AssetKindMixed}))
	golden(t, "gen_mixed_seed1.json.golden", buf.Bytes())
}

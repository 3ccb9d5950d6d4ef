package convert

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestHashSet checks the compact set against a map over enough entries to
// form and merge several sorted runs.
func TestHashSet(t *testing.T) {
	t.Parallel()
	var s hashSet
	want := map[uint64]bool{}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 5*recentMax + 123 {
		h := rng.Uint64() % (8 * recentMax) // repeats happen
		require.Equal(t, want[h], s.has(h), "entry %d", i)
		if !want[h] {
			s.add(h)
			want[h] = true
		}
	}
	for h := range want {
		require.True(t, s.has(h))
	}
	require.False(t, s.has(8*recentMax+1))
	require.LessOrEqual(t, len(s.runs), 3, "runs merge like a binary counter")
}

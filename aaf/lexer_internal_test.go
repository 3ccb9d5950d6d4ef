package aaf

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPlainRun_MatchesByteLoop(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	special := []byte{'"', '\\', 0x00, 0x1f, 0x20, 0x21, 0x5b, 0x5d, 0x7f, 0x80, 0xc3, 0xff, '\n'}
	for range 50_000 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			if rng.IntN(6) == 0 {
				b[i] = special[rng.IntN(len(special))]
			} else {
				b[i] = byte(0x20 + rng.IntN(0x60))
			}
		}
		start := 0
		if len(b) > 0 {
			start = rng.IntN(len(b) + 1)
		}
		want := start
		for want < len(b) && plainStringByte[b[want]] {
			want++
		}
		require.Equal(t, want, plainRun(b, start), "bytes %q from %d", b, start)
	}
}

func TestQuoteOrBackslash_MatchesByteLoop(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	special := []byte{'"', '\\', 0x00, 0x21, 0x23, 0x5b, 0x5c ^ 0x80, 0xa2, 0xff}
	for range 50_000 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			if rng.IntN(6) == 0 {
				b[i] = special[rng.IntN(len(special))]
			} else {
				b[i] = byte(0x20 + rng.IntN(0x60))
			}
		}
		start := 0
		if len(b) > 0 {
			start = rng.IntN(len(b) + 1)
		}
		want := start
		for want < len(b) && b[want] != '"' && b[want] != '\\' {
			want++
		}
		require.Equal(t, want, quoteOrBackslash(b, start), "bytes %q from %d", b, start)
	}
}

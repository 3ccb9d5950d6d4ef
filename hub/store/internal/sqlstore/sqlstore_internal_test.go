package sqlstore

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestStore_Bind(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, query, sqlite, postgres string
	}{
		{"None", `SELECT 1`, `SELECT 1`, `SELECT 1`},
		{"Two", `SELECT a FROM t WHERE b = ? AND c = ?`, `SELECT a FROM t WHERE b = ? AND c = ?`,
			`SELECT a FROM t WHERE b = $1 AND c = $2`},
		{"Cast", `x = ANY(?::text[]) LIMIT ?`, `x = ANY(?::text[]) LIMIT ?`, `x = ANY($1::text[]) LIMIT $2`},
		{"Ten", placeholders(10), placeholders(10), `$1, $2, $3, $4, $5, $6, $7, $8, $9, $10`},
	}
	sq, pg := New(Dialect{}, DB{}), New(Dialect{Numbered: true}, DB{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.sqlite, sq.bind(tt.query))
			require.Equal(t, tt.postgres, pg.bind(tt.query))
		})
	}
}

func TestTimeDest(t *testing.T) {
	t.Parallel()
	want := time.Date(2025, 3, 10, 12, 30, 45, 123456000, time.UTC)
	paris := time.FixedZone("CET", 3600)
	for _, src := range []any{want.UnixMicro(), want, want.In(paris)} {
		var got time.Time
		require.NoError(t, TimeDest(&got).Scan(src), "%T", src)
		require.Equal(t, want, got, "from %T %v", src, src)
		require.Equal(t, time.UTC, got.Location())
	}
	var got time.Time
	require.EqualError(t, TimeDest(&got).Scan("2025-03-10"), "read a time from string")
	require.EqualError(t, TimeDest(&got).Scan(nil), "read a time from <nil>")

	p := &want
	require.NoError(t, NullTimeDest(&p).Scan(nil))
	require.Nil(t, p, "NULL is nil")
	require.NoError(t, NullTimeDest(&p).Scan(want.UnixMicro()))
	require.Equal(t, want, *p)
}

func TestJSONListDest(t *testing.T) {
	t.Parallel()
	var got []string
	require.NoError(t, JSONListDest(&got).Scan(`["a","b"]`))
	require.Equal(t, []string{"a", "b"}, got)
	require.NoError(t, JSONListDest(&got).Scan([]byte(`[]`)))
	require.Nil(t, got)
	require.ErrorContains(t, JSONListDest(&got).Scan(`[1]`), `decode list "[1]"`)
	require.EqualError(t, JSONListDest(&got).Scan(int64(1)), "read a list from int64")
}

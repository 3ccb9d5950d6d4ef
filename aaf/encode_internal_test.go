package aaf

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAppendFloat_MatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	values := []float64{0, 1, -1, 0.5, -0.5, 0.01, -0.07, 0.1, 100.25, 209.27, 1e12 + 0.5, 9999999999999.99,
		1e13, 1e15, 1e20, 1e21, 1e-6, 1e-7, 123456789.123, math.MaxFloat64, math.SmallestNonzeroFloat64, 0.3}
	for range 200_000 {
		x := rng.Float64() * math.Pow(10, float64(rng.IntN(30)-10))
		if rng.IntN(2) == 0 {
			x = -x
		}
		values = append(values, x, math.Round(x*100)/100, math.Round(x), math.Round(x*10)/10)
	}
	for _, v := range values {
		want, err := json.Marshal(v)
		require.NoError(t, err)
		require.Equal(t, string(want), string(appendFloat(nil, v)), "value %v", v)
	}
}

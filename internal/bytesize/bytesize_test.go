package bytesize_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/internal/bytesize"
)

func TestFormat(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{0, "0 B"},
		{1023, "1023 B"},
		{1024, "1.0 KiB"},
		{1536, "1.5 KiB"},
		{12 << 20, "12.0 MiB"},
		{3 << 30, "3.0 GiB"},
		{-5, "-5 B"},
	} {
		require.Equal(t, tc.want, bytesize.Format(tc.n), "Format(%d)", tc.n)
	}
}

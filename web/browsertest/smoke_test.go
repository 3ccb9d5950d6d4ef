package browsertest_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSmoke(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signInWithKey(t, b.hub.AdminKey)
	b.screenshot(t, "smoke")
	require.Contains(t, b.text(t, "h1"), "Projects")
}

package hubclient_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDependencies keeps the API client light: it talks HTTP and shares
// only the wire types of hub/hubapi with the server, so the CLI's client
// commands link no database driver, blob SDK or Socket.IO stack, and no
// server package.
func TestDependencies(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("go"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("go not on PATH (CI=true)")
		}
		t.Skip("go not on PATH")
	}
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	require.NoError(t, err)
	banned := []string{
		"modernc.org/sqlite",
		"github.com/jackc/",
		"gocloud.dev",
		"github.com/zishang520/",
		"github.com/exporthub/exporthub/hub/store/",
		"github.com/exporthub/exporthub/hub/blob",
		"github.com/exporthub/exporthub/hub/gateway",
		"github.com/exporthub/exporthub/hub/runs",
	}
	for _, dep := range strings.Fields(string(out)) {
		require.NotEqual(t, "github.com/exporthub/exporthub/hub", dep, "package hubclient depends on the server package hub")
		for _, b := range banned {
			require.False(t, strings.HasPrefix(dep, b), "package hubclient depends on %s", dep)
		}
	}
}

package web_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDependencies keeps the web UI a front end: it reaches the hub's
// data only through the services (hub/users, hub/projects, hub/plugins)
// and the web.Hub seam, never the store, the run dispatcher or a
// database driver. The services themselves stay off the store for the
// same reason: they declare the few store methods they need.
func TestDependencies(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("go"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("go not on PATH (CI=true)")
		}
		t.Skip("go not on PATH")
	}
	banned := []string{
		"github.com/exporthub/exporthub/hub/store",
		"github.com/exporthub/exporthub/hub/runs",
		"github.com/exporthub/exporthub/hub/gateway",
		"modernc.org/sqlite",
		"github.com/jackc/",
		"github.com/zishang520/",
	}
	for _, pkg := range []string{".", "../hub/users", "../hub/projects", "../hub/plugins", "../hub/issues"} {
		out, err := exec.Command("go", "list", "-deps", pkg).Output()
		require.NoError(t, err, "go list -deps %s", pkg)
		for _, dep := range strings.Fields(string(out)) {
			require.NotEqual(t, "github.com/exporthub/exporthub/hub", dep, "package %s depends on the server package hub", pkg)
			for _, b := range banned {
				require.False(t, strings.HasPrefix(dep, b), "package %s depends on %s", pkg, dep)
			}
		}
	}
}

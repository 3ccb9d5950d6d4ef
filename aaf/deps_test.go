package aaf_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPackage_Dependencies keeps the SDK side small (style guide, item 15):
// aaf must not import the hub, database drivers, cloud SDKs or cobra.
func TestPackage_Dependencies(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "github.com/exporthub/exporthub/aaf").CombinedOutput()
	require.NoError(t, err, "go list: %s", out)
	banned := []string{
		"github.com/exporthub/exporthub/hub",
		"github.com/exporthub/exporthub/internal/cli",
		"github.com/jackc/",
		"modernc.org/sqlite",
		"database/sql",
		"gocloud.dev",
		"github.com/aws/",
		"github.com/spf13/cobra",
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, b := range banned {
			require.False(t, strings.HasPrefix(dep, b), "aaf depends on %s", dep)
		}
	}
}

package plugin_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDependencies keeps the SDK small: plugin authors must not inherit the
// hub, database drivers, cloud SDKs or the CLI framework. Of the module's
// internal packages only those in allowedInternal, which depend on the
// standard library alone, may be used.
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
		"github.com/exporthub/exporthub/hub",
		"github.com/exporthub/exporthub/internal",
		"github.com/exporthub/exporthub/plugin/plugintest",
		"github.com/jackc/",
		"modernc.org/sqlite",
		"github.com/lib/pq",
		"gocloud.dev",
		"github.com/aws/",
		"cloud.google.com/",
		"github.com/spf13/cobra",
		"github.com/stretchr/testify",
	}
	allowedInternal := map[string]bool{
		"github.com/exporthub/exporthub/internal/zipstream": true, // the Zip's streaming writer
	}
	for _, dep := range strings.Fields(string(out)) {
		if allowedInternal[dep] {
			continue
		}
		for _, b := range banned {
			require.False(t, strings.HasPrefix(dep, b), "package plugin depends on %s", dep)
		}
	}
	for dep := range allowedInternal {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", dep).Output()
		require.NoError(t, err)
		require.Equal(t, []string{dep}, strings.Fields(string(out)), "%s must depend on the standard library only", dep)
	}
}

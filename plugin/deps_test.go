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
// standard library and the modules of allowedModules alone, may be used.
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
		"github.com/exporthub/exporthub/internal/deflate":   true, // its compressor
		"github.com/exporthub/exporthub/internal/wire":      true, // the plugin protocol's types
		"github.com/exporthub/exporthub/internal/bytesize":  true, // sizes in messages
	}
	allowedModules := []string{"github.com/klauspost/compress/"}
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
		for _, d := range strings.Fields(string(out)) {
			ok := allowedInternal[d]
			for _, m := range allowedModules {
				ok = ok || strings.HasPrefix(d, m)
			}
			require.True(t, ok, "%s depends on %s: only the standard library, %v and %v are allowed", dep, d, allowedModules, allowedInternal)
		}
	}
}

// TestDependencies_TestSupport keeps the hub out of the SDK's test support:
// plugintest and the scenario suite run against any hub, so they import
// none of its packages, database drivers or cloud SDKs (plugin/e2e
// brings the real hub).
func TestDependencies_TestSupport(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("go"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("go not on PATH (CI=true)")
		}
		t.Skip("go not on PATH")
	}
	banned := []string{
		"github.com/exporthub/exporthub/hub",
		"github.com/jackc/",
		"modernc.org/sqlite",
		"github.com/lib/pq",
		"gocloud.dev",
		"github.com/spf13/cobra",
	}
	for _, pkg := range []string{"./plugintest", "./internal/scenario"} {
		out, err := exec.Command("go", "list", "-deps", pkg).Output()
		require.NoError(t, err)
		for _, dep := range strings.Fields(string(out)) {
			for _, b := range banned {
				require.False(t, strings.HasPrefix(dep, b), "%s depends on %s", pkg, dep)
			}
		}
	}
}

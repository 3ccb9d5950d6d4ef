package hubapi_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDependencies keeps hubapi a leaf: besides the standard library it
// may import only the entity types of hub/hubtype and the plugin
// protocol's payloads (internal/wire, itself standard library only), so
// that every client of the API can use it without linking the server.
func TestDependencies(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("go"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("go not on PATH (CI=true)")
		}
		t.Skip("go not on PATH")
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	require.NoError(t, err)
	allowed := map[string]bool{
		"github.com/exporthub/exporthub/hub/hubapi":    true,
		"github.com/exporthub/exporthub/hub/hubtype":   true,
		"github.com/exporthub/exporthub/internal/wire": true,
	}
	for _, dep := range strings.Fields(string(out)) {
		require.True(t, allowed[dep], "package hubapi depends on %s; only the standard library, hub/hubtype and internal/wire are allowed", dep)
	}
}

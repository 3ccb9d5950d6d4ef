package cli_test

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/hubtest"
)

// TestErrorMessages checks that the command line's errors say what went
// wrong and what to do, on a real hub.
func TestErrorMessages(t *testing.T) {
	t.Parallel()
	h := hubtest.Start(t, nil)
	dir := t.TempDir()
	hostFlags := []string{"--host", h.URL, "--api-key", h.AdminKey}
	out, _, err := run(t, "", append([]string{"project", "create", "--name", "Messages"}, hostFlags...)...)
	require.NoError(t, err)
	project := strings.TrimSpace(out)
	assets := filepath.Join(dir, "assets.ndjson")
	require.NoError(t, os.WriteFile(assets, []byte(assetLine("m-1", "Label", "b1")), 0o600))
	_, errOut, err := run(t, "", append([]string{"project", "import", assets, "--project", project}, hostFlags...)...)
	require.NoError(t, err, errOut)

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { busy.Close() })
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closedAddr := closed.Addr().String()
	closed.Close()
	noScheme := strings.TrimPrefix(h.URL, "http://")

	for _, tc := range []struct {
		name string
		args []string
		want string // in the error output; "" for success
	}{
		{"NotFoundNamesKindAndID", append([]string{"project", "show", "0123456789abcdef01234567"}, hostFlags...),
			`project "0123456789abcdef01234567" not found`},
		{"PluginNotFound", append([]string{"plugin", "show", "0123456789abcdef01234567"}, hostFlags...),
			`plugin "0123456789abcdef01234567" not found`},
		{"RunNotFound", append([]string{"runs", "logs", "0123456789abcdef01234567"}, hostFlags...),
			`run "0123456789abcdef01234567" not found`},
		{"ProjectFlagStillWorks", append([]string{"project", "show", "--project", project}, hostFlags...), ""},
		{"WhichProject", append([]string{"project", "show"}, hostFlags...),
			"which project? give its id as the argument (exporthub project list shows them)"},
		{"TwoProjectIDs", append([]string{"project", "show", project, "--project", "other"}, hostFlags...),
			`two project ids, "` + project + `" and --project "other": give one`},
		{"HostWithoutSchemeIsCorrected", []string{"project", "show", project, "--host", noScheme, "--api-key", h.AdminKey}, ""},
		{"HostWithOtherScheme", []string{"project", "list", "--host", "ftp://" + noScheme, "--api-key", h.AdminKey},
			`hub URL "ftp://` + noScheme + `" is not an http:// or https:// URL such as http://127.0.0.1:7420 (--host or EXPORTHUB_HOST)`},
		{"NoHubThere", []string{"project", "list", "--host", closedAddr, "--api-key", h.AdminKey},
			`no hub answers at http://` + closedAddr + `: start it with "exporthub serve", or point --host (EXPORTHUB_HOST) at it`},
		{"ConfigTypoLineAndColumn", append([]string{"run", "--project", project, "--plugin", "0123456789abcdef01234567", "--config", "{\n  \"format\": \"coco\",\n}"}, hostFlags...),
			"--config: Config JSON: line 2, column 19: trailing comma: expected a key after ','"},
		{"DuplicateImportNamesTheFlag", append([]string{"project", "import", assets, "--project", project}, hostFlags...),
			`asset 1: externalId "m-1" is already in the project or earlier in the input; run again with --mode upsert to replace existing assets`},
		{"AdminInAnotherDirectory", []string{"admin", "create-key", "--data-dir", filepath.Join(dir, "nothing-here")},
			`no hub database at ` + filepath.Join(dir, "nothing-here", "exporthub.db") + ` (data directory ` + filepath.Join(dir, "nothing-here") +
				`): run this where "exporthub serve" runs (its first start creates the database and an admin), or give the hub's --data-dir (EXPORTHUB_DATA_DIR) or --database`},
		{"ServeOnABusyPort", []string{"serve", "--listen", busy.Addr().String(), "--data-dir", filepath.Join(dir, "busy")},
			"cannot listen on " + busy.Addr().String() + ": listen tcp " + busy.Addr().String() + ": bind: address already in use; " +
				"stop what uses it (another exporthub serve?) or pick another address with --listen (EXPORTHUB_LISTEN)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, err := run(t, "", tc.args...)
			if tc.want == "" {
				require.NoError(t, err, errOut)
				return
			}
			require.Error(t, err)
			require.Contains(t, errOut, tc.want)
			if tc.name == "ServeOnABusyPort" {
				require.NotContains(t, out, "Created organization", "nothing is created before the port is taken")
				_, statErr := os.Stat(filepath.Join(dir, "busy"))
				require.ErrorIs(t, statErr, os.ErrNotExist, "no data directory either")
			}
		})
	}
}

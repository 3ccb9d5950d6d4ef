package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/blob/blobtest"
	"github.com/exporthub/exporthub/hub/hubtest"
)

// TestStorageCommand adds a GCP storage (its JSON key from a file) and an
// Azure storage (its account key from stdin) on real servers, lists and
// shows them without secrets, and deletes them.
func TestStorageCommand(t *testing.T) {
	t.Parallel()
	gcs := blobtest.StartGCS(t)
	az := blobtest.StartAzurite(t)
	h := hubtest.Start(t, nil)
	host := []string{"--host", h.URL, "--api-key", h.AdminKey}
	keyFile := filepath.Join(t.TempDir(), "key.json")
	require.NoError(t, os.WriteFile(keyFile, gcs.Key, 0o600))

	gcpID, _, err := run(t, "", append([]string{"storage", "create", "--name", "gcs exports", "--provider", "gcp",
		"--endpoint", gcs.Endpoint, "--bucket", gcs.CreateBucket(t), "--credentials", "@" + keyFile}, host...)...)
	require.NoError(t, err)
	gcpID = strings.TrimSpace(gcpID)
	azID, _, err := run(t, az.Key+"\n", append([]string{"storage", "create", "--name", "azure exports", "--provider", "AZURE",
		"--endpoint", az.Endpoint, "--bucket", az.CreateContainer(t), "--account-name", az.Account, "--account-key", "@-", "--proxied"}, host...)...)
	require.NoError(t, err)
	azID = strings.TrimSpace(azID)

	out, _, err := run(t, "", append([]string{"storage", "list"}, host...)...)
	require.NoError(t, err)
	require.Regexp(t, `(?m)^ID\s+NAME\s+PROVIDER\s+BUCKET\s+ENDPOINT\s+URLS$`, out)
	require.Regexp(t, `(?m)^`+azID+`\s+azure exports\s+AZURE\s+test-\S+\s+`+az.Endpoint+`\s+through the hub$`, out)
	require.Regexp(t, `(?m)^`+gcpID+`\s+gcs exports\s+GCP\s+test-\S+\s+`+gcs.Endpoint+`\s+the storage's own$`, out)
	show, _, err := run(t, "", append([]string{"storage", "show", gcpID}, host...)...)
	require.NoError(t, err)
	require.Contains(t, show, "credential:  serviceAccount exporthub-test@exporthub-test.iam.gserviceaccount.com")
	for _, secret := range []string{az.Key, "PRIVATE KEY"} {
		require.NotContains(t, out+show, secret, "no secret is ever printed")
	}

	// A bucket that does not exist is refused, with what to do.
	_, _, err = run(t, "", append([]string{"storage", "create", "--name", "missing", "--provider", "GCP", "--endpoint", gcs.Endpoint,
		"--bucket", "not-created", "--credentials", "@" + keyFile}, host...)...)
	require.ErrorContains(t, err, `bucket "not-created" at `+gcs.Endpoint+` does not answer with these credentials: the bucket does not exist (send skipCheck to store it anyway)`)

	for _, id := range []string{gcpID, azID} {
		_, _, err = run(t, "", append([]string{"storage", "delete", id}, host...)...)
		require.NoError(t, err)
	}
	out, _, err = run(t, "", append([]string{"storage", "list"}, host...)...)
	require.NoError(t, err)
	require.NotContains(t, out, "exports")
}

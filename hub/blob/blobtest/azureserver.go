package blobtest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"
	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/blob"
)

// AzuriteInstall says how to get the Azure Blob server the tests use.
const AzuriteInstall = "npm install -g azurite"

// AzureServer is a real Azure Blob-compatible server (Azurite's blob
// service, in memory) on a free 127.0.0.1 port with an account of its
// own, for the duration of one test. Azurite checks shared-key and SAS
// signatures, SAS permissions and SAS expiry.
type AzureServer struct {
	// Endpoint is the blob service URL, with the account as first path
	// segment: http://127.0.0.1:41234/<account>.
	Endpoint string
	// Account and Key are the storage account name and its key.
	Account string
	Key     string

	cred *azblob.SharedKeyCredential
}

// StartAzurite starts Azurite's blob service for t and stops it when t
// and its subtests end. It looks for azurite-blob on PATH, then in $(go
// env GOPATH)/bin. When it is missing the test is skipped, or fails when
// the environment variable CI is "true". Telemetry is off.
func StartAzurite(t testing.TB) *AzureServer {
	t.Helper()
	bin := requireBinary(t, "azurite-blob", AzuriteInstall)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	s := &AzureServer{Account: "exporthub" + randomHex(4), Key: base64.StdEncoding.EncodeToString(key)}
	sp := &serverProcess{
		name: "azurite-blob",
		args: func(port string) []string {
			return []string{"--blobHost", "127.0.0.1", "--blobPort", port, "--inMemoryPersistence", "--extentMemoryLimit", "256",
				"--skipApiVersionCheck", "--disableTelemetry", "--disableProductStyleUrl", "--silent"}
		},
		env:   []string{"AZURITE_ACCOUNTS=" + s.Account + ":" + s.Key},
		dir:   t.TempDir(),
		probe: func(port string) string { return "http://127.0.0.1:" + port + "/" + s.Account + "?comp=list" },
	}
	port := sp.start(t, bin)
	s.Endpoint = "http://127.0.0.1:" + port + "/" + s.Account
	cred, err := azblob.NewSharedKeyCredential(s.Account, s.Key)
	require.NoError(t, err)
	s.cred = cred
	return s
}

func (s *AzureServer) container(t testing.TB, name string) *container.Client {
	t.Helper()
	c, err := container.NewClientWithSharedKeyCredential(s.Endpoint+"/"+name, s.cred, nil)
	require.NoError(t, err)
	return c
}

// CreateContainer creates a new, empty container with a random name and
// returns its name.
func (s *AzureServer) CreateContainer(t testing.TB) string {
	t.Helper()
	name := "test-" + randomHex(8)
	_, err := s.container(t, name).Create(context.Background(), nil)
	require.NoError(t, err, "create container %s", name)
	return name
}

// BucketURL returns the azblob:// URL of a container of this server, for
// blob.Config.BucketURL (Account and Key go in AccessKeyID and
// SecretAccessKey).
func (s *AzureServer) BucketURL(container string) string {
	return "azblob://" + container + "?endpoint=" + url.QueryEscape(s.Endpoint)
}

// ObjectKeys lists the blobs in a container.
func (s *AzureServer) ObjectKeys(t testing.TB, container string) []string {
	t.Helper()
	var keys []string
	pager := s.container(t, container).NewListBlobsFlatPager(nil)
	for pager.More() {
		page, err := pager.NextPage(context.Background())
		require.NoError(t, err, "list container %s", container)
		for _, b := range page.Segment.BlobItems {
			keys = append(keys, *b.Name)
		}
	}
	return keys
}

// SASToken returns a container SAS token (read, add, create, write,
// delete, list) valid for an hour.
func (s *AzureServer) SASToken(t testing.TB, container string) string {
	t.Helper()
	perms := sas.ContainerPermissions{Read: true, Add: true, Create: true, Write: true, Delete: true, List: true}
	q, err := sas.BlobSignatureValues{
		Protocol:      sas.ProtocolHTTPSandHTTP,
		ExpiryTime:    time.Now().UTC().Add(time.Hour),
		ContainerName: container,
		Permissions:   perms.String(),
	}.SignWithSharedKey(s.cred)
	require.NoError(t, err)
	return q.Encode()
}

// PutHeader is what a client must send with a PUT to an Azure SAS URL.
func (s *AzureServer) PutHeader() http.Header {
	return http.Header{blob.AzurePutHeader: {blob.AzurePutHeaderValue}}
}

// ObjectURLPrefix is how the server's own URLs of a container's objects
// start.
func (s *AzureServer) ObjectURLPrefix(container string) string {
	return s.Endpoint + "/" + container + "/"
}

// ChecksCredentials reports that Azurite refuses wrong keys.
func (s *AzureServer) ChecksCredentials() bool { return true }

// StorageInput returns the input of an AZURE organization storage with
// the account key on a new container of this server.
func (s *AzureServer) StorageInput(t testing.TB) *blob.StorageInput {
	return &blob.StorageInput{Provider: blob.ProviderAzure, Endpoint: s.Endpoint, Bucket: s.CreateContainer(t),
		AccountName: s.Account, AccountKey: s.Key}
}

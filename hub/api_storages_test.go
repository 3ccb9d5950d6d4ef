package hub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub"
	"github.com/exporthub/exporthub/hub/blob"
	"github.com/exporthub/exporthub/hub/blob/blobtest"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
)

// storageServers starts one real server per provider: versitygw (AWS),
// fake-gcs-server (GCP) and Azurite (AZURE).
func storageServers(t *testing.T) map[string]blobtest.StorageServer {
	t.Helper()
	return map[string]blobtest.StorageServer{
		blob.ProviderAWS:   blobtest.StartS3(t),
		blob.ProviderGCP:   blobtest.StartGCS(t),
		blob.ProviderAzure: blobtest.StartAzurite(t),
	}
}

// storageRequest is the POST /api/storages body for a storage input.
func storageRequest(name string, in *blob.StorageInput) map[string]any {
	body := map[string]any{"name": name, "provider": in.Provider, "endpoint": in.Endpoint, "region": in.Region, "bucket": in.Bucket}
	for k, v := range map[string]string{"accessKey": in.AccessKey, "secretKey": in.SecretKey, "accountName": in.AccountName,
		"accountKey": in.AccountKey, "sasToken": in.SASToken} {
		if v != "" {
			body[k] = v
		}
	}
	if in.Credentials != "" {
		body["credentials"] = json.RawMessage(in.Credentials) // as an object
	}
	if in.Proxied {
		body["proxied"] = true
	}
	return body
}

// secretOf is the secret of a storage input.
func secretOf(in *blob.StorageInput) string {
	switch {
	case in.SecretKey != "":
		return in.SecretKey
	case in.Credentials != "":
		return in.Credentials
	case in.AccountKey != "":
		return in.AccountKey
	}
	return in.SASToken
}

func httpPutHeader(t *testing.T, u string, body []byte, header http.Header) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, u, bytes.NewReader(body))
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// TestStorages_Providers registers a storage of each provider through the
// API on a real server and uses it as a plugin does: its credentials are
// never returned and sealed at rest, /v2/storages shows it in Ango's
// shape, getUploadUrl and getSignedUrl give the provider's own URLs (or
// the hub's for a proxied storage) that upload to and download from the
// storage's bucket.
func TestStorages_Providers(t *testing.T) {
	t.Parallel()
	servers := storageServers(t)
	h := hubtest.Start(t, nil)
	p := createProject(t, h, h.AdminKey, map[string]any{"name": "p"})
	for provider, srv := range servers {
		for _, proxied := range []bool{false, true} {
			name := provider
			if proxied {
				name += "Proxied"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				in := srv.StorageInput(t)
				in.Proxied = proxied
				secret := secretOf(in)
				var st hubapi.StorageResponse
				body := h.JSON(t, "POST", "/api/storages", h.AdminKey, storageRequest(name, in), http.StatusCreated, &st)
				require.NotContains(t, string(body), secret)
				require.Equal(t, provider, st.Provider)
				require.Equal(t, proxied, st.Proxied)

				stored, err := h.Server.Store().StorageGet(context.Background(), h.OrgID, st.ID)
				require.NoError(t, err)
				require.NotContains(t, string(stored.SecretKeyEnc), secret, "sealed at rest")

				for _, path := range []string{"/v2/storages", "/v2/storages?_id=" + st.ID, "/api/storages", "/api/storages/" + st.ID} {
					b := h.JSON(t, "GET", path, h.AdminKey, nil, http.StatusOK, nil)
					require.NotContains(t, string(b), secret, path)
					require.Contains(t, string(b), st.ID, path)
				}
				var v2s v2[hubapi.V2StoragesResponse]
				h.JSON(t, "GET", "/v2/storages?_id="+st.ID, h.AdminKey, nil, http.StatusOK, &v2s)
				require.Len(t, v2s.Data.Storages, 1)
				got := v2s.Data.Storages[0]
				require.Equal(t, hubapi.V2Storage{ID: st.ID, Name: name, Provider: provider, Bucket: in.Bucket, Region: st.Region,
					Endpoint: in.Endpoint, Organization: h.OrgID, CreatedAt: got.CreatedAt}, got)

				var up v2[hubapi.V2UploadURLResponse]
				h.JSON(t, "GET", "/v2/getUploadUrl?name=out.zip&project="+p.ID+"&type=exports&storageId="+st.ID, h.AdminKey, nil, http.StatusOK, &up)
				header := srv.PutHeader()
				if proxied {
					require.True(t, strings.HasPrefix(up.Data.UploadURL, h.URL+blob.StorageHandlerPath+st.ID+"/"), "hub URL: %s", up.Data.UploadURL)
					header = nil
				} else {
					require.True(t, strings.HasPrefix(up.Data.UploadURL, srv.ObjectURLPrefix(in.Bucket)), "provider URL: %s", up.Data.UploadURL)
				}
				status := httpPutHeader(t, up.Data.UploadURL, []byte("zip!"), header)
				require.True(t, status == http.StatusOK || status == http.StatusCreated, "PUT: got %d", status)
				var signed v2[hubapi.V2SignedURLResponse]
				// The SDK pastes the upload URL unescaped, as here.
				h.JSON(t, "GET", "/v2/getSignedUrl?name="+up.Data.UploadURL+"&project="+p.ID+"&type=exports&storageId="+st.ID, h.AdminKey, nil, http.StatusOK, &signed)
				code, data := httpGet(t, signed.Data.SignedURL)
				require.Equal(t, http.StatusOK, code, "%s", data)
				require.Equal(t, "zip!", string(data))
				require.Len(t, srv.ObjectKeys(t, in.Bucket), 1, "the upload is in the storage's bucket")

				h.JSON(t, "DELETE", "/api/storages/"+st.ID, h.AdminKey, nil, http.StatusNoContent, nil)
				h.JSON(t, "GET", "/api/storages/"+st.ID, h.AdminKey, nil, http.StatusNotFound, nil)
				if proxied {
					code, _ := httpGet(t, signed.Data.SignedURL)
					require.Equal(t, http.StatusNotFound, code, "a deleted storage serves no hub URLs")
				}
			})
		}
	}

	t.Run("Unreachable", func(t *testing.T) {
		t.Parallel()
		for provider, srv := range servers {
			in := srv.StorageInput(t)
			in.Bucket = "not-created"
			var fail hubapi.FailResponse
			h.JSON(t, "POST", "/api/storages", h.AdminKey, storageRequest("missing "+provider, in), http.StatusBadRequest, &fail)
			require.Equal(t, "storage_unreachable", fail.Code, provider)
			require.Contains(t, fail.Message, "not-created", provider)
			require.Contains(t, fail.Message, "does not answer with these credentials: the bucket does not exist (send skipCheck to store it anyway)", provider)
			req := storageRequest("later "+provider, in)
			req["skipCheck"] = true
			h.JSON(t, "POST", "/api/storages", h.AdminKey, req, http.StatusCreated, nil)
		}
		s3 := servers[blob.ProviderAWS].StorageInput(t)
		s3.SecretKey = "wrong"
		var fail hubapi.FailResponse
		h.JSON(t, "POST", "/api/storages", h.AdminKey, storageRequest("wrong", s3), http.StatusBadRequest, &fail)
		require.Contains(t, fail.Message, `bucket "`+s3.Bucket+`" at `+s3.Endpoint+` does not answer with these credentials`)
	})
}

func TestStorages_Validation(t *testing.T) {
	t.Parallel()
	h := hubtest.Start(t, nil)
	tests := []struct {
		name string
		body map[string]any
		msg  string
	}{
		{"NoName", map[string]any{}, "name is required"},
		{"Provider", map[string]any{"name": "n", "provider": "gcs"}, `provider "gcs" is not supported (AWS, GCP or AZURE)`},
		{"NoBucket", map[string]any{"name": "n"}, "bucket is required"},
		{"NoSecret", map[string]any{"name": "n", "bucket": "b", "accessKey": "a"}, "secretKey is required"},
		{"BadEndpoint", map[string]any{"name": "n", "bucket": "b", "accessKey": "a", "secretKey": "s", "endpoint": "ftp://x"}, `endpoint "ftp://x" must be an http(s) URL such as https://s3.example.com`},
		{"GCPKeyNotJSON", map[string]any{"name": "n", "provider": "GCP", "bucket": "b", "credentials": 42}, "credentials must be the service account's JSON key, as an object or a string"},
		{"GCPKeyString", map[string]any{"name": "n", "provider": "gcp", "bucket": "b", "credentials": `{"type": "user"}`}, `credentials is a "user" key; GCP storages need a service-account key ("type": "service_account")`},
		{"AzureSASNotProxied", map[string]any{"name": "n", "provider": "AZURE", "bucket": "b", "accountName": "acct", "sasToken": "sv=1&sig=x"},
			"a storage with a sasToken must be proxied: a SAS token cannot sign the per-object URLs plugins get (set proxied, or send the accountKey)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var fail hubapi.FailResponse
			h.JSON(t, "POST", "/api/storages", h.AdminKey, tt.body, http.StatusBadRequest, &fail)
			require.Equal(t, tt.msg, fail.Message)
			require.Equal(t, "bad_request", fail.Code)
		})
	}
}

// TestV2_Export_ProviderBlobs runs the hub on a GCS bucket
// (fake-gcs-server) and on an Azure container (Azurite) as its own blob
// store: /v2/export answers the provider's own presigned URL, which
// downloads the export; the Python SDK's plain GET needs nothing more.
func TestV2_Export_ProviderBlobs(t *testing.T) {
	t.Parallel()
	gcs := blobtest.StartGCS(t)
	az := blobtest.StartAzurite(t)
	keyFile := filepath.Join(t.TempDir(), "key.json")
	require.NoError(t, os.WriteFile(keyFile, gcs.Key, 0o600))
	gcsBucket, container := gcs.CreateBucket(t), az.CreateContainer(t)
	tests := []struct {
		name      string
		configure func(c *hub.Config)
		prefix    string
		keys      func() []string
	}{
		{"GCS", func(c *hub.Config) { c.BlobURL, c.BlobCredentialsFile = gcs.BucketURL(gcsBucket), keyFile },
			gcs.ObjectURLPrefix(gcsBucket), func() []string { return gcs.ObjectKeys(t, gcsBucket) }},
		{"Azure", func(c *hub.Config) {
			c.BlobURL, c.BlobAccessKeyID, c.BlobSecretAccessKey = az.BucketURL(container), az.Account, az.Key
		}, az.ObjectURLPrefix(container), func() []string { return az.ObjectKeys(t, container) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := hubtest.Start(t, &hubtest.Options{Configure: tt.configure})
			h.JSON(t, "GET", "/healthz", "", nil, http.StatusOK, nil)
			p := createProject(t, h, h.AdminKey, map[string]any{"name": "scaled"})
			h.JSON(t, "POST", "/api/projects/"+p.ID+"/import", h.AdminKey, ndjson(t, manyAssets(5)...), http.StatusOK, nil)
			var res v2[hubapi.V2ExportResponse]
			h.JSON(t, "GET", "/v2/export?project="+p.ID+"&format=ndjson", h.AdminKey, nil, http.StatusOK, &res)
			require.True(t, strings.HasPrefix(res.Data.ExportPath, tt.prefix), "the provider's own presigned URL: %s", res.Data.ExportPath)
			status, body := httpGet(t, res.Data.ExportPath)
			require.Equal(t, http.StatusOK, status, "%s", body)
			entries := readZip(t, body)
			require.Equal(t, 5, bytes.Count(entries["scaled.ndjson"], []byte("\n")))
			require.Len(t, tt.keys(), 1)
		})
	}
}

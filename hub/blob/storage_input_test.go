package blob_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/blob"
	"github.com/exporthub/exporthub/hub/blob/blobtest"
	"github.com/exporthub/exporthub/internal/secretbox"
)

func TestNewStorage(t *testing.T) {
	t.Parallel()
	box, err := secretbox.New(secretbox.NewKey())
	require.NoError(t, err)
	key := string(blobtest.ServiceAccountKey(t))
	aws := func(in blob.StorageInput) *blob.StorageInput {
		in.Provider = "AWS"
		in.Bucket, in.AccessKey, in.SecretKey = "exports", "AK", "SK"
		return &in
	}
	gcp := func(in blob.StorageInput) *blob.StorageInput {
		in.Provider, in.Bucket = "GCP", "exports"
		if in.Credentials == "" {
			in.Credentials = key
		}
		return &in
	}
	azure := func(in blob.StorageInput) *blob.StorageInput {
		in.Provider, in.Bucket, in.AccountName = "AZURE", "exports", "acct"
		return &in
	}
	const sas = "sv=2024-08-04&sr=c&sp=rcwdl&se=2030-01-01T00%3A00%3A00Z&sig=abc%3D"

	t.Run("Refused", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name  string
			in    *blob.StorageInput
			field string
			msg   string
		}{
			{"Provider", &blob.StorageInput{Provider: "gcs", Bucket: "b"}, "provider", `provider "gcs" is not supported (AWS, GCP or AZURE)`},
			{"NoProvider", &blob.StorageInput{Bucket: "b"}, "provider", `provider "" is not supported (AWS, GCP or AZURE)`},
			{"NoBucket", &blob.StorageInput{Provider: "AWS"}, "bucket", "bucket is required"},
			{"NoContainer", &blob.StorageInput{Provider: "azure"}, "bucket", "bucket is required (the container name)"},
			{"AWSNoAccessKey", &blob.StorageInput{Provider: "AWS", Bucket: "b"}, "accessKey", "accessKey is required"},
			{"AWSNoSecret", &blob.StorageInput{Provider: "AWS", Bucket: "b", AccessKey: "a"}, "secretKey", "secretKey is required"},
			{"AWSEndpoint", aws(blob.StorageInput{Endpoint: "ftp://x"}), "endpoint", `endpoint "ftp://x" must be an http(s) URL such as https://s3.example.com`},
			{"AWSWithGCPKey", aws(blob.StorageInput{Credentials: key}), "credentials", "credentials is not used by AWS storages (send accessKey and secretKey)"},
			{"GCPNoKey", &blob.StorageInput{Provider: "GCP", Bucket: "b"}, "credentials", "credentials is required: the service account's JSON key"},
			{"GCPNotJSON", gcp(blob.StorageInput{Credentials: "{"}), "credentials", "credentials is not a JSON key: unexpected end of JSON input"},
			{"GCPUserKey", gcp(blob.StorageInput{Credentials: `{"type": "authorized_user"}`}), "credentials", `credentials is a "authorized_user" key; GCP storages need a service-account key ("type": "service_account")`},
			{"GCPNoEmail", gcp(blob.StorageInput{Credentials: `{"type": "service_account", "private_key": "x"}`}), "credentials", "credentials has no client_email"},
			{"GCPNoPEM", gcp(blob.StorageInput{Credentials: `{"type": "service_account", "client_email": "a@b", "private_key": "x"}`}), "credentials", "credentials private_key is not in PEM form"},
			{"GCPWithAccessKey", gcp(blob.StorageInput{AccessKey: "AK"}), "accessKey", "accessKey is not used by GCP storages (send credentials, the service account's JSON key)"},
			{"GCPEndpoint", gcp(blob.StorageInput{Endpoint: "localhost:4443"}), "endpoint", `endpoint "localhost:4443" must be an http(s) URL such as http://127.0.0.1:4443`},
			{"AzureNoAccount", &blob.StorageInput{Provider: "AZURE", Bucket: "b", AccountKey: "a2V5"}, "accountName", "accountName is required"},
			{"AzureBadAccount", &blob.StorageInput{Provider: "AZURE", Bucket: "b", AccountName: "My_Account"}, "accountName", `accountName "My_Account" must be 3 to 24 lower-case letters and digits`},
			{"AzureNoKey", azure(blob.StorageInput{}), "accountKey", "accountKey or sasToken is required"},
			{"AzureBoth", azure(blob.StorageInput{AccountKey: "a2V5", SASToken: sas, Proxied: true}), "sasToken", "send accountKey or sasToken, not both"},
			{"AzureKeyNotBase64", azure(blob.StorageInput{AccountKey: "not base64!"}), "accountKey", "accountKey is not base64 (copy key1 or key2 of the storage account's access keys)"},
			{"AzureBadSAS", azure(blob.StorageInput{SASToken: "sv=1", Proxied: true}), "sasToken", "sasToken must be a SAS query string holding sv= and sig="},
			{"AzureSASNotProxied", azure(blob.StorageInput{SASToken: sas}), "proxied", "a storage with a sasToken must be proxied: a SAS token cannot sign the per-object URLs plugins get (set proxied, or send the accountKey)"},
			{"AzureEndpoint", azure(blob.StorageInput{AccountKey: "a2V5", Endpoint: "http://h/x?y=1"}), "endpoint", `endpoint "http://h/x?y=1" must be the blob service URL, such as https://acct.blob.core.windows.net`},
			{"AzureWithSecretKey", azure(blob.StorageInput{AccountKey: "a2V5", SecretKey: "s"}), "secretKey", "secretKey is not used by AZURE storages (send accountName with accountKey or sasToken)"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				_, err := blob.NewStorage(tt.in, box)
				var fe *blob.FieldError
				require.ErrorAs(t, err, &fe)
				require.Equal(t, tt.msg, fe.Message)
				require.Equal(t, tt.field, fe.Field)
				require.ErrorIs(t, err, blob.ErrInvalidStorage)
			})
		}
	})

	t.Run("Accepted", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name                           string
			in                             *blob.StorageInput
			provider, access, cred, secret string
		}{
			{"AWS", aws(blob.StorageInput{}), "AWS", "AK", blob.CredentialAccessKey, "SK"},
			{"S3IsAWS", &blob.StorageInput{Provider: "s3", Bucket: "b", AccessKey: "AK", SecretKey: "SK"}, "AWS", "AK", blob.CredentialAccessKey, "SK"},
			{"GCP", gcp(blob.StorageInput{}), "GCP", "exporthub-test@exporthub-test.iam.gserviceaccount.com", blob.CredentialServiceAccount, key},
			{"AzureKey", azure(blob.StorageInput{AccountKey: "a2V5"}), "AZURE", "acct", blob.CredentialAccountKey, "a2V5"},
			{"AzureSAS", azure(blob.StorageInput{SASToken: "?" + sas, Proxied: true}), "AZURE", "acct", blob.CredentialSASToken, sas},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				st, err := blob.NewStorage(tt.in, box)
				require.NoError(t, err)
				require.Equal(t, tt.provider, st.Provider)
				require.Equal(t, tt.access, st.AccessKey)
				require.Equal(t, tt.cred, st.CredentialType)
				secret, err := box.Open(st.SecretKeyEnc)
				require.NoError(t, err)
				require.Equal(t, tt.secret, string(secret), "the sealed secret opens to what was sent")
				require.NotContains(t, string(st.SecretKeyEnc), tt.secret, "sealed at rest")
			})
		}
	})
	t.Run("AWSRegionDefault", func(t *testing.T) {
		t.Parallel()
		st, err := blob.NewStorage(aws(blob.StorageInput{Endpoint: "http://127.0.0.1:9000/"}), box)
		require.NoError(t, err)
		require.Equal(t, blob.DefaultS3Region, st.Region)
		require.Equal(t, "http://127.0.0.1:9000", st.Endpoint, "trailing slash dropped")
	})
}

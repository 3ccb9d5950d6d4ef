package blob_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/exporthub/exporthub/hub/blob"
	"github.com/exporthub/exporthub/hub/blob/blobtest"
	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/internal/secretbox"
	"github.com/stretchr/testify/require"
)

// urlBundle holds services whose URLs are made and parsed without any
// network I/O: presigning is local for every backend.
type urlBundle struct {
	box     *secretbox.Box
	proxied *blob.Service // mem:// hub served by the hub under a path prefix
	native  *blob.Service // s3:// hub, native URLs
	team    *store.Storage
	aws     *store.Storage
	gcs     *store.Storage
	azure   *store.Storage
	// teamProxied is team served through the hub.
	teamProxied *store.Storage
}

func setupURL(t *testing.T) *urlBundle {
	t.Helper()
	ctx := context.Background()
	box, err := secretbox.New(secretbox.NewKey())
	require.NoError(t, err)
	proxied, err := blob.Open(ctx, &blob.Config{
		BucketURL: "mem://", PublicURL: "http://Hub.Example:7420/base/", SigningKey: secretbox.NewKey(), SecretBox: box,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = proxied.Close() })
	native, err := blob.Open(ctx, &blob.Config{
		BucketURL:   "s3://hubbucket?endpoint=http://127.0.0.1:9&use_path_style=true&region=us-east-1",
		AccessKeyID: "ak", SecretAccessKey: "sk", SecretBox: box,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = native.Close() })
	return &urlBundle{
		box:     box,
		proxied: proxied,
		native:  native,
		team: &store.Storage{ID: "st1", OrgID: "o1", Provider: blob.ProviderAWS, Endpoint: "http://minio.local:9000", Bucket: "team",
			AccessKey: "ak", SecretKeyEnc: box.Seal([]byte("sk")), CredentialType: blob.CredentialAccessKey},
		aws: &store.Storage{ID: "st2", OrgID: "o1", Provider: blob.ProviderAWS, Region: "eu-west-1", Bucket: "awsb",
			AccessKey: "ak", SecretKeyEnc: box.Seal([]byte("sk")), CredentialType: blob.CredentialAccessKey},
		gcs: &store.Storage{ID: "st3", OrgID: "o1", Provider: blob.ProviderGCP, Bucket: "gbucket",
			AccessKey: "sa@example.iam.gserviceaccount.com", SecretKeyEnc: box.Seal(blobtest.ServiceAccountKey(t)), CredentialType: blob.CredentialServiceAccount},
		azure: &store.Storage{ID: "st4", OrgID: "o1", Provider: blob.ProviderAzure, Bucket: "cont",
			AccessKey: "acct", SecretKeyEnc: box.Seal([]byte("a2V5")), CredentialType: blob.CredentialAccountKey},
		teamProxied: &store.Storage{ID: "st5", OrgID: "o1", Provider: blob.ProviderAWS, Endpoint: "http://minio.local:9000", Bucket: "team",
			AccessKey: "ak", SecretKeyEnc: box.Seal([]byte("sk")), CredentialType: blob.CredentialAccessKey, Proxied: true},
	}
}

func newTestKey(t *testing.T, org, project string) blob.Key {
	t.Helper()
	k, err := blob.NewKey(org, project, blob.TypeExports, "export.zip", time.Now())
	require.NoError(t, err)
	return k
}

func TestBucket_KeyFromURL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		b := setupURL(t)
		k := newTestKey(t, "o1", "p1")
		team, err := b.proxied.Bucket(ctx, b.team)
		require.NoError(t, err)
		aws, err := b.proxied.Bucket(ctx, b.aws)
		require.NoError(t, err)
		gcs, err := b.proxied.Bucket(ctx, b.gcs)
		require.NoError(t, err)
		azure, err := b.proxied.Bucket(ctx, b.azure)
		require.NoError(t, err)
		teamProxied, err := b.proxied.Bucket(ctx, b.teamProxied)
		require.NoError(t, err)
		for name, bk := range map[string]*blob.Bucket{"Proxied": b.proxied.Hub(), "NativePathStyle": b.native.Hub(), "OrgPathStyle": team, "OrgAWS": aws,
			"OrgGCS": gcs, "OrgAzure": azure, "OrgProxied": teamProxied} {
			for _, method := range []string{http.MethodGet, http.MethodPut} {
				u, _, err := bk.SignedURL(ctx, k.String(), method, 0)
				require.NoError(t, err, "%s %s", name, method)
				bare, _, _ := strings.Cut(u, "?")
				cut, _, _ := strings.Cut(u, "&")
				for _, ref := range []string{u, bare, cut, k.String(), k.String() + "?x=1"} {
					got, err := bk.KeyFromURL(ref)
					require.NoError(t, err, "%s %s: %s", name, method, ref)
					require.Equal(t, k, got, "%s: %s", name, ref)
				}
			}
		}
	})

	t.Run("URLForms", func(t *testing.T) {
		t.Parallel()
		b := setupURL(t)
		k := newTestKey(t, "o1", "p1").String()
		aws, err := b.native.Bucket(ctx, b.aws)
		require.NoError(t, err)
		team, err := b.native.Bucket(ctx, b.team)
		require.NoError(t, err)
		gcs, err := b.proxied.Bucket(ctx, b.gcs)
		require.NoError(t, err)
		azure, err := b.proxied.Bucket(ctx, b.azure)
		require.NoError(t, err)
		teamProxied, err := b.proxied.Bucket(ctx, b.teamProxied)
		require.NoError(t, err)
		ok := []struct {
			bk *blob.Bucket
			u  string
		}{
			{b.proxied.Hub(), "http://hub.example:7420/base/blob/" + k},
			{b.proxied.Hub(), "https://HUB.EXAMPLE:7420/base/blob/" + k + "?sig=x"},
			{aws, "https://awsb.s3.eu-west-1.amazonaws.com/" + k},
			{aws, "https://awsb.s3.amazonaws.com/" + k},
			{aws, "https://s3.eu-west-1.amazonaws.com/awsb/" + k},
			{team, "http://minio.local:9000/team/" + k},
			{team, "http://team.minio.local:9000/" + k},
			{b.native.Hub(), "http://127.0.0.1:9/hubbucket/" + k + "?X-Amz-Signature=abc"},
			{gcs, "https://storage.googleapis.com/gbucket/" + k + "?X-Goog-Signature=abc"},
			{gcs, "https://gbucket.storage.googleapis.com/" + k},
			{azure, "https://acct.blob.core.windows.net/cont/" + k + "?sig=abc"},
			{teamProxied, "http://hub.example:7420/base/storage-blob/st5/" + k + "?sig=x"},
		}
		for _, tt := range ok {
			got, err := tt.bk.KeyFromURL(tt.u)
			require.NoError(t, err, tt.u)
			require.Equal(t, k, got.String())
		}
		bad := []struct {
			bk      *blob.Bucket
			u, want string
		}{
			{b.proxied.Hub(), "http://hub.example:7420/blob/" + k, "does not point into the hub's storage at http://Hub.Example:7420/base/"},
			{b.proxied.Hub(), "http://other.example:7420/base/blob/" + k, "does not point into"},
			{aws, "https://other.s3.eu-west-1.amazonaws.com/" + k, "does not point into storage st2 (bucket awsb)"},
			{team, "http://minio.local:9000/other/" + k, "does not point into storage st1 (bucket team)"},
			{team, "http://minio.local:9001/team/" + k, "does not point into"},
			{b.native.Hub(), "http://127.0.0.1:9/otherbucket/" + k, "does not point into the hub's bucket hubbucket"},
			{b.native.Hub(), "ftp://127.0.0.1:9/hubbucket/" + k, "is neither an object key nor an http(s) URL"},
			{b.native.Hub(), "http://127.0.0.1:9/hubbucket/orgs/o1/secret", "is not of the form"},
			{b.native.Hub(), "", "name is empty"},
			{gcs, "https://storage.googleapis.com/other/" + k, "does not point into storage st3 (bucket gbucket)"},
			{azure, "https://other.blob.core.windows.net/cont/" + k, "does not point into storage st4 (bucket cont)"},
			{azure, "https://acct.blob.core.windows.net/other/" + k, "does not point into"},
			{teamProxied, "http://hub.example:7420/base/blob/" + k, "does not point into storage st5"},
			{teamProxied, "http://hub.example:7420/base/storage-blob/st1/" + k, "does not point into storage st5"},
			{teamProxied, "http://minio.local:9000/team/" + k, "does not point into storage st5"},
		}
		for _, tt := range bad {
			_, err := tt.bk.KeyFromURL(tt.u)
			require.ErrorIs(t, err, blob.ErrInvalidKey, tt.u)
			require.ErrorContains(t, err, tt.want, tt.u)
		}
	})
}

func FuzzBucket_KeyFromURL(f *testing.F) {
	f.Add("http://hub.example:7420/base/blob/orgs/o/projects/p/exports/2025/0123456789abcdef0123456789abcdef/a.zip?sig=x")
	f.Add("orgs/o/projects/p/exports/2025/0123456789abcdef0123456789abcdef/a.zip")
	f.Add("http://hub.example:7420/base/blob/../../x")
	svc, err := blob.Open(context.Background(), &blob.Config{
		BucketURL: "mem://", PublicURL: "http://hub.example:7420/base", SigningKey: secretbox.NewKey(),
	})
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, name string) {
		k, err := svc.Hub().KeyFromURL(name)
		if err != nil {
			require.ErrorIs(t, err, blob.ErrInvalidKey)
			return
		}
		require.NoError(t, blob.CheckObjectKey(k.String()))
	})
}

func TestService_Locate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupURL(t)
	foreign := &store.Storage{ID: "st9", OrgID: "o2", Provider: blob.ProviderAWS, Endpoint: "http://minio.local:9000", Bucket: "theirs",
		AccessKey: "ak", SecretKeyEnc: b.box.Seal([]byte("sk")), CredentialType: blob.CredentialAccessKey}
	storages := []*store.Storage{b.team, b.aws, foreign}
	k := newTestKey(t, "o1", "p1")
	team, err := b.proxied.Bucket(ctx, b.team)
	require.NoError(t, err)
	teamURL, _, err := team.SignedURL(ctx, k.String(), http.MethodGet, 0)
	require.NoError(t, err)
	hubURL, _, err := b.proxied.Hub().SignedURL(ctx, k.String(), http.MethodGet, 0)
	require.NoError(t, err)

	t.Run("OrgStorageURL", func(t *testing.T) {
		t.Parallel()
		loc, err := b.proxied.Locate(ctx, &blob.LocateParams{OrgID: "o1", ProjectID: "p1", Name: teamURL, Storages: storages})
		require.NoError(t, err)
		require.Equal(t, "st1", loc.Bucket.StorageID())
		require.Equal(t, "team", loc.Bucket.Name())
		require.Equal(t, k, loc.Key)
	})
	t.Run("HubURL", func(t *testing.T) {
		t.Parallel()
		loc, err := b.proxied.Locate(ctx, &blob.LocateParams{OrgID: "o1", Name: hubURL, Storages: storages})
		require.NoError(t, err)
		require.Equal(t, "", loc.Bucket.StorageID())
		require.Equal(t, k, loc.Key)
	})
	t.Run("OtherOrganization", func(t *testing.T) {
		t.Parallel()
		_, err := b.proxied.Locate(ctx, &blob.LocateParams{OrgID: "o2", Name: hubURL})
		require.ErrorIs(t, err, blob.ErrForbidden)
		_, err = b.proxied.Locate(ctx, &blob.LocateParams{OrgID: "o1", ProjectID: "p2", Name: teamURL, Storages: storages})
		require.ErrorIs(t, err, blob.ErrForbidden)
		theirURL := "http://minio.local:9000/theirs/" + newTestKey(t, "o2", "p1").String()
		_, err = b.proxied.Locate(ctx, &blob.LocateParams{OrgID: "o1", Name: theirURL, Storages: storages})
		require.ErrorIs(t, err, blob.ErrInvalidKey, "storages of another organization are not considered")
	})
	t.Run("UnknownURL", func(t *testing.T) {
		t.Parallel()
		_, err := b.proxied.Locate(ctx, &blob.LocateParams{OrgID: "o1", Name: "http://elsewhere.example/" + k.String(), Storages: storages})
		require.ErrorIs(t, err, blob.ErrInvalidKey)
		require.ErrorContains(t, err, "points into neither the hub's storage nor one of the organization's storages")
	})
	t.Run("BareKey", func(t *testing.T) {
		t.Parallel()
		key := newTestKey(t, "o1", "p1")
		_, err := b.proxied.Hub().Write(ctx, key.String(), strings.NewReader("x"))
		require.NoError(t, err)
		loc, err := b.proxied.Locate(ctx, &blob.LocateParams{OrgID: "o1", Name: key.String()})
		require.NoError(t, err)
		require.Equal(t, "", loc.Bucket.StorageID())
		_, err = b.proxied.Locate(ctx, &blob.LocateParams{OrgID: "o1", Name: newTestKey(t, "o1", "p1").String()})
		require.ErrorIs(t, err, blob.ErrNotFound)
	})
}

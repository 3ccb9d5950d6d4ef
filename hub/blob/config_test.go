package blob_test

import (
	"context"
	"testing"
	"time"

	"github.com/exporthub/exporthub/hub/blob"
	"github.com/exporthub/exporthub/internal/secretbox"
	"github.com/stretchr/testify/require"
)

func TestOpen_Config(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key := secretbox.NewKey()
	ok := func(c blob.Config) blob.Config {
		if c.BucketURL == "" {
			c.BucketURL = "file://" + dir
		}
		if c.PublicURL == "" {
			c.PublicURL = "http://127.0.0.1:7420"
		}
		if c.SigningKey == nil {
			c.SigningKey = key
		}
		return c
	}
	tests := []struct {
		name    string
		cfg     blob.Config
		wantErr string
	}{
		{"NoBucketURL", blob.Config{}, "BucketURL is required"},
		{"Scheme", ok(blob.Config{BucketURL: "ftp://bucket"}), `BucketURL scheme "ftp" is not supported (use file, s3, gs, azblob or mem)`},
		{"GSNoCredentials", ok(blob.Config{BucketURL: "gs://bucket"}), "a gs:// bucket needs a service-account JSON key (CredentialsFile) or anonymous=true"},
		{"GSNoKeyFile", ok(blob.Config{BucketURL: "gs://bucket", CredentialsFile: "/nonexistent/key.json"}), "read CredentialsFile: open /nonexistent/key.json"},
		{"GSParam", ok(blob.Config{BucketURL: "gs://b?access_id=x"}), `BucketURL parameter "access_id" is not supported (use endpoint, anonymous)`},
		{"GSAnonymousNative", ok(blob.Config{BucketURL: "gs://b?anonymous=true"}), "has no key to sign URLs with: set Proxy"},
		{"AzblobNoAccount", ok(blob.Config{BucketURL: "azblob://c"}), "an azblob:// bucket needs the account name (AccessKeyID) and account key (SecretAccessKey)"},
		{"AzblobParam", ok(blob.Config{BucketURL: "azblob://c?domain=x", AccessKeyID: "a", SecretAccessKey: "aw=="}), `BucketURL parameter "domain" is not supported (use endpoint)`},
		{"AzblobEndpoint", ok(blob.Config{BucketURL: "azblob://c?endpoint=127.0.0.1:10000", AccessKeyID: "a", SecretAccessKey: "aw=="}), `BucketURL parameter endpoint: "127.0.0.1:10000" is not an http(s) URL like https://account.blob.core.windows.net`},
		{"FileHost", ok(blob.Config{BucketURL: "file://relative/dir"}), "must not name a host"},
		{"FileRelative", ok(blob.Config{BucketURL: "file:relative"}), "must hold an absolute directory"},
		{"FileQuery", ok(blob.Config{BucketURL: "file://" + dir + "?create_dir=1"}), "must not have a query"},
		{"ShortSigningKey", ok(blob.Config{SigningKey: []byte("short")}), "SigningKey must be at least 32 bytes when the hub serves presigned URLs, got 5"},
		{"NoPublicURL", blob.Config{BucketURL: "mem://", SigningKey: key}, "PublicURL is required when the hub serves presigned URLs"},
		{"BadPublicURL", ok(blob.Config{PublicURL: "ftp://hub"}), `PublicURL "ftp://hub" must be an http(s) URL with a host and no query`},
		{"NegativeSize", ok(blob.Config{MaxObjectSize: -1}), "MaxObjectSize must not be negative, got -1"},
		{"LongExpiry", ok(blob.Config{SignedURLExpiry: 8 * 24 * time.Hour}), "SignedURLExpiry must be between 0 and 168h0m0s, got 192h0m0s"},
		{"HalfCredentials", ok(blob.Config{BucketURL: "s3://b", AccessKeyID: "a"}), "AccessKeyID and SecretAccessKey must be set together"},
		{"S3NoBucket", ok(blob.Config{BucketURL: "s3:///x"}), "names no bucket"},
		{"S3Path", ok(blob.Config{BucketURL: "s3://b/prefix"}), "has a path; key prefixes are not supported"},
		{"S3Param", ok(blob.Config{BucketURL: "s3://b?profile=x"}), `BucketURL parameter "profile" is not supported (use endpoint, region, use_path_style)`},
		{"S3Endpoint", ok(blob.Config{BucketURL: "s3://b?endpoint=127.0.0.1:9000"}), `BucketURL parameter endpoint: "127.0.0.1:9000" is not an http(s) URL like http://host:9000`},
		{"S3PathStyle", ok(blob.Config{BucketURL: "s3://b?use_path_style=yes"}), `use_path_style="yes" is not a boolean`},
		{"S3ProxyNeedsKey", blob.Config{BucketURL: "s3://b", Proxy: true, PublicURL: "http://h"}, "SigningKey must be at least 32 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := tt.cfg
			_, err := blob.Open(context.Background(), &cfg)
			require.Error(t, err)
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
	t.Run("S3NativeNeedsNoSigningKey", func(t *testing.T) {
		t.Parallel()
		svc, err := blob.Open(context.Background(), &blob.Config{BucketURL: "s3://b?endpoint=http://127.0.0.1:9&use_path_style=true", AccessKeyID: "a", SecretAccessKey: "s"})
		require.NoError(t, err)
		require.NoError(t, svc.Close())
	})
	t.Run("CallerConfigUnchanged", func(t *testing.T) {
		t.Parallel()
		cfg := blob.Config{BucketURL: "mem://", PublicURL: "http://h", SigningKey: append([]byte(nil), key...)}
		before := cfg
		svc, err := blob.Open(context.Background(), &cfg)
		require.NoError(t, err)
		defer svc.Close()
		require.Equal(t, before, cfg)
	})
}

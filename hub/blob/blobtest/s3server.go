package blobtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/blob"
)

// VersityGWModule is what to `go install` to get the S3 server the tests use.
const VersityGWModule = "github.com/versity/versitygw/cmd/versitygw@v1.8.0"

// S3Region is the region the test S3 server is addressed with.
const S3Region = "us-east-1"

// S3Server is a real S3-compatible server (versitygw) serving a temporary
// directory on a free 127.0.0.1 port, for the duration of one test.
type S3Server struct {
	// Endpoint is the server's base URL, e.g. http://127.0.0.1:41234.
	Endpoint string
	// AccessKey and SecretKey are the server's root credentials.
	AccessKey string
	SecretKey string

	client *s3.Client
}

// StartS3 starts versitygw for t and stops it when t and its subtests
// end. It looks for the binary on PATH, then in $(go env GOPATH)/bin. When
// it is missing the test is skipped, or fails when the environment
// variable CI is "true".
func StartS3(t testing.TB) *S3Server {
	t.Helper()
	bin := requireBinary(t, "versitygw", "go install "+VersityGWModule)
	s := &S3Server{AccessKey: "AK" + randomHex(8), SecretKey: "SK" + randomHex(16)}
	dir := t.TempDir()
	sp := &serverProcess{
		name: "versitygw",
		args: func(port string) []string {
			return []string{"--access", s.AccessKey, "--secret", s.SecretKey, "--port", "127.0.0.1:" + port, "posix", dir}
		},
		probe: func(port string) string { return "http://127.0.0.1:" + port + "/" },
	}
	s.Endpoint = "http://127.0.0.1:" + sp.start(t, bin)
	s.client = s3.NewFromConfig(aws.Config{
		Region:                     S3Region,
		Credentials:                credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(s.Endpoint)
		o.UsePathStyle = true
	})
	return s
}

// CreateBucket creates a new, empty bucket with a random name and returns
// its name.
func (s *S3Server) CreateBucket(t testing.TB) string {
	t.Helper()
	name := "test-" + randomHex(8)
	_, err := s.client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)})
	require.NoError(t, err, "create bucket %s", name)
	return name
}

// BucketURL returns the s3:// URL of a bucket of this server, for
// blob.Config.BucketURL (credentials go in AccessKeyID/SecretAccessKey).
func (s *S3Server) BucketURL(bucket string) string {
	q := url.Values{}
	q.Set("endpoint", s.Endpoint)
	q.Set("region", S3Region)
	q.Set("use_path_style", "true")
	return "s3://" + bucket + "?" + q.Encode()
}

// ObjectKeys lists the keys in bucket, so tests can check that nothing
// was left behind.
func (s *S3Server) ObjectKeys(t testing.TB, bucket string) []string {
	t.Helper()
	out, err := s.client.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	require.NoError(t, err, "list bucket %s", bucket)
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ObjectURLPrefix is how the server's own (path-style) URLs of a bucket's
// objects start.
func (s *S3Server) ObjectURLPrefix(bucket string) string { return s.Endpoint + "/" + bucket + "/" }

// ChecksCredentials reports that versitygw refuses wrong keys.
func (s *S3Server) ChecksCredentials() bool { return true }

// PutHeader is nil: a plain PUT works on S3's presigned URLs.
func (s *S3Server) PutHeader() http.Header { return nil }

// StorageInput returns the input of an AWS organization storage on a new
// bucket of this server.
func (s *S3Server) StorageInput(t testing.TB) *blob.StorageInput {
	return &blob.StorageInput{Provider: blob.ProviderAWS, Endpoint: s.Endpoint, Region: S3Region, Bucket: s.CreateBucket(t),
		AccessKey: s.AccessKey, SecretKey: s.SecretKey}
}

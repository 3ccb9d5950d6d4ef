package blob

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	gcblob "gocloud.dev/blob"
	"gocloud.dev/blob/s3blob"

	"github.com/exporthub/exporthub/internal/egress"
)

// DefaultS3Region is the region used when an S3 bucket URL or an
// organization storage names none.
const DefaultS3Region = "us-east-1"

// s3Params says how to reach one S3-compatible bucket.
type s3Params struct {
	bucket    string
	endpoint  string // "" for AWS S3
	region    string
	pathStyle bool
	// accessKey and secretKey are static credentials; when both are empty
	// the AWS SDK's default credential chain is used (hub bucket only).
	accessKey string
	secretKey string
	// policy, when set, checks every connection (organization storages).
	policy *egress.Policy
}

// parseS3URL reads s3://bucket?endpoint=...&region=...&use_path_style=true.
func parseS3URL(u *url.URL) (*s3Params, error) {
	p := &s3Params{bucket: u.Host, region: DefaultS3Region}
	if p.bucket == "" {
		return nil, fmt.Errorf("BucketURL %q names no bucket (want s3://bucket?...)", u.Redacted())
	}
	if u.Path != "" && u.Path != "/" {
		return nil, fmt.Errorf("BucketURL %q has a path; key prefixes are not supported", u.Redacted())
	}
	for name, values := range u.Query() {
		v := values[0]
		switch name {
		case "endpoint":
			if err := checkEndpoint(v); err != nil {
				return nil, fmt.Errorf("BucketURL parameter endpoint: %w", err)
			}
			p.endpoint = v
		case "region":
			p.region = v
		case "use_path_style":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, fmt.Errorf("BucketURL parameter use_path_style=%q is not a boolean", v)
			}
			p.pathStyle = b
		default:
			return nil, fmt.Errorf("BucketURL parameter %q is not supported (use endpoint, region, use_path_style)", name)
		}
	}
	return p, nil
}

// checkEndpoint accepts "" (AWS S3) or an http(s) URL with a host and no
// path beyond "/".
func checkEndpoint(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Trim(u.Path, "/") != "" || u.RawQuery != "" {
		return fmt.Errorf("%q is not an http(s) URL like http://host:9000", s)
	}
	return nil
}

// openS3 opens an S3-compatible bucket. Credentials are passed explicitly
// when p holds them; only the hub's own bucket may fall back to the AWS
// default chain. No network traffic happens here.
func openS3(ctx context.Context, p *s3Params) (*gcblob.Bucket, error) {
	var cfg aws.Config
	if p.accessKey != "" || p.secretKey != "" {
		cfg = aws.Config{
			Region:      p.region,
			Credentials: credentials.NewStaticCredentialsProvider(p.accessKey, p.secretKey, ""),
		}
	} else {
		var err error
		cfg, err = awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(p.region))
		if err != nil {
			return nil, fmt.Errorf("load aws config: %w", err)
		}
	}
	// S3-compatible servers vary in their support of the newer flexible
	// checksums; send and check them only when an operation requires it.
	cfg.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	cfg.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if p.endpoint != "" {
			o.BaseEndpoint = aws.String(strings.TrimRight(p.endpoint, "/"))
		}
		o.UsePathStyle = p.pathStyle
		o.HTTPClient = &http.Client{Transport: storageTransport(p.policy)}
	})
	b, err := s3blob.OpenBucket(ctx, client, p.bucket, &s3blob.Options{
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
	})
	if err != nil {
		return nil, fmt.Errorf("open s3 bucket %q: %w", p.bucket, err)
	}
	return b, nil
}

// s3Presigner returns S3 signature-version-4 presigned URLs made by the
// bucket's client; GET URLs carry response-content-disposition.
func s3Presigner(b *gcblob.Bucket) presignFunc {
	return func(ctx context.Context, key, method string, expiry time.Duration, disposition string) (string, error) {
		opts := &gcblob.SignedURLOptions{Method: method, Expiry: expiry}
		if disposition != "" {
			opts.BeforeSign = func(asFunc func(any) bool) error {
				var in *s3.GetObjectInput
				if asFunc(&in) {
					in.ResponseContentDisposition = aws.String(disposition)
				}
				return nil
			}
		}
		return b.SignedURL(ctx, key, opts)
	}
}

package blob

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"
	gcblob "gocloud.dev/blob"
	"gocloud.dev/blob/azureblob"

	"github.com/exporthub/exporthub/internal/egress"
)

// AzurePutHeader is the header and value a client must send with a PUT to
// an Azure SAS upload URL: Azure refuses a PUT that does not say which
// kind of blob it creates. The hub cannot add it to the URL; plugins that
// PUT without it (a plain requests.put) need a proxied storage.
const (
	AzurePutHeader      = "x-ms-blob-type"
	AzurePutHeaderValue = "BlockBlob"
)

// azureParams says how to reach one Azure Blob container.
type azureParams struct {
	container string
	// endpoint is the blob service URL, e.g.
	// https://account.blob.core.windows.net (the default) or
	// http://127.0.0.1:10000/account for Azurite.
	endpoint string
	account  string
	// accountKey or sasToken is the credential.
	accountKey string
	sasToken   string
	// policy, when set, checks every connection (organization storages).
	policy *egress.Policy
}

// serviceURL returns the blob service URL without a trailing slash.
func (p *azureParams) serviceURL() string {
	if p.endpoint != "" {
		return strings.TrimRight(p.endpoint, "/")
	}
	return "https://" + p.account + ".blob.core.windows.net"
}

// parseAzblobURL reads azblob://container?endpoint=...; the account and
// its key come from the Config.
func parseAzblobURL(u *url.URL) (*azureParams, error) {
	p := &azureParams{container: u.Host}
	if p.container == "" {
		return nil, fmt.Errorf("BucketURL %q names no container (want azblob://container?...)", u.Redacted())
	}
	if u.Path != "" && u.Path != "/" {
		return nil, fmt.Errorf("BucketURL %q has a path; key prefixes are not supported", u.Redacted())
	}
	for name, values := range u.Query() {
		v := values[0]
		switch name {
		case "endpoint":
			if err := checkAzureEndpoint(v); err != nil {
				return nil, fmt.Errorf("BucketURL parameter endpoint: %w", err)
			}
			p.endpoint = strings.TrimRight(v, "/")
		default:
			return nil, fmt.Errorf("BucketURL parameter %q is not supported (use endpoint)", name)
		}
	}
	return p, nil
}

// openAzure opens an Azure Blob container: the one place the hub builds
// an Azure client. The credential is passed explicitly, never read from
// the environment. With an account key, presigned URLs are service SAS
// URLs signed with it; with a SAS token there is no presigner (the
// storage must be proxied). No network traffic happens here.
func openAzure(ctx context.Context, p *azureParams) (*gcblob.Bucket, presignFunc, error) {
	opts := &container.ClientOptions{ClientOptions: azcore.ClientOptions{
		Transport: &http.Client{Transport: storageTransport(p.policy)},
		// Fail fast enough for the bucket check on save.
		Retry: policy.RetryOptions{MaxRetries: 2, RetryDelay: 200 * time.Millisecond, MaxRetryDelay: 2 * time.Second},
	}}
	containerURL := p.serviceURL() + "/" + p.container
	var (
		client *container.Client
		cred   *azblob.SharedKeyCredential
		err    error
	)
	if p.sasToken != "" {
		client, err = container.NewClientWithNoCredential(containerURL+"?"+strings.TrimPrefix(p.sasToken, "?"), opts)
	} else {
		if cred, err = azblob.NewSharedKeyCredential(p.account, p.accountKey); err != nil {
			return nil, nil, fmt.Errorf("azure account key: %w", err)
		}
		client, err = container.NewClientWithSharedKeyCredential(containerURL, cred, opts)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("open azure container %q: %w", p.container, err)
	}
	b, err := azureblob.OpenBucket(ctx, client, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("open azure container %q: %w", p.container, err)
	}
	if cred == nil {
		return b, nil, nil
	}
	return b, azurePresigner(p, cred), nil
}

// azurePresigner returns service SAS URLs for one blob: read for GET
// (with the download's Content-Disposition), create and write for PUT,
// valid from now until the expiry, over https (and http for an http
// endpoint, such as Azurite's).
func azurePresigner(p *azureParams, cred *azblob.SharedKeyCredential) presignFunc {
	base := p.serviceURL() + "/" + p.container + "/"
	protocol := sas.ProtocolHTTPS
	if strings.HasPrefix(base, "http://") {
		protocol = sas.ProtocolHTTPSandHTTP
	}
	return func(_ context.Context, key, method string, expiry time.Duration, disposition string) (string, error) {
		v := sas.BlobSignatureValues{
			Protocol:      protocol,
			ExpiryTime:    time.Now().UTC().Add(expiry),
			ContainerName: p.container,
			BlobName:      key,
		}
		switch method {
		case http.MethodGet:
			v.Permissions = (&sas.BlobPermissions{Read: true}).String()
			v.ContentDisposition = disposition
		case http.MethodPut:
			v.Permissions = (&sas.BlobPermissions{Create: true, Write: true}).String()
		}
		q, err := v.SignWithSharedKey(cred)
		if err != nil {
			return "", fmt.Errorf("sign SAS: %w", err)
		}
		return base + key + "?" + q.Encode(), nil
	}
}

// azureKeyPath returns the object key part of u when u is an object URL
// of the container: <service URL>/<container>/<key>.
func azureKeyPath(p *azureParams, u *url.URL) (string, bool) {
	svc, err := url.Parse(p.serviceURL())
	if err != nil || !strings.EqualFold(svc.Host, u.Host) {
		return "", false
	}
	prefix := strings.TrimPrefix(strings.TrimRight(svc.Path, "/")+"/"+p.container+"/", "/")
	return strings.CutPrefix(strings.TrimPrefix(u.Path, "/"), prefix)
}

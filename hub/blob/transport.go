package blob

import (
	"net/http"

	"github.com/exporthub/exporthub/internal/egress"
)

// storageTransport returns the HTTP transport of a storage client
// (openS3, openGCS, openAzure): with a policy (organization storages,
// Config.StoragePolicy), every connection it makes is checked against it
// after DNS resolution and on every redirect; without (the hub's own
// bucket, set by the operator), it is http.DefaultTransport's.
func storageTransport(p *egress.Policy) http.RoundTripper {
	if p != nil {
		return p.Transport()
	}
	return http.DefaultTransport.(*http.Transport).Clone()
}

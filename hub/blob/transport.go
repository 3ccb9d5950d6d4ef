package blob

import "net/http"

// storageTransport returns the HTTP transport of the GCS and Azure
// clients (openGCS, openAzure). Every connection the hub opens to those
// storages goes through a transport made here, so a policy on outbound
// storage connections (allowed hosts, no private addresses) applies to
// both when set here; the S3 clients are built in one place too (openS3).
func storageTransport() http.RoundTripper {
	return http.DefaultTransport.(*http.Transport).Clone()
}

// Package blob stores the hub's files (export zips, export snapshots
// handed to plugins, uploaded assets) in blob storage through
// gocloud.dev/blob, and hands out presigned URLs so that plugins and
// browsers read and write objects without credentials.
//
// # Buckets
//
// The hub has one bucket of its own, named by Config.BucketURL: a local
// directory (file://, the embedded default), an S3-compatible bucket
// (s3://), a Google Cloud Storage bucket (gs://) or an Azure Blob
// container (azblob://). An organization may register its own buckets on
// AWS (any S3-compatible service), GCP or AZURE (store.Storage, made by
// NewStorage and checked by Service.CheckStorage); Service.Bucket opens
// them on demand with the storage's credentials, decrypted with the hub
// key, and caches them by id. Every connection to an organization's bucket
// starts from openStorage, through one constructor per provider (openS3,
// openGCS, openAzure): the place for a policy on where storages may point.
//
// # Object keys
//
// Objects the API creates have keys of the form
//
//	orgs/<org id>/projects/<project id>/<type>/<yyyy>/<random>/<file name>
//
// (see Key, NewKey, ParseKey). The organization and project in the key
// are what isolation checks compare: Service.DownloadURL refuses to sign
// a key of another organization or project.
//
// # Presigned URLs
//
// For a bucket the hub proxies (file://, mem://, a provider's bucket with
// Config.Proxy) the URLs point at the hub itself:
//
//	<PublicURL>/blob/<key>?method=PUT&expires=<unix seconds>&sig=<HMAC>
//
// and Service.Handler serves them; proxied organization storages are
// served the same way under <PublicURL>/storage-blob/<storage id>/<key>
// by Service.StorageHandler. The signature is HMAC-SHA256 over the
// method, the bucket, the key and the expiry, with a key derived from the
// hub key; changing any of them gives 403. Otherwise the URLs are the
// provider's own: S3 signature version 4, GCS V4 signed URLs, Azure
// service SAS.
//
// # Errors
//
// Methods return this package's sentinels (ErrNotFound, ErrTooLarge,
// ErrInvalidKey, ErrForbidden, ErrInvalidStorage, ErrClosed), possibly
// wrapped; no gocloud or AWS error type escapes the package.
//
// Service is exporthub's own component, not an extension point; its API
// changes with the hub's needs. The behaviour suite in hub/blob/blobtest
// runs against every backend.
package blob

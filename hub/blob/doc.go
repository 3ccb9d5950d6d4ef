// Package blob stores the hub's files (export zips, export snapshots
// handed to plugins, uploaded assets) in blob storage through
// gocloud.dev/blob, and hands out presigned URLs so that plugins and
// browsers read and write objects without credentials.
//
// # Buckets
//
// The hub has one bucket of its own, named by Config.BucketURL: a local
// directory (file://, the embedded default) or an S3-compatible bucket
// (s3://). An organization may register its own S3-compatible buckets
// (store.Storage); Service.Bucket opens them on demand with the storage's
// credentials, decrypted with the hub key, and caches them by id.
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
// For a bucket the hub proxies (file://, mem://, or s3:// with
// Config.Proxy) the URLs point at the hub itself:
//
//	<PublicURL>/blob/<key>?method=PUT&expires=<unix seconds>&sig=<HMAC>
//
// and Service.Handler serves them. The signature is HMAC-SHA256 over the
// method, the bucket, the key and the expiry, with a key derived from the
// hub key; changing any of them gives 403. For S3 buckets the URLs are
// S3's own (signature version 4), made by the bucket's SDK client.
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

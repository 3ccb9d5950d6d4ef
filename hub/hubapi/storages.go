package hubapi

import (
	"encoding/json"
	"time"
)

// StorageCreateRequest is the body of POST /api/storages. Each provider
// takes its own credentials (hub/blob's StorageInput says which); they
// are sealed with the hub key before they are stored and never returned.
type StorageCreateRequest struct {
	Name string `json:"name"`
	// Provider is "AWS" (the default: AWS S3 or any S3-compatible service
	// with an endpoint), "GCP" or "AZURE", in any case; "s3" is AWS.
	Provider string `json:"provider"`
	// Endpoint is the service URL of a compatible server; empty for the
	// provider's public cloud.
	Endpoint string `json:"endpoint"`
	// Region defaults to us-east-1 for AWS.
	Region string `json:"region"`
	// Bucket is the bucket, or for AZURE the container.
	Bucket string `json:"bucket"`
	// AccessKey and SecretKey are AWS credentials.
	AccessKey string `json:"accessKey,omitempty"`
	SecretKey string `json:"secretKey,omitempty"`
	// Credentials is a GCP service-account JSON key, as a JSON object or
	// a string holding it.
	Credentials json.RawMessage `json:"credentials,omitempty"`
	// AccountName with AccountKey or SASToken are AZURE credentials.
	AccountName string `json:"accountName,omitempty"`
	AccountKey  string `json:"accountKey,omitempty"`
	SASToken    string `json:"sasToken,omitempty"`
	// Proxied makes the hub serve the storage's presigned URLs itself,
	// for plugins that cannot reach the storage or cannot send what it
	// needs (Azure's x-ms-blob-type); required with a SAS token.
	Proxied bool `json:"proxied,omitempty"`
	// SkipCheck skips the check that the hub can write to the bucket with
	// these credentials.
	SkipCheck bool `json:"skipCheck,omitempty"`
}

// StorageResponse is an organization storage on the wire: never the
// secret (secret key, JSON key, account key or SAS token).
type StorageResponse struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Provider string `json:"provider"`
	Endpoint string `json:"endpoint"`
	Region   string `json:"region"`
	Bucket   string `json:"bucket"`
	// AccessKey is the non-secret half of the credentials: the AWS access
	// key id, the GCP service account's e-mail or the Azure account name.
	AccessKey string `json:"accessKey"`
	// CredentialType is accessKey, serviceAccount, accountKey or sasToken.
	CredentialType string    `json:"credentialType"`
	Proxied        bool      `json:"proxied"`
	CreatedAt      time.Time `json:"createdAt"`
}

// StorageListResponse is the body of GET /api/storages.
type StorageListResponse struct {
	Storages []*StorageResponse `json:"storages"`
}

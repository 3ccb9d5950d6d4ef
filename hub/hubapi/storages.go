package hubapi

import "time"

// StorageCreateRequest is the body of POST /api/storages.
type StorageCreateRequest struct {
	Name string `json:"name"`
	// Provider is "s3" (the default): any S3-compatible service.
	Provider string `json:"provider"`
	// Endpoint is the S3 endpoint URL; empty for AWS S3.
	Endpoint string `json:"endpoint"`
	// Region defaults to us-east-1.
	Region    string `json:"region"`
	Bucket    string `json:"bucket"`
	AccessKey string `json:"accessKey"`
	// SecretKey is encrypted with the hub key before it is stored and is
	// never returned.
	SecretKey string `json:"secretKey"`
	// SkipCheck skips the check that the bucket answers with these
	// credentials.
	SkipCheck bool `json:"skipCheck,omitempty"`
}

// StorageResponse is an organization storage on the wire: never the
// secret key.
type StorageResponse struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Provider  string    `json:"provider"`
	Endpoint  string    `json:"endpoint"`
	Region    string    `json:"region"`
	Bucket    string    `json:"bucket"`
	AccessKey string    `json:"accessKey"`
	CreatedAt time.Time `json:"createdAt"`
}

// StorageListResponse is the body of GET /api/storages.
type StorageListResponse struct {
	Storages []*StorageResponse `json:"storages"`
}

package hubapi

import "time"

// ExportResponse is an export file on the wire.
type ExportResponse struct {
	ID        string `json:"id"`
	ProjectID string `json:"projectId"`
	RunID     string `json:"runId"`
	PluginID  string `json:"pluginId"`
	UserID    string `json:"userId"`
	FileName  string `json:"fileName"`
	Size      int64  `json:"size"`
	// SHA256 is the hex SHA-256 of the file.
	SHA256 string `json:"sha256"`
	// StorageID is the organization storage holding the file; "" for the
	// hub's own.
	StorageID string `json:"storageId,omitempty"`
	Bucket    string `json:"bucket,omitempty"`
	ObjectKey string `json:"objectKey"`
	// DownloadURL is the hub path that downloads the file (API key or
	// session needed).
	DownloadURL string    `json:"downloadUrl"`
	CreatedAt   time.Time `json:"createdAt"`
}

// ExportListResponse is the body of GET /api/projects/{pid}/exports.
type ExportListResponse struct {
	Exports []*ExportResponse `json:"exports"`
}

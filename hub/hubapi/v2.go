package hubapi

import (
	"encoding/json"
	"time"

	"github.com/exporthub/exporthub/internal/wire"
)

// The data of the /v2 calls a plugin makes during a run are declared
// once, with the plugin protocol, in package wire.

// V2ExportResponse is the data of GET /v2/export.
type V2ExportResponse = wire.ExportData

// V2UploadURLResponse is the data of GET /v2/getUploadUrl.
type V2UploadURLResponse = wire.UploadURLData

// V2SignedURLResponse is the data of GET /v2/getSignedUrl.
type V2SignedURLResponse = wire.SignedURLData

// V2Storage is an organization storage as /v2/storages shows it, in
// Ango's shape (provider AWS, GCP or AZURE): never credentials.
type V2Storage struct {
	ID           string    `json:"_id"`
	Name         string    `json:"name"`
	Provider     string    `json:"provider"`
	Bucket       string    `json:"bucket"`
	Region       string    `json:"region"`
	Endpoint     string    `json:"endpoint"`
	Organization string    `json:"organization"`
	CreatedAt    time.Time `json:"createdAt"`
}

// V2StoragesResponse is the data of GET /v2/storages.
type V2StoragesResponse struct {
	Storages []V2Storage `json:"storages"`
}

// V2Batch is a batch as /v2/project shows it.
type V2Batch struct {
	ID   string `json:"_id"`
	Name string `json:"name"`
}

// V2Project is a project as /v2/project shows it.
type V2Project struct {
	ID             string          `json:"_id"`
	Name           string          `json:"name"`
	Description    string          `json:"description"`
	Organization   string          `json:"organization"`
	Batches        []V2Batch       `json:"batches"`
	Stages         []StageJSON     `json:"stages"`
	CategorySchema json.RawMessage `json:"categorySchema"`
	CreatedAt      time.Time       `json:"createdAt"`
	UpdatedAt      time.Time       `json:"updatedAt"`
}

// V2ProjectResponse is the data of GET /v2/project/{id}.
type V2ProjectResponse struct {
	Project V2Project `json:"project"`
}

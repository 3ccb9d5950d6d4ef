package hubapi

// ImportResponse is the body of a successful POST /api/projects/{id}/import.
type ImportResponse struct {
	// Imported is the number of assets read and written.
	Imported int `json:"imported"`
	// Inserted and Updated split Imported (upsert mode replaces existing
	// externalIds).
	Inserted int `json:"inserted"`
	Updated  int `json:"updated"`
	// AddedStages and AddedBatches list the stages and batches the import
	// added to the project.
	AddedStages  []StageJSON `json:"addedStages,omitempty"`
	AddedBatches []BatchJSON `json:"addedBatches,omitempty"`
}

// ImportError is one problem of a rejected import, with its location.
type ImportError struct {
	// Index is the 0-based position of the asset in the input; -1 when the
	// problem is outside any asset.
	Index int `json:"index"`
	// ExternalID is the asset's externalId when it could be read.
	ExternalID string `json:"externalId,omitempty"`
	// Line is the 1-based input line; 0 when unknown.
	Line int `json:"line,omitempty"`
	// Offset is the byte offset in the input; -1 when unknown.
	Offset int64 `json:"offset"`
	// Path is the JSON path inside the asset (task.tools[0].bounding-box).
	Path string `json:"path,omitempty"`
	// ObjectID is the objectId of the annotation the problem is in, when
	// there is one.
	ObjectID string `json:"objectId,omitempty"`
	// Message says what is wrong.
	Message string `json:"message"`
}

// ImportFailResponse is the body of an import rejected for invalid AAF
// (400, code invalid_aaf): the fail envelope with the problems found.
type ImportFailResponse struct {
	Status  string `json:"status"` // always "fail"
	Message string `json:"message"`
	Code    string `json:"code"` // always CodeInvalidAAF
	// Errors lists the first problems of the input in input order, at
	// most Config.MaxImportErrors of them.
	Errors []ImportError `json:"errors"`
	// Truncated is true when the input has more problems than Errors
	// lists, or when the rest of the input could not be checked.
	Truncated bool `json:"truncated"`
}

package aaf

import "encoding/json"

// Generation says which shape of the format an asset was read from.
type Generation int

const (
	// GenerationV3 is the current shape: one "task" object with "tools".
	GenerationV3 Generation = iota
	// GenerationLegacy is the older shape: a "tasks" array with "objects".
	GenerationLegacy
)

// String returns "v3" or "legacy".
func (g Generation) String() string {
	if g == GenerationLegacy {
		return "legacy"
	}
	return "v3"
}

// Asset is one asset of an export (one image, video, text, ...) with its
// annotations, normalised over both generations of the format.
//
// An Asset returned by a [Reader] is owned by the caller.
type Asset struct {
	// Asset is the location of the asset's file (URL), key "asset".
	Asset string
	// AssetID is the hub's id of the asset, key "assetId"; may be empty.
	AssetID string
	// ExternalID is the name given at import, key "externalId". Not unique.
	ExternalID string
	// Dataset holds one URL per page of a multi-image asset, key "dataset".
	Dataset []string
	// Metadata is the asset-type specific metadata, key "metadata".
	Metadata Metadata
	// Batches holds the names of the batches the asset belongs to, key
	// "batches", with null entries removed. The encoder writes the original
	// list (nulls included) back as long as Batches is left unchanged.
	Batches []string
	// ContextData is the free key/value data given at import, key
	// "contextData", kept as raw JSON; nil when absent.
	ContextData json.RawMessage
	// Task is the annotation task. For v3 assets it is "task"; for legacy
	// assets it is Tasks[0] (nil if that list is empty).
	Task *Task
	// Tasks holds every task of a legacy asset (one per labeler when
	// consensus is on), key "tasks"; nil for v3 assets.
	Tasks []*Task
	// Generation is the shape the asset was read from.
	Generation Generation
	// Extra holds the keys this model does not know (including the
	// legacy asset keys labeledAt, reviewedAt, status, labelDuration(ms),
	// consensus), written back as they were read.
	Extra map[string]json.RawMessage

	// raw is the asset's source bytes when the reader was asked to keep them.
	raw []byte
	// rawBatches is the source "batches" value when it held nulls.
	rawBatches json.RawMessage
	// has records which known keys were present in the source.
	has fieldSet
}

// Raw returns the exact bytes the asset was read from, or nil unless the
// reader was created with [WithRaw]. The slice must not be modified.
func (a *Asset) Raw() []byte { return a.raw }

// Metadata is an asset's "metadata" object. Numeric fields are nil when the
// key is absent (e.g. images never opened in the editor have no size).
type Metadata struct {
	// Width is the image or video width in pixels, key "width".
	Width *float64
	// Height is the image or video height in pixels, key "height".
	Height *float64
	// FrameTotal is the number of frames of a video, key "frameTotal".
	FrameTotal *float64
	// FrameRate is the frame rate of a video, key "frameRate".
	FrameRate *float64
	// Extra holds every other key.
	Extra map[string]json.RawMessage

	// has records which known keys were present in the source.
	has fieldSet
}

// Size returns the width and height and whether both are present and
// positive.
func (m Metadata) Size() (width, height float64, ok bool) {
	if m.Width == nil || m.Height == nil || *m.Width <= 0 || *m.Height <= 0 {
		return 0, 0, false
	}
	return *m.Width, *m.Height, true
}

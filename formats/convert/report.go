package convert

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
)

// MaxProblems is how many per-asset problems a [Report] keeps (and logs one
// by one); later ones are only counted in ProblemCount.
const MaxProblems = 100

// Report says what a conversion wrote and what it could not. Every object
// of a written asset is either written or counted under a reason, so
// Objects == ObjectsWritten + the sum of SkippedObjects.
type Report struct {
	// Format is the converter's name ("coco", "yolo", ...).
	Format string `json:"format"`
	// Assets is the number of assets read from the export.
	Assets int `json:"assets"`
	// AssetsWritten is the number of assets written to the output.
	AssetsWritten int `json:"assetsWritten"`
	// SkippedAssets counts assets not written, per reason.
	SkippedAssets map[string]int `json:"skippedAssets,omitempty"`
	// Images is the number of images (or video frames, or pages) written.
	Images int `json:"images"`
	// Objects is the number of annotation entries of the written assets.
	Objects int `json:"objects"`
	// ObjectsWritten is the number of those the format could express.
	ObjectsWritten int `json:"objectsWritten"`
	// SkippedObjects counts the entries not written, per reason, e.g.
	// "polyline not expressible in VOC".
	SkippedObjects map[string]int `json:"skippedObjects,omitempty"`
	// Conversions counts objects written in a lossy way, per kind, e.g.
	// "polygon written as its bounding box".
	Conversions map[string]int `json:"conversions,omitempty"`
	// Renamed counts assets whose file name was already taken (externalIds
	// are not unique) and got a "_2", "_3", ... suffix.
	Renamed int `json:"renamed,omitempty"`
	// Problems holds the first MaxProblems per-asset problems.
	Problems []Problem `json:"problems,omitempty"`
	// ProblemCount is the number of per-asset problems.
	ProblemCount int `json:"problemCount"`
}

// Problem is why one asset could not be converted.
type Problem struct {
	// Index is the 0-based position of the asset in the export.
	Index int `json:"index"`
	// ExternalID is the asset's externalId.
	ExternalID string `json:"externalId"`
	// Message says what is wrong.
	Message string `json:"message"`
}

// String returns `asset 4 ("img-004.jpg"): <message>`.
func (p Problem) String() string {
	return fmt.Sprintf("asset %d (%q): %s", p.Index+1, p.ExternalID, p.Message)
}

func addCount(m *map[string]int, key string, n int) {
	if n == 0 {
		return
	}
	if *m == nil {
		*m = make(map[string]int)
	}
	(*m)[key] += n
}

// SkippedObjectCount returns the number of objects not written.
func (r *Report) SkippedObjectCount() int {
	n := 0
	for _, c := range r.SkippedObjects {
		n += c
	}
	return n
}

// Log writes the report to logger: one summary line at Info, one line per
// skip reason and conversion at Warn and Info.
func (r *Report) Log(ctx context.Context, logger *slog.Logger) {
	logger.InfoContext(ctx, "conversion finished",
		slog.String(LogKeyFormat, r.Format),
		slog.Int("assets", r.Assets),
		slog.Int("assets_written", r.AssetsWritten),
		slog.Int("images", r.Images),
		slog.Int("objects", r.Objects),
		slog.Int("objects_written", r.ObjectsWritten),
		slog.Int("problems", r.ProblemCount))
	for _, reason := range slices.Sorted(maps.Keys(r.SkippedAssets)) {
		logger.WarnContext(ctx, "assets skipped: "+reason, slog.Int("count", r.SkippedAssets[reason]))
	}
	for _, reason := range slices.Sorted(maps.Keys(r.SkippedObjects)) {
		logger.WarnContext(ctx, "objects skipped: "+reason, slog.Int("count", r.SkippedObjects[reason]))
	}
	for _, what := range slices.Sorted(maps.Keys(r.Conversions)) {
		logger.InfoContext(ctx, "objects converted: "+what, slog.Int("count", r.Conversions[what]))
	}
	if r.Renamed > 0 {
		logger.WarnContext(ctx, "assets renamed because their file name was already used", slog.Int("count", r.Renamed))
	}
	if r.ProblemCount > len(r.Problems) {
		logger.WarnContext(ctx, fmt.Sprintf("%d more asset problems not listed", r.ProblemCount-len(r.Problems)))
	}
}

// String returns a multi-line human summary of the report.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d assets read, %d written (%d images); %d objects, %d written",
		r.Format, r.Assets, r.AssetsWritten, r.Images, r.Objects, r.ObjectsWritten)
	for _, reason := range slices.Sorted(maps.Keys(r.SkippedAssets)) {
		fmt.Fprintf(&b, "\nassets skipped, %s: %d", reason, r.SkippedAssets[reason])
	}
	for _, reason := range slices.Sorted(maps.Keys(r.SkippedObjects)) {
		fmt.Fprintf(&b, "\nobjects skipped, %s: %d", reason, r.SkippedObjects[reason])
	}
	for _, what := range slices.Sorted(maps.Keys(r.Conversions)) {
		fmt.Fprintf(&b, "\nobjects converted, %s: %d", what, r.Conversions[what])
	}
	if r.Renamed > 0 {
		fmt.Fprintf(&b, "\nassets renamed because their file name was already used: %d", r.Renamed)
	}
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "\n%s", p)
	}
	if r.ProblemCount > len(r.Problems) {
		fmt.Fprintf(&b, "\n... %d more asset problems", r.ProblemCount-len(r.Problems))
	}
	return b.String()
}

// Log attribute keys used by the converters.
const (
	LogKeyFormat = "format"
	LogKeyAsset  = "asset"
)

package convert

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"

	"github.com/exporthub/exporthub/aaf"
)

// Skip reasons for whole assets.
const (
	ReasonTaskSkipped = "task skipped by the labeler (isSkipped; set includeSkipped to convert)"
	ReasonNoTask      = "asset has no task"
	ReasonProblem     = "asset could not be converted (see problems)"
	ReasonStopped     = "interpolationStopped entry (marks where a video object ends; nothing to draw)"
)

// ProblemError is returned by a converter's per-asset function when the
// asset cannot be converted; [Walk] records it as a [Problem] and goes on
// (or fails the run in strict mode).
type ProblemError struct {
	// Message says what is wrong, without the asset's position.
	Message string
}

// Error returns the message.
func (e *ProblemError) Error() string { return e.Message }

// Problemf returns a *ProblemError with a formatted message.
func Problemf(format string, args ...any) error {
	return &ProblemError{Message: fmt.Sprintf(format, args...)}
}

// Item is one asset being converted, with its unique file name and its
// frames. The converter records the fate of every object with Wrote, Skip
// and Converted; the counts reach the report only if the asset is written.
type Item struct {
	// Index is the 0-based position of the asset in the export.
	Index int
	// Asset is the asset.
	Asset *aaf.Asset
	// Name is the asset's unique file name (see [Namer]).
	Name string
	// Stem is Name without its extension.
	Stem string
	// Frames holds the images of the asset (see [SplitFrames]).
	Frames []Frame

	stopped   int
	written   int
	skipped   map[string]int
	converted map[string]int
	images    int
}

// Wrote records n objects written.
func (it *Item) Wrote(n int) { it.written += n }

// Skip records one object not written and why.
func (it *Item) Skip(reason string) { addCount(&it.skipped, reason, 1) }

// Converted records one object written in a lossy way, e.g. "polygon
// written as its bounding box".
func (it *Item) Converted(what string) { addCount(&it.converted, what, 1) }

// Image records one image (file, frame or page entry) written.
func (it *Item) Image() { it.images++ }

// Size returns the asset's width and height, or a problem saying that
// format needs them: `YOLO needs metadata.width and metadata.height`.
func (it *Item) Size(format string) (w, h float64, err error) {
	w, h, ok := it.Asset.Metadata.Size()
	if !ok {
		return 0, 0, Problemf("%s needs metadata.width and metadata.height", format)
	}
	return w, h, nil
}

// Walk reads every asset of the export in order, applies the common rules
// and calls write for each asset to convert:
//
//   - an asset without task, or whose task was skipped by the labeler
//     (unless Common.IncludeSkipped), is counted and not passed on;
//   - write's *ProblemError skips the asset and is recorded as a [Problem]
//     and logged, or, with Common.Strict, ends the run with that problem;
//   - any other error, a read error, or ctx ending stops the run.
//
// Walk fills rep and returns the first fatal error.
func Walk(ctx context.Context, assets iter.Seq2[*aaf.Asset, error], env *Env, o Common, rep *Report, write func(*Item) error) error {
	logger := env.Log()
	names := NewNamer()
	index := -1
	for a, err := range assets {
		index++
		if err != nil {
			return fmt.Errorf("read export: %w", err)
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("convert asset %d: %w", index+1, context.Cause(ctx))
		}
		rep.Assets++
		switch {
		case a.Task == nil:
			addCount(&rep.SkippedAssets, ReasonNoTask, 1)
			continue
		case a.Task.IsSkipped && !o.IncludeSkipped:
			addCount(&rep.SkippedAssets, ReasonTaskSkipped, 1)
			continue
		}
		name, stem, renamed := names.Name(a, index)
		if renamed {
			if rep.Renamed < MaxProblems {
				logger.InfoContext(ctx, fmt.Sprintf("asset %d (%q): name already used, written as %q", index+1, a.ExternalID, name),
					slog.Int(LogKeyAsset, index))
			}
			rep.Renamed++
		}
		it := &Item{Index: index, Asset: a, Name: name, Stem: stem}
		it.Frames, it.stopped = SplitFrames(a, name, stem)
		err := write(it)
		var pe *ProblemError
		if errors.As(err, &pe) {
			p := Problem{Index: index, ExternalID: a.ExternalID, Message: pe.Message}
			if o.Strict {
				return fmt.Errorf("%s (strict mode stops at the first problem)", p)
			}
			rep.ProblemCount++
			if len(rep.Problems) < MaxProblems {
				rep.Problems = append(rep.Problems, p)
				logger.WarnContext(ctx, p.String(), slog.Int(LogKeyAsset, index))
			}
			addCount(&rep.SkippedAssets, ReasonProblem, 1)
			continue
		}
		if err != nil {
			return fmt.Errorf("convert asset %d (%q): %w", index+1, a.ExternalID, err)
		}
		rep.AssetsWritten++
		rep.Images += it.images
		rep.Objects += len(a.Task.Tools)
		rep.ObjectsWritten += it.written
		addCount(&rep.SkippedObjects, ReasonStopped, it.stopped)
		for reason, n := range it.skipped {
			addCount(&rep.SkippedObjects, reason, n)
		}
		for what, n := range it.converted {
			addCount(&rep.Conversions, what, n)
		}
	}
	return nil
}

// Skip reasons for objects shared by the formats.
const (
	ReasonNoZones      = "segmentation without zones (exported without the Segmentation Points toggle)"
	ReasonShortPolygon = "polygon with fewer than 3 points"
	ReasonOutside      = "object outside the image or of zero size"
)

// NoGeometry returns the skip reason for an object whose geometry key holds
// no coordinates: ReasonNoZones for a segmentation, else "<kind> without
// coordinates".
func NoGeometry(t *aaf.Tool) string {
	if t.Kind == aaf.KindSegmentation {
		return ReasonNoZones
	}
	return string(t.Kind) + " without coordinates"
}

// NotExpressible returns the skip reason for an object kind a format cannot
// hold, e.g. "polyline not expressible in VOC".
func NotExpressible(kind aaf.ToolKind, format string) string {
	if kind == "" {
		return "entry without geometry (e.g. medical brush classifications) not expressible in " + format
	}
	return fmt.Sprintf("%s not expressible in %s", kind, format)
}

// TookStopped records n interpolationStopped entries that the format does
// express (e.g. as the end of a track), so they count as written instead
// of skipped.
func (it *Item) TookStopped(n int) {
	it.stopped -= n
	it.written += n
}

package convert

import (
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/exporthub/exporthub/aaf"
)

// DefaultFrameExt is the image extension given to video frames: frames are
// expected to be extracted as JPEG, e.g. with
// `ffmpeg -i clip.mp4 -start_number 0 clip_%06d.jpg`.
const DefaultFrameExt = ".jpg"

// Frame is one image of an asset: the asset itself for a plain image, or
// one frame of a video or one page of a multi-page asset (aaf.md 9).
type Frame struct {
	// Index is the 0-based frame or page, -1 for a plain image.
	Index int
	// Name is the image's file name: the asset name for a plain image,
	// "<stem>_<index, 6 digits>.jpg" for a frame (the extension of the
	// page's dataset URL for a multi-page asset when it has one).
	Name string
	// Stem is Name without its extension.
	Stem string
	// Tools holds the asset's objects on this image, in export order,
	// without interpolationStopped entries.
	Tools []*aaf.Tool
	// Classifications holds the task classifications that apply to this
	// image: those without a page, and for each frame-specific question the
	// latest answer at or before this frame unless that answer stopped.
	Classifications []*aaf.Classification
}

// Paged reports whether the asset is a video or multi-page asset: it has
// frame metadata or dataset pages, or an annotation carries a page.
func Paged(a *aaf.Asset) bool {
	if a.Metadata.FrameTotal != nil || len(a.Dataset) > 0 {
		return true
	}
	if a.Task == nil {
		return false
	}
	for _, t := range a.Task.Tools {
		if t.Page != nil {
			return true
		}
	}
	for _, c := range a.Task.Classifications {
		if c.Page != nil {
			return true
		}
	}
	return false
}

// SplitFrames returns the images of an asset named name/stem, and the
// number of interpolationStopped entries left out. A plain image gives one
// frame holding everything. A video or multi-page asset gives one frame per
// page that has at least one object, in page order; objects without a page
// belong to page 0.
func SplitFrames(a *aaf.Asset, name, stem string) (frames []Frame, stopped int) {
	var tools []*aaf.Tool
	var cls []*aaf.Classification
	if a.Task != nil {
		tools, cls = a.Task.Tools, a.Task.Classifications
	}
	if !Paged(a) {
		kept := make([]*aaf.Tool, 0, len(tools))
		for _, t := range tools {
			if t.InterpolationStopped {
				stopped++
				continue
			}
			kept = append(kept, t)
		}
		return []Frame{{Index: -1, Name: name, Stem: stem, Tools: kept, Classifications: cls}}, stopped
	}
	byPage := make(map[int][]*aaf.Tool)
	for _, t := range tools {
		if t.InterpolationStopped {
			stopped++
			continue
		}
		p := t.PageOr(0)
		byPage[p] = append(byPage[p], t)
	}
	pages := make([]int, 0, len(byPage))
	for p := range byPage {
		pages = append(pages, p)
	}
	slices.Sort(pages)
	frames = make([]Frame, 0, len(pages))
	for _, p := range pages {
		fstem := fmt.Sprintf("%s_%06d", stem, p)
		frames = append(frames, Frame{
			Index:           p,
			Name:            fstem + pageExt(a, p),
			Stem:            fstem,
			Tools:           byPage[p],
			Classifications: FrameClassifications(cls, p),
		})
	}
	return frames, stopped
}

// FrameClassifications returns the classifications that apply at frame
// page: every entry without a page, and per frame-specific question (same
// objectId, or same schemaId when there is none) the entry with the highest
// page not after this one, unless it is interpolationStopped.
func FrameClassifications(cls []*aaf.Classification, page int) []*aaf.Classification {
	out := make([]*aaf.Classification, 0, len(cls))
	latest := make(map[string]int) // question -> index in out
	for _, c := range cls {
		if c.Page == nil {
			out = append(out, c)
			continue
		}
		if *c.Page > page {
			continue
		}
		key := c.ObjectID
		if key == "" {
			key = c.SchemaID
		}
		i, seen := latest[key]
		if !seen {
			latest[key] = len(out)
			out = append(out, c)
			continue
		}
		if *out[i].Page <= *c.Page {
			out[i] = c
		}
	}
	return slices.DeleteFunc(out, func(c *aaf.Classification) bool { return c.InterpolationStopped })
}

// pageExt returns the image extension of page p: the extension of its
// dataset URL when it is a known image type, else DefaultFrameExt.
func pageExt(a *aaf.Asset, p int) string {
	if p < 0 || p >= len(a.Dataset) {
		return DefaultFrameExt
	}
	u, err := url.Parse(a.Dataset[p])
	if err != nil {
		return DefaultFrameExt
	}
	switch ext := strings.ToLower(path.Ext(u.Path)); ext {
	case ".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp":
		return ext
	}
	return DefaultFrameExt
}

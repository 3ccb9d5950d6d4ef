package formatstest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// ValidateCOCO checks a COCO instances JSON against the structure the COCO
// dataset's "Data format" page defines for object detection and
// segmentation, and returns every violation found (nil when valid):
//
//   - top level: "images", "annotations" and "categories" arrays; "info"
//     an object and "licenses" an array when present;
//   - image: integer "id" (unique), "file_name" string, integer "width"
//     and "height" above 0;
//   - category: integer "id" (unique), "name" string, "supercategory"
//     string;
//   - annotation: integer "id" (unique); "image_id" and "category_id"
//     naming an existing image and category; "bbox" 4 finite non-negative
//     numbers [x, y, width, height] inside the image; "area" a number >= 0;
//     "iscrowd" 0 or 1; "segmentation" either a list of polygons, each an
//     even number (>= 6) of finite numbers, or an RLE object {"counts",
//     "size": [height, width]} of the image's size whose uncompressed
//     counts cover every pixel.
func ValidateCOCO(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return fmt.Errorf("not a JSON object: %w", err)
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	list := func(key string, required bool) []any {
		v, ok := doc[key]
		if !ok {
			if required {
				bad("missing %q", key)
			}
			return nil
		}
		l, ok := v.([]any)
		if !ok {
			bad("%q is not an array", key)
		}
		return l
	}
	if v, ok := doc["info"]; ok {
		if _, ok := v.(map[string]any); !ok {
			bad(`"info" is not an object`)
		}
	}
	list("licenses", false)
	type size struct{ w, h int64 }
	images := map[int64]size{}
	for i, v := range list("images", true) {
		o, ok := v.(map[string]any)
		if !ok {
			bad("images[%d] is not an object", i)
			continue
		}
		id, okID := integer(o["id"])
		w, okW := integer(o["width"])
		h, okH := integer(o["height"])
		if fn, ok := o["file_name"].(string); !ok || fn == "" {
			bad("images[%d].file_name must be a non-empty string", i)
		}
		switch {
		case !okID:
			bad("images[%d].id must be an integer", i)
		case !okW || !okH || w <= 0 || h <= 0:
			bad("images[%d] (id %d): width and height must be integers above 0", i, id)
		}
		if _, dup := images[id]; dup && okID {
			bad("images[%d]: duplicate id %d", i, id)
		}
		images[id] = size{w, h}
	}
	cats := map[int64]bool{}
	for i, v := range list("categories", true) {
		o, ok := v.(map[string]any)
		if !ok {
			bad("categories[%d] is not an object", i)
			continue
		}
		id, ok := integer(o["id"])
		if !ok {
			bad("categories[%d].id must be an integer", i)
		}
		if cats[id] {
			bad("categories[%d]: duplicate id %d", i, id)
		}
		cats[id] = true
		if n, ok := o["name"].(string); !ok || n == "" {
			bad("categories[%d].name must be a non-empty string", i)
		}
		if _, ok := o["supercategory"].(string); !ok {
			bad("categories[%d].supercategory must be a string", i)
		}
	}
	anns := map[int64]bool{}
	for i, v := range list("annotations", true) {
		o, ok := v.(map[string]any)
		if !ok {
			bad("annotations[%d] is not an object", i)
			continue
		}
		id, ok := integer(o["id"])
		if !ok {
			bad("annotations[%d].id must be an integer", i)
		}
		if anns[id] {
			bad("annotations[%d]: duplicate id %d", i, id)
		}
		anns[id] = true
		imgID, _ := integer(o["image_id"])
		img, okImg := images[imgID]
		if !okImg {
			bad("annotations[%d].image_id %v names no image", i, o["image_id"])
		}
		if cid, _ := integer(o["category_id"]); !cats[cid] {
			bad("annotations[%d].category_id %v names no category", i, o["category_id"])
		}
		if c, ok := integer(o["iscrowd"]); !ok || (c != 0 && c != 1) {
			bad("annotations[%d].iscrowd must be 0 or 1", i)
		}
		if a, ok := number(o["area"]); !ok || a < 0 {
			bad("annotations[%d].area must be a number >= 0", i)
		}
		bbox, ok := o["bbox"].([]any)
		if !ok || len(bbox) != 4 {
			bad("annotations[%d].bbox must be [x, y, width, height]", i)
		} else {
			var b [4]float64
			for k := range bbox {
				b[k], ok = number(bbox[k])
				if !ok || b[k] < 0 {
					bad("annotations[%d].bbox[%d] must be a finite number >= 0", i, k)
				}
			}
			const eps = 1e-6
			if okImg && (b[0]+b[2] > float64(img.w)+eps || b[1]+b[3] > float64(img.h)+eps) {
				bad("annotations[%d].bbox %v leaves the %dx%d image", i, b, img.w, img.h)
			}
		}
		switch seg := o["segmentation"].(type) {
		case []any:
			for k, p := range seg {
				poly, ok := p.([]any)
				if !ok || len(poly) < 6 || len(poly)%2 != 0 {
					bad("annotations[%d].segmentation[%d] must be an even list of at least 6 numbers", i, k)
					continue
				}
				for _, x := range poly {
					if _, ok := number(x); !ok {
						bad("annotations[%d].segmentation[%d] holds a non-number", i, k)
						break
					}
				}
			}
		case map[string]any:
			sz, _ := seg["size"].([]any)
			h, okH := integer(at(sz, 0))
			w, okW := integer(at(sz, 1))
			if len(sz) != 2 || !okH || !okW || (okImg && (h != img.h || w != img.w)) {
				bad("annotations[%d].segmentation.size must be [height, width] of its image", i)
			}
			counts, ok := seg["counts"].([]any)
			if !ok {
				if _, ok := seg["counts"].(string); !ok {
					bad("annotations[%d].segmentation.counts must be a list or a string", i)
				}
				continue
			}
			var sum int64
			for _, c := range counts {
				n, ok := integer(c)
				if !ok || n < 0 {
					bad("annotations[%d].segmentation.counts must hold integers >= 0", i)
					break
				}
				sum += n
			}
			if sum != h*w {
				bad("annotations[%d].segmentation.counts cover %d pixels, want %d", i, sum, h*w)
			}
		default:
			bad("annotations[%d].segmentation must be a list of polygons or an RLE object", i)
		}
	}
	return errors.Join(errs...)
}

func at(l []any, i int) any {
	if i < len(l) {
		return l[i]
	}
	return nil
}

func integer(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
}

func number(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil && !math.IsInf(f, 0) && !math.IsNaN(f)
}

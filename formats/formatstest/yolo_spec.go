package formatstest

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// YOLO label tasks, as in the "task" option of formats/yolo.
const (
	YOLODetect  = "detect"
	YOLOSegment = "segment"
	YOLOOBB     = "obb"
)

// ValidateYOLO checks a YOLO dataset (zip entries by name) against the
// Ultralytics dataset format and returns every violation (nil when valid):
//
//   - data.yaml: "names" as a map from 0-based contiguous indexes, or a
//     list, of non-empty strings; "nc", when present, equal to their count;
//   - labels/*.txt only, each line "class v1 v2 ..." with class an integer
//     in [0, nc) and every value a number in [0, 1]: detect "class cx cy w
//     h" with w, h > 0; segment "class x1 y1 x2 y2 ..." with at least 3
//     points; obb "class x1 y1 x2 y2 x3 y3 x4 y4".
func ValidateYOLO(files map[string][]byte, task string) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	nc, err := yoloClasses(files["data.yaml"])
	if err != nil {
		return fmt.Errorf("data.yaml: %w", err)
	}
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range files {
			if !yield(k) {
				return
			}
		}
	}) {
		if name == "data.yaml" {
			continue
		}
		if !strings.HasPrefix(name, "labels/") || path.Ext(name) != ".txt" {
			bad("%s: not a labels/*.txt file", name)
			continue
		}
		for n, line := range strings.Split(strings.TrimSuffix(string(files[name]), "\n"), "\n") {
			if line == "" {
				continue
			}
			where := fmt.Sprintf("%s:%d", name, n+1)
			f := strings.Fields(line)
			cls, err := strconv.Atoi(f[0])
			if err != nil || cls < 0 || cls >= nc {
				bad("%s: class %q is not an index below nc=%d", where, f[0], nc)
			}
			vals := make([]float64, 0, len(f)-1)
			for _, s := range f[1:] {
				v, err := strconv.ParseFloat(s, 64)
				if err != nil || v < 0 || v > 1 {
					bad("%s: value %q is not a number in [0, 1]", where, s)
				}
				vals = append(vals, v)
			}
			switch task {
			case YOLODetect:
				if len(vals) != 4 {
					bad("%s: detection line needs class cx cy w h, got %d values", where, len(vals))
				} else if vals[2] <= 0 || vals[3] <= 0 {
					bad("%s: box width and height must be above 0", where)
				}
			case YOLOSegment:
				if len(vals) < 6 || len(vals)%2 != 0 {
					bad("%s: segmentation line needs at least 3 x y pairs, got %d values", where, len(vals))
				}
			case YOLOOBB:
				if len(vals) != 8 {
					bad("%s: OBB line needs 4 corners (8 values), got %d", where, len(vals))
				}
			default:
				return fmt.Errorf("unknown YOLO task %q", task)
			}
		}
	}
	return errors.Join(errs...)
}

// yoloClasses parses data.yaml and returns the number of classes.
func yoloClasses(data []byte) (int, error) {
	if data == nil {
		return 0, errors.New("missing")
	}
	var doc struct {
		NC    *int      `yaml:"nc"`
		Names yaml.Node `yaml:"names"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return 0, err
	}
	var names []string
	switch doc.Names.Kind {
	case yaml.SequenceNode:
		if err := doc.Names.Decode(&names); err != nil {
			return 0, fmt.Errorf("names: %w", err)
		}
	case yaml.MappingNode:
		var m map[int]string
		if err := doc.Names.Decode(&m); err != nil {
			return 0, fmt.Errorf("names: %w", err)
		}
		for i := range len(m) {
			n, ok := m[i]
			if !ok {
				return 0, fmt.Errorf("names: index %d missing (indexes must run from 0)", i)
			}
			names = append(names, n)
		}
	case 0:
		if doc.NC != nil && *doc.NC == 0 {
			return 0, nil
		}
		return 0, errors.New("missing names")
	default:
		return 0, errors.New("names must be a list or a map")
	}
	for i, n := range names {
		if n == "" {
			return 0, fmt.Errorf("names[%d] is empty", i)
		}
	}
	if doc.NC != nil && *doc.NC != len(names) {
		return 0, fmt.Errorf("nc is %d but %d names are listed", *doc.NC, len(names))
	}
	return len(names), nil
}

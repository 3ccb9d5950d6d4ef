package aaf_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/aaf"
)

// The tests of this file guard the model against a field that decode,
// encode, validate or generate forgets: they find every exported field of
// the model types by reflection, so a field added to a model type is
// checked without anyone listing it. A forgotten decode lands the key in
// an Extra map (and round trips of real files still pass); here it fails
// the comparison of the field.

// extraPrefix starts the keys the filler puts in Extra maps, so they
// never collide with a known key.
const extraPrefix = "xExtra"

// filler sets every exported field of a model value to a distinct
// non-zero value.
type filler struct {
	n int
	// kind is the geometry of the Tool being filled; a Tool has one.
	kind aaf.ToolKind
	// inside counts the structs of each type being filled, to stop the
	// recursive ones (a classification's classifications) at two levels.
	inside map[reflect.Type]int
}

// geometryField names the Tool field of each geometry kind.
var geometryField = map[aaf.ToolKind]string{
	aaf.KindBoundingBox:        "BoundingBox",
	aaf.KindRotatedBoundingBox: "RotatedBox",
	aaf.KindPolygon:            "Polygon",
	aaf.KindPolyline:           "Polyline",
	aaf.KindPoint:              "Point",
	aaf.KindSegmentation:       "Segmentation",
	aaf.KindNER:                "NER",
	aaf.KindPDF:                "PDF",
	aaf.KindSpline:             "Geometry",
}

// kinds returns the geometry kinds in a fixed order.
func kinds() []aaf.ToolKind {
	out := make([]aaf.ToolKind, 0, len(geometryField))
	for k := range geometryField {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// derived lists the exported fields the filler leaves alone, each with the
// reason: they are not free data but follow from other fields.
var derived = map[string]string{
	"Asset.Generation": "follows from the presence of task or tasks; the legacy case is filled separately",
	"Asset.Tasks":      "legacy assets only (Task is Tasks[0]); filled in the legacy case",
	"Task.Legacy":      "follows from objects versus tools; set in the legacy case",
	"Tool.Kind":        "follows from the one geometry field that is set",
	"PDF.Raw":          "the source bytes of a decoded PDF; the encoder writes the fields when Raw is nil",
	"Answer.Raw":       "an answer that is not a string or a list; filled in its own classification",
	"Answer.Present":   "follows from the presence of the answer",
	"Answer.List":      "follows from the answer being a JSON array",
}

// notCompared lists the fields a decoded asset has that a built one need
// not: the source bytes.
var notCompared = map[string]bool{"PDF.Raw": true}

func (f *filler) next() int { f.n++; return f.n }

// fill sets v (addressable) and what it points to; path is the field
// path in Type.Field form, used for derived and in messages.
func (f *filler) fill(v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d", f.next()))
	case reflect.Float64:
		v.SetFloat(float64(f.next()) + 0.5)
	case reflect.Int:
		v.SetInt(int64(f.next()))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		f.fill(p.Elem(), path)
		v.Set(p)
	case reflect.Array: // Point
		for i := range v.Len() {
			f.fill(v.Index(i), path)
		}
	case reflect.Map: // Extra maps: one unknown key
		if v.Type() != reflect.TypeFor[map[string]json.RawMessage]() {
			panic("unexpected map type at " + path)
		}
		n := f.next()
		v.Set(reflect.ValueOf(map[string]json.RawMessage{extraPrefix + strconv.Itoa(n): json.RawMessage(strconv.Itoa(n))}))
	case reflect.Slice:
		if v.Type() == reflect.TypeFor[json.RawMessage]() {
			v.SetBytes([]byte(fmt.Sprintf(`{"raw%d":%d}`, f.next(), f.n)))
			return
		}
		n := 3 // a polygon needs three vertices
		if elem := v.Type().Elem(); elem.Kind() == reflect.Pointer {
			n = 1 // one filled struct is enough
			if f.inside[elem.Elem()] >= 2 {
				return // deep enough: nested of nested stays empty
			}
		}
		if path == "Task.Tools" || path == "StageSnapshot.Tools" {
			f.tools(v)
			return
		}
		if path == "Task.Relations" || path == "StageSnapshot.Relations" {
			n = 2 // a single relation and a group relation
		}
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := range n {
			f.fill(s.Index(i), path)
		}
		v.Set(s)
	case reflect.Struct:
		f.fillStruct(v)
	default:
		panic(fmt.Sprintf("the filler does not know %s at %s", v.Type(), path))
	}
}

// fillStruct fills the exported fields of a model struct.
func (f *filler) fillStruct(v reflect.Value) {
	t := v.Type()
	if f.inside == nil {
		f.inside = map[reflect.Type]int{}
	}
	f.inside[t]++
	defer func() { f.inside[t]-- }()
	for i := range t.NumField() {
		sf := t.Field(i)
		path := t.Name() + "." + sf.Name
		if !sf.IsExported() || derived[path] != "" {
			continue
		}
		if t == reflect.TypeFor[aaf.Tool]() && isGeometry(sf.Name) && sf.Name != geometryField[f.kind] {
			continue
		}
		f.fill(v.Field(i), path)
	}
	switch x := v.Addr().Interface().(type) {
	case *aaf.Tool:
		x.Kind = f.kind
	case *aaf.Answer:
		x.Present, x.List = true, true
	case *aaf.Relation:
		x.Direction = "reverse" // one of the three the format knows
	}
}

// tools fills a tools list with one tool of every geometry kind.
func (f *filler) tools(v reflect.Value) {
	var tools []*aaf.Tool
	for _, k := range kinds() {
		f.kind = k
		t := &aaf.Tool{}
		f.fillStruct(reflect.ValueOf(t).Elem())
		tools = append(tools, t)
	}
	f.kind = ""
	v.Set(reflect.ValueOf(tools))
}

func isGeometry(field string) bool {
	for _, name := range geometryField {
		if name == field {
			return true
		}
	}
	return false
}

// fullAsset returns a v3 asset with every exported field set, its
// relations pointing at its own tools so that it validates.
func fullAsset() *aaf.Asset {
	f := &filler{}
	a := &aaf.Asset{}
	f.fillStruct(reflect.ValueOf(a).Elem())
	link(a.Task.Tools, a.Task.Relations)
	for _, h := range a.Task.StageHistory {
		link(h.Tools, h.Relations)
	}
	// The other shapes of an answer: one string, and neither a string nor
	// a list (kept raw).
	one := &aaf.Classification{}
	f.fillStruct(reflect.ValueOf(one).Elem())
	one.Answer = aaf.Answer{Values: []string{"yes"}, Present: true}
	raw := &aaf.Classification{}
	f.fillStruct(reflect.ValueOf(raw).Elem())
	raw.Answer = aaf.Answer{Raw: json.RawMessage(`{"score":0.5}`), Present: true}
	a.Task.Classifications = append(a.Task.Classifications, one, raw)
	return a
}

// link makes the first relation a single one and the second a group,
// both naming tools of their snapshot.
func link(tools []*aaf.Tool, rels []*aaf.Relation) {
	rels[0].From, rels[0].To, rels[0].Group = tools[0].ObjectID, tools[1].ObjectID, nil
	rels[1].From, rels[1].To, rels[1].Direction = "", "", ""
	rels[1].Group = []string{tools[2].ObjectID, tools[3].ObjectID}
}

// legacyAsset returns a legacy asset with every exported field set.
func legacyAsset() *aaf.Asset {
	a := fullAsset()
	a.Generation = aaf.GenerationLegacy
	a.Task.Legacy = true
	second := fullAsset().Task
	second.Legacy = true
	a.Tasks = []*aaf.Task{a.Task, second}
	return a
}

// unset adds to zero the paths (Type.Field) of the exported fields that
// are zero in v, and removes those that are set.
func unset(v reflect.Value, seen map[string]bool) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			unset(v.Elem(), seen)
		}
	case reflect.Slice:
		if v.Type() == reflect.TypeFor[json.RawMessage]() {
			return
		}
		for i := range v.Len() {
			unset(v.Index(i), seen)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			if !t.Field(i).IsExported() {
				continue
			}
			key := t.Name() + "." + t.Field(i).Name
			if _, ok := seen[key]; !ok {
				seen[key] = false
			}
			if !v.Field(i).IsZero() {
				seen[key] = true
			}
			unset(v.Field(i), seen)
		}
	}
}

// diff reports the exported fields where got differs from want, by path.
func diff(want, got reflect.Value, path string, out *[]string) {
	if want.Kind() != got.Kind() {
		*out = append(*out, fmt.Sprintf("%s: kind %s, want %s", path, got.Kind(), want.Kind()))
		return
	}
	switch want.Kind() {
	case reflect.Pointer:
		if want.IsNil() != got.IsNil() {
			*out = append(*out, fmt.Sprintf("%s: nil is %v, want %v", path, got.IsNil(), want.IsNil()))
			return
		}
		if !want.IsNil() {
			diff(want.Elem(), got.Elem(), path, out)
		}
	case reflect.Struct:
		t := want.Type()
		for i := range t.NumField() {
			if t.Field(i).IsExported() && !notCompared[t.Name()+"."+t.Field(i).Name] {
				diff(want.Field(i), got.Field(i), path+"."+t.Field(i).Name, out)
			}
		}
	case reflect.Slice:
		if want.Type() == reflect.TypeFor[json.RawMessage]() {
			if !jsonEqual(want.Bytes(), got.Bytes()) {
				*out = append(*out, fmt.Sprintf("%s: %s, want %s", path, got.Bytes(), want.Bytes()))
			}
			return
		}
		if want.Len() != got.Len() {
			*out = append(*out, fmt.Sprintf("%s: %d elements, want %d", path, got.Len(), want.Len()))
			return
		}
		for i := range want.Len() {
			diff(want.Index(i), got.Index(i), fmt.Sprintf("%s[%d]", path, i), out)
		}
	case reflect.Map:
		if want.Len() != got.Len() {
			*out = append(*out, fmt.Sprintf("%s: keys %v, want %v", path, got.MapKeys(), want.MapKeys()))
			return
		}
		for _, k := range want.MapKeys() {
			g := got.MapIndex(k)
			if !g.IsValid() {
				*out = append(*out, fmt.Sprintf("%s[%v]: missing", path, k))
				continue
			}
			diff(want.MapIndex(k), g, fmt.Sprintf("%s[%v]", path, k), out)
		}
	default:
		if !reflect.DeepEqual(want.Interface(), got.Interface()) {
			*out = append(*out, fmt.Sprintf("%s: %v, want %v", path, got.Interface(), want.Interface()))
		}
	}
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	return reflect.DeepEqual(x, y)
}

// encodeAndRead encodes a and reads it back with a validating reader.
func encodeAndRead(t *testing.T, a *aaf.Asset) (*aaf.Asset, []byte, []*aaf.Error) {
	t.Helper()
	var buf bytes.Buffer
	enc := aaf.NewEncoder(&buf, aaf.FormatNDJSON)
	require.NoError(t, enc.Encode(a))
	require.NoError(t, enc.Close())
	var warnings []*aaf.Error
	r := aaf.NewReader(bytes.NewReader(buf.Bytes()), aaf.WithWarnings(func(e *aaf.Error) { warnings = append(warnings, e) }))
	got, err := r.Next()
	require.NoError(t, err)
	return got, buf.Bytes(), warnings
}

// TestModel_FillerSetsEveryField keeps the test assets complete: every
// exported field of every model type is set in one of them.
func TestModel_FillerSetsEveryField(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	unset(reflect.ValueOf(fullAsset()), seen)
	unset(reflect.ValueOf(legacyAsset()), seen)
	var zero []string
	for k, set := range seen {
		if !set && !notCompared[k] {
			zero = append(zero, k)
		}
	}
	slices.Sort(zero)
	require.Empty(t, zero, "fields no test asset sets: extend the filler")
	require.Greater(t, len(seen), 80, "the walk found too few fields")
}

// TestModel_EveryFieldRoundTrips sets every exported field of the model
// (one tool of each geometry, nested classifications, relations, stage
// history, legacy tasks and review), encodes the asset, reads it back
// with the validating reader and compares every exported field: a field
// the encoder forgets comes back empty, a key the decoder forgets comes
// back in an Extra map.
func TestModel_EveryFieldRoundTrips(t *testing.T) {
	t.Parallel()
	for name, a := range map[string]*aaf.Asset{"V3": fullAsset(), "Legacy": legacyAsset()} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, raw, warnings := encodeAndRead(t, a)
			warnings = slices.DeleteFunc(warnings, func(e *aaf.Error) bool {
				return strings.HasSuffix(e.Path, "].answer") && strings.Contains(e.Msg, "kept as raw JSON") // the raw answer
			})
			require.Empty(t, warnings, "a fully set asset is valid AAF: %.300s...", raw)
			if a.Generation == aaf.GenerationLegacy {
				require.Same(t, got.Tasks[0], got.Task, "Task is Tasks[0]")
			}
			var problems []string
			diff(reflect.ValueOf(a).Elem(), reflect.ValueOf(got).Elem(), "Asset", &problems)
			require.Empty(t, problems, "fields lost in encode/decode; the JSON written was %.300s...", raw)
		})
	}
}

// place names where a key is in the model: the key of the object
// holding it (the nearest named ancestor) and the key.
func place(p []any) string {
	holder := ""
	for _, s := range p[:len(p)-1] {
		if k, ok := s.(string); ok {
			holder = strings.TrimSuffix(k, "s") // "tasks" holds what "task" holds
		}
	}
	return holder + "." + p[len(p)-1].(string)
}

// opaque lists the keys whose value the format leaves free, so no type is
// wrong for them: kept raw or written back as read.
var opaque = map[string]string{
	"contextData": "free key/value data given at import, kept raw",
	"spline":      "a geometry the model keeps raw (Tool.Geometry)",
	"answer":      "an answer of another shape is kept raw (Answer.Raw)",
}

// jsonPath renders a path in the reader's syntax: task.tools[0]."bounding-box".
func jsonPath(segs []any) string {
	var b strings.Builder
	for _, s := range segs {
		switch x := s.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", x)
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			if strings.ContainsAny(x, "-. ") {
				b.WriteString(strconv.Quote(x))
			} else {
				b.WriteString(x)
			}
		}
	}
	return b.String()
}

// keyPaths returns the path of every object key in v, skipping the
// unknown keys the filler added and what lies under opaque keys.
func keyPaths(v any, prefix []any, out *[][]any) {
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			if strings.HasPrefix(k, extraPrefix) {
				continue
			}
			p := append(slices.Clip(prefix), k)
			if opaque[k] != "" {
				continue
			}
			*out = append(*out, p)
			keyPaths(child, p, out)
		}
	case []any:
		for i, child := range x {
			keyPaths(child, append(slices.Clip(prefix), i), out)
		}
	}
}

// replaceAt returns a copy of doc with the value at path replaced by a
// value of another JSON type: a boolean for a string (a number would be
// a timestamp the format allows), a string otherwise.
func replaceAt(doc any, path []any) any {
	if len(path) == 0 {
		if _, ok := doc.(string); ok {
			return true
		}
		return "wrong"
	}
	switch x := doc.(type) {
	case map[string]any:
		c := maps.Clone(x)
		c[path[0].(string)] = replaceAt(x[path[0].(string)], path[1:])
		return c
	case []any:
		c := slices.Clone(x)
		c[path[0].(int)] = replaceAt(x[path[0].(int)], path[1:])
		return c
	}
	panic("no value at path")
}

// TestModel_ValidationKnowsEveryKey gives each key the encoder writes
// for a fully set asset a value of the wrong JSON type, one key at a
// time, and reads the asset with the validating reader: the reader must
// report it (an error, or a warning for what the format tolerates) at
// that key's path. A key the decoder does not know is silently kept in
// Extra and fails here.
func TestModel_ValidationKnowsEveryKey(t *testing.T) {
	t.Parallel()
	// The legacy asset checks only the places the current one has not
	// (tasks, objects, review): the rest is read by the same code.
	seen := map[string]bool{}
	for _, tc := range []struct {
		name  string
		asset *aaf.Asset
	}{{"V3", fullAsset()}, {"Legacy", legacyAsset()}} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.asset)
			require.NoError(t, err)
			var doc any
			require.NoError(t, json.Unmarshal(b, &doc))
			var paths [][]any
			keyPaths(doc, nil, &paths)
			// One key per place in the model: a key is read by the code
			// of the object that holds it, named by the key of that
			// object (tools[3].page and stageHistory[0].tools[5].page
			// are both "tool.page"; "tasks" and "task" hold a task).
			paths = slices.DeleteFunc(paths, func(p []any) bool {
				shape := place(p)
				dup := seen[shape]
				seen[shape] = true
				return dup
			})
			t.Logf("%d places checked", len(paths))
			require.NotEmpty(t, paths)
			var silent []string
			for _, p := range paths {
				bad, err := json.Marshal(replaceAt(doc, p))
				require.NoError(t, err)
				want := jsonPath(p)
				// A "pdf" value is read as a whole: a wrong type inside
				// it is one warning at the pdf key.
				at := want
				if i := strings.Index(want, ".pdf."); i >= 0 {
					at = want[:i+len(".pdf")]
				}
				reported := false
				r := aaf.NewReader(bytes.NewReader(bad), aaf.WithWarnings(func(e *aaf.Error) {
					reported = reported || strings.HasPrefix(e.Path, at)
				}))
				_, err = r.Next()
				var ae *aaf.Error
				if errors.As(err, &ae) && (strings.HasPrefix(ae.Path, at) || ae.Path == "" && strings.Contains(ae.Msg, fmt.Sprint(p[len(p)-1]))) {
					reported = true
				}
				if !reported {
					silent = append(silent, fmt.Sprintf("%s (error: %v)", want, err))
				}
			}
			slices.Sort(silent)
			require.Empty(t, silent, "keys whose wrong type nobody reports")
		})
	}
}

// notGenerated lists the fields the generator leaves empty on purpose,
// each with the reason. Every other exported field must appear in the
// generated projects, so a field added to the model is generated (and
// thus in the benchmarks and the synthetic test data) or listed here.
var notGenerated = map[string]string{
	"Answer.Raw":                 "generated answers are strings or lists, as the schema's classification tools give",
	"Asset.Dataset":              "no multi-image assets are generated",
	"Task.BrushDataURL":          "no brush masks are generated (URLs of PNG files)",
	"Task.MedicalBrushDataURL":   "no medical brush masks are generated (URLs of voxel files)",
	"StageSnapshot.BrushDataURL": "no brush masks are generated",
	"Tool.Geometry":              "no spline tools are generated (image, video and text assets only)",
	"Tool.PDF":                   "no PDF assets are generated",
	"Classification.Extra":       unknownKeys,
	"Metadata.Extra":             unknownKeys,
	"NER.Extra":                  unknownKeys,
	"Relation.Extra":             unknownKeys,
	"RotatedBox.Extra":           unknownKeys,
	"Segmentation.Extra":         unknownKeys,
	"Zone.Extra":                 unknownKeys,
}

// unknownKeys is why some Extra maps are never generated.
const unknownKeys = "the generator writes only the keys the model knows there; unknown keys are covered by the golden files and TestModel_EveryFieldRoundTrips"

// TestModel_GeneratorSetsEveryField generates a project of every asset
// kind, current and legacy, and checks that each exported field of the
// model is set in one of its assets.
func TestModel_GeneratorSetsEveryField(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, o := range []aaf.GenOptions{
		{Assets: 40, Kind: aaf.AssetKindImage, Seed: 1},
		{Assets: 40, Kind: aaf.AssetKindImage, Seed: 2, Legacy: true},
		{Assets: 10, Kind: aaf.AssetKindVideo, Seed: 3, Frames: 30},
		{Assets: 20, Kind: aaf.AssetKindText, Seed: 4},
		{Assets: 60, Kind: aaf.AssetKindMixed, Seed: 5, Frames: 30},
	} {
		for a := range aaf.GenerateAssets(o) {
			unset(reflect.ValueOf(a), seen)
		}
	}
	var missing []string
	for k, set := range seen {
		if !set && notGenerated[k] == "" {
			missing = append(missing, k)
		}
	}
	slices.Sort(missing)
	require.Empty(t, missing, "fields the generator never sets: generate them or list them in notGenerated with the reason")
	for k := range notGenerated {
		require.False(t, seen[k], "%s is generated now: remove it from notGenerated", k)
	}
}

package aaf

import (
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// AssetKind selects the kind of assets [Generate] produces.
type AssetKind string

// The asset kinds of the generator.
const (
	// AssetKindImage generates image assets with every image tool.
	AssetKindImage AssetKind = "image"
	// AssetKindVideo generates video assets: tracked objects with keyframes
	// on several frames (repeated objectIds on different pages).
	AssetKindVideo AssetKind = "video"
	// AssetKindText generates text assets with NER spans.
	AssetKindText AssetKind = "text"
	// AssetKindMixed mixes images, videos and texts, and writes every tenth
	// asset (an image) in the legacy ("tasks"/"objects") shape, some with
	// two consensus tasks.
	AssetKindMixed AssetKind = "mixed"
)

// ParseAssetKind returns the AssetKind named s ("image", "video", "text"
// or "mixed").
func ParseAssetKind(s string) (AssetKind, error) {
	switch k := AssetKind(strings.ToLower(strings.TrimSpace(s))); k {
	case AssetKindImage, AssetKindVideo, AssetKindText, AssetKindMixed:
		return k, nil
	}
	return "", fmt.Errorf("aaf: unknown asset kind %q (want image, video, text or mixed)", s)
}

// Defaults of [GenOptions].
const (
	// DefaultGenAssets is the number of assets generated when
	// GenOptions.Assets is 0.
	DefaultGenAssets = 100
	// DefaultGenBatches is the number of batches when GenOptions.Batches is 0.
	DefaultGenBatches = 4
	// DefaultGenTools is the mean number of objects per image asset when
	// GenOptions.Tools is 0.
	DefaultGenTools = 3
	// DefaultGenFrames is the frame count of generated videos when
	// GenOptions.Frames is 0.
	DefaultGenFrames = 300
)

// GenOptions configures the generator. The zero value generates
// DefaultGenAssets image assets with seed 0.
type GenOptions struct {
	// Assets is the number of assets. 0 means DefaultGenAssets; a negative
	// value means none.
	Assets int
	// Seed makes the output deterministic: the same options give the same
	// bytes.
	Seed int64
	// Kind is the kind of assets. Empty means AssetKindImage.
	Kind AssetKind
	// Batches is the number of batches assets are spread over (names from
	// [GenBatchNames]). 0 means DefaultGenBatches.
	Batches int
	// Tools is the mean number of objects per image asset. 0 means
	// DefaultGenTools.
	Tools int
	// Frames is the frame count of videos. 0 means DefaultGenFrames.
	Frames int
	// NoHistory leaves stageHistory out of every task (smaller output).
	NoHistory bool
	// Legacy writes every image asset in the legacy shape: a "tasks" array
	// whose first task holds the "objects" (as AssetKindMixed does for
	// every tenth asset), without stage history. Videos and texts keep the
	// current shape.
	Legacy bool
}

// withDefaults returns a copy of o with zero fields set to their defaults.
func (o GenOptions) withDefaults() GenOptions {
	if o.Assets == 0 {
		o.Assets = DefaultGenAssets
	}
	if o.Kind == "" {
		o.Kind = AssetKindImage
	}
	if o.Batches <= 0 {
		o.Batches = DefaultGenBatches
	}
	if o.Tools <= 0 {
		o.Tools = DefaultGenTools
	}
	if o.Frames <= 0 {
		o.Frames = DefaultGenFrames
	}
	return o
}

// GenStage is a workflow stage used by generated tasks.
type GenStage struct {
	// ID is the stage id written in "stageId".
	ID string `json:"id"`
	// Name is the stage name written in "stage".
	Name string `json:"name"`
	// Review is true for a Review stage (its history entries carry
	// reviewStatus "Accepted" or "Rejected").
	Review bool `json:"review,omitempty"`
}

// genReviewStageID is the id of the generated Review stage.
const genReviewStageID = "5c0ffee0-1111-4222-8333-944445555666"

// GenStages returns the workflow stages generated tasks go through, in
// order: Start, Label, QA Review, Complete. Completed tasks are exported
// from Complete; skipped tasks stay in Label.
func GenStages(GenOptions) []GenStage {
	return []GenStage{
		{ID: "Start", Name: "Start"},
		{ID: "Label", Name: "Label"},
		{ID: genReviewStageID, Name: "QA Review", Review: true},
		{ID: "Complete", Name: "Complete"},
	}
}

// GenBatchNames returns the batch names generated assets belong to.
func GenBatchNames(o GenOptions) []string {
	o = o.withDefaults()
	names := make([]string, o.Batches)
	for i := range names {
		names[i] = genBatchName(i)
	}
	return names
}

func genBatchName(i int) string { return "batch-" + pad(i, 3) }

// Schema classes of generated assets. Ids are stable for every seed.
var (
	genClsOccluder = SchemaClass{SchemaID: "sch-cls-occluder", Title: "Occluded by", Tool: "checkbox",
		Options:         genOptions("sch-cls-occluder", "Pole", "Pedestrian", "Vehicle", "Tree"),
		Classifications: []SchemaClass{{SchemaID: "sch-cls-occlusion-note", Title: "Occlusion note", Tool: "text"}}}
	genClsOccluded = SchemaClass{SchemaID: "sch-cls-occluded", Title: "Occluded", Tool: "radio",
		Options:         genOptions("sch-cls-occluded", "No", "Partially", "Fully"),
		Classifications: []SchemaClass{genClsOccluder}}
	genClsColor = SchemaClass{SchemaID: "sch-cls-color", Title: "Color", Tool: "single-dropdown",
		Options: genOptions("sch-cls-color", "Red", "Blue", "Black", "White", "Silver")}
	genClsWalking = SchemaClass{SchemaID: "sch-cls-walking", Title: "Walking", Tool: "radio",
		Options: genOptions("sch-cls-walking", "Yes", "No")}
	genClsOrgKind = SchemaClass{SchemaID: "sch-cls-org-kind", Title: "Organization kind", Tool: "radio",
		Options: genOptions("sch-cls-org-kind", "Company", "Public body", "Non-profit")}

	genImageTools = []SchemaClass{
		{SchemaID: "sch-tool-car", Title: "Car", Tool: string(KindBoundingBox), Color: "#e6194b",
			Classifications: []SchemaClass{genClsOccluded, genClsColor}},
		{SchemaID: "sch-tool-bus", Title: "Bus", Tool: string(KindRotatedBoundingBox), Color: "#3cb44b"},
		{SchemaID: "sch-tool-sidewalk", Title: "Sidewalk", Tool: string(KindPolygon), Color: "#ffe119"},
		{SchemaID: "sch-tool-lane", Title: "Lane line", Tool: string(KindPolyline), Color: "#4363d8"},
		{SchemaID: "sch-tool-light", Title: "Traffic light", Tool: string(KindPoint), Color: "#f58231"},
		{SchemaID: "sch-tool-road", Title: "Road", Tool: string(KindSegmentation), Color: "#911eb4"},
	}
	genVideoTools = []SchemaClass{
		{SchemaID: "sch-tool-pedestrian", Title: "Pedestrian", Tool: string(KindBoundingBox), Color: "#46f0f0",
			Classifications: []SchemaClass{genClsWalking}},
		{SchemaID: "sch-tool-cyclist", Title: "Cyclist", Tool: string(KindBoundingBox), Color: "#f032e6"},
		{SchemaID: "sch-tool-ball", Title: "Ball", Tool: string(KindPoint), Color: "#bcf60c"},
		{SchemaID: "sch-tool-crosswalk", Title: "Crosswalk", Tool: string(KindPolygon), Color: "#fabebe"},
	}
	genTextTools = []SchemaClass{
		{SchemaID: "sch-tool-person", Title: "Person", Tool: string(KindNER), Color: "#008080"},
		{SchemaID: "sch-tool-org", Title: "Organization", Tool: string(KindNER), Color: "#e6beff",
			Classifications: []SchemaClass{genClsOrgKind}},
		{SchemaID: "sch-tool-location", Title: "Location", Tool: string(KindNER), Color: "#9a6324"},
	}
	genTaskClassifications = []SchemaClass{
		{SchemaID: "sch-cls-weather", Title: "Weather", Tool: "radio", Required: true,
			Options: genOptions("sch-cls-weather", "Clear", "Cloudy", "Rain", "Snow")},
		{SchemaID: "sch-cls-tags", Title: "Scene tags", Tool: "checkbox",
			Options: genOptions("sch-cls-tags", "urban", "rural", "daytime", "night")},
		{SchemaID: "sch-cls-notes", Title: "Notes", Tool: "text"},
		{SchemaID: "sch-cls-road-type", Title: "Road type", Tool: "single-dropdown",
			Options: genOptions("sch-cls-road-type", "Urban street", "Highway", "Country road")},
		{SchemaID: "sch-cls-signs", Title: "Visible signs", Tool: "multi-dropdown",
			Options: genOptions("sch-cls-signs", "Stop", "Yield", "Speed limit", "No entry")},
		{SchemaID: "sch-cls-location", Title: "Location", Tool: "tree-dropdown",
			Options: genOptions("sch-cls-location", "Europe / Italy / Turin", "Europe / France / Lyon", "America / Canada / Quebec")},
		{SchemaID: "sch-cls-quality", Title: "Image quality", Tool: "radio",
			Options: genOptions("sch-cls-quality", "Good", "Poor"),
			Classifications: []SchemaClass{{SchemaID: "sch-cls-quality-issues", Title: "Quality issues", Tool: "checkbox",
				Options: genOptions("sch-cls-quality-issues", "Blur", "Glare", "Noise")}}},
		{SchemaID: "sch-cls-signal", Title: "Signal state", Tool: "radio",
			Options: genOptions("sch-cls-signal", "Red", "Yellow", "Green")},
		{SchemaID: "sch-cls-sentiment", Title: "Sentiment", Tool: "radio",
			Options: genOptions("sch-cls-sentiment", "Positive", "Neutral", "Negative")},
	}
	genRelations = []SchemaClass{
		{SchemaID: "sch-rel-follows", Title: "Follows", Tool: "single"},
		{SchemaID: "sch-rel-same-lane", Title: "Same lane", Tool: "group"},
		{SchemaID: "sch-rel-yields", Title: "Yields to", Tool: "single"},
		{SchemaID: "sch-rel-works-for", Title: "works_for", Tool: "single"},
		{SchemaID: "sch-rel-located-in", Title: "located_in", Tool: "single"},
	}
)

// genOptions builds the options of a choice class.
func genOptions(schemaID string, values ...string) []SchemaOption {
	out := make([]SchemaOption, len(values))
	for i, v := range values {
		out[i] = SchemaOption{SchemaID: schemaID + "-opt-" + strconv.Itoa(i), Value: v}
	}
	return out
}

// GenSchema returns the category schema that assets generated with o use:
// every tool class, classification (with nested ones) and relation class,
// with stable schemaIds.
func GenSchema(o GenOptions) CategorySchema {
	o = o.withDefaults()
	var s CategorySchema
	if o.Kind == AssetKindImage || o.Kind == AssetKindMixed {
		s.Tools = append(s.Tools, genImageTools...)
	}
	if o.Kind == AssetKindVideo || o.Kind == AssetKindMixed {
		s.Tools = append(s.Tools, genVideoTools...)
	}
	if o.Kind == AssetKindText || o.Kind == AssetKindMixed {
		s.Tools = append(s.Tools, genTextTools...)
	}
	s.Classifications = append(s.Classifications, genTaskClassifications...)
	s.Relations = append(s.Relations, genRelations...)
	return s
}

// Generate writes o.Assets synthetic assets to w in format f. The output
// is deterministic for the options and passes this package's validation.
func Generate(w io.Writer, f Format, o GenOptions) error {
	enc := NewEncoder(w, f)
	for a := range GenerateAssets(o) {
		if err := enc.Encode(a); err != nil {
			return fmt.Errorf("generate assets: %w", err)
		}
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("generate assets: %w", err)
	}
	return nil
}

// GenerateAssets returns an iterator over o.Assets synthetic assets, built
// one at a time. The same options give the same assets.
func GenerateAssets(o GenOptions) iter.Seq[*Asset] {
	o = o.withDefaults()
	return func(yield func(*Asset) bool) {
		g := &generator{o: o, rng: rand.New(rand.NewPCG(uint64(o.Seed), 0x9e3779b97f4a7c15))}
		for i := 0; i < o.Assets; i++ {
			if !yield(g.asset(i)) {
				return
			}
		}
	}
}

// generator holds the state of one generated stream.
type generator struct {
	o   GenOptions
	rng *rand.Rand
	buf []byte
}

// genEpoch is the time of the first generated task.
var genEpoch = time.Date(2024, 3, 4, 9, 0, 0, 0, time.UTC)

var genUsers = []string{"labeler.one@example.com", "labeler.two@example.com", "labeler.three@example.com"}

const genReviewer = "reviewer.one@example.com"

// pad formats n with at least width digits.
func pad(n, width int) string {
	s := strconv.Itoa(n)
	if len(s) < width {
		s = strings.Repeat("0", width-len(s)) + s
	}
	return s
}

// obj returns the id "a<i><kind><j>" (without j when j < 0) of an
// annotation of asset i.
func (g *generator) obj(i int, kind string, j int) string {
	g.buf = append(g.buf[:0], 'a')
	g.buf = strconv.AppendInt(g.buf, int64(i), 10)
	g.buf = append(g.buf, kind...)
	if j >= 0 {
		g.buf = strconv.AppendInt(g.buf, int64(j), 10)
	}
	return string(g.buf)
}

// sub returns the id "<parent><kind><j>" of an annotation nested in parent.
func (g *generator) sub(parent, kind string, j int) string {
	g.buf = append(g.buf[:0], parent...)
	g.buf = append(g.buf, kind...)
	g.buf = strconv.AppendInt(g.buf, int64(j), 10)
	return string(g.buf)
}

// round2 rounds to two decimals, like coordinates drawn in an editor.
func round2(f float64) float64 { return math.Round(f*100) / 100 }

func (g *generator) pick(list []string) string { return list[g.rng.IntN(len(list))] }

func (g *generator) time(i, offsetSec int) string {
	return genEpoch.Add(time.Duration(i)*time.Minute + time.Duration(offsetSec)*time.Second).Format("2006-01-02T15:04:05.000Z")
}

// kindFor returns the kind of asset i.
func (g *generator) kindFor(i int) AssetKind {
	if g.o.Kind != AssetKindMixed {
		return g.o.Kind
	}
	switch i % 5 {
	case 3:
		return AssetKindVideo
	case 4:
		return AssetKindText
	}
	return AssetKindImage
}

// asset builds asset i.
func (g *generator) asset(i int) *Asset {
	kind := g.kindFor(i)
	a := &Asset{Generation: GenerationV3}
	var t *Task
	switch kind {
	case AssetKindVideo:
		a.ExternalID = "clip-" + pad(i, 7) + ".mp4"
		w, h := 1920.0, 1080.0
		frames, rate := float64(g.o.Frames), 30.0
		a.Metadata = Metadata{Width: &w, Height: &h, FrameTotal: &frames, FrameRate: &rate}
		t = g.videoTask(i)
	case AssetKindText:
		a.ExternalID = "doc-" + pad(i, 7) + ".txt"
		var text string
		text, t = g.textTask(i)
		a.ContextData = append(appendString([]byte(`{"language":"en","text":`), text), '}')
		a.Metadata.has = hasMetadata
	default:
		a.ExternalID = "img-" + pad(i, 7) + ".jpg"
		sizes := [...][2]float64{{1280, 720}, {1920, 1080}, {800, 600}, {4000, 3000}}
		s := sizes[g.rng.IntN(len(sizes))]
		a.Metadata = Metadata{Width: &s[0], Height: &s[1]}
		t = g.imageTask(i, s[0], s[1])
	}
	a.has |= hasMetadata
	a.Asset = "https://assets.example.com/gen/" + a.ExternalID
	a.AssetID = g.hex24(i, 0xa55e7)
	b := i % g.o.Batches
	a.Batches = []string{genBatchName(b)}
	if i%7 == 0 && g.o.Batches > 1 {
		a.Batches = append(a.Batches, genBatchName((b+1)%g.o.Batches))
	}
	if i%50 == 49 {
		raw, _ := json.Marshal(append([]any{nil}, toAny(a.Batches)...))
		a.rawBatches = raw
	}
	if i%13 == 0 && a.ContextData == nil {
		b := append([]byte(`{"camera":`), strconv.Quote(g.pick([]string{"front", "rear", "left"}))...)
		b = append(b, `,"sequence":`...)
		a.ContextData = append(strconv.AppendInt(b, int64(i/13), 10), '}')
	}
	if kind == AssetKindImage && g.o.Legacy || g.o.Kind == AssetKindMixed && i%10 == 5 {
		g.legacy(a, t, i)
		return a
	}
	a.Task = t
	return a
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// hex24 returns a Mongo-style 24-hex-digit id for asset i.
func (g *generator) hex24(i, salt int) string {
	g.buf = g.buf[:0]
	g.buf = strconv.AppendUint(g.buf, uint64(0x65f0a1b2c3)+uint64(salt), 16)
	s := strconv.FormatUint(uint64(i), 16)
	for len(g.buf)+len(s) < 24 {
		g.buf = append(g.buf, '0')
	}
	g.buf = append(g.buf, s...)
	return string(g.buf)
}

// newTask returns a completed task for asset i with the given annotations
// and, unless NoHistory is set, a stage history Start, Label, QA Review.
func (g *generator) newTask(i int, tools []*Tool, cls []*Classification, rels []*Relation) *Task {
	user := genUsers[i%len(genUsers)]
	t := &Task{
		TaskID: g.hex24(i, 0), Stage: "Complete", StageID: "Complete",
		UpdatedAt: g.time(i, 300), UpdatedBy: genReviewer,
		Tools: tools, Classifications: cls, Relations: rels,
		has: hasBrushDataURL | hasMedicalBrushDataURL,
		Extra: map[string]json.RawMessage{
			"totalDuration": json.RawMessage(strconv.Itoa(60000 + g.rng.IntN(240000))),
		},
	}
	skipped := i%37 == 36
	if skipped {
		t.Stage, t.StageID, t.IsSkipped = "Label", "Label", true
		t.Tools, t.Classifications, t.Relations = []*Tool{}, []*Classification{}, []*Relation{}
		t.UpdatedBy = user
	}
	if g.o.NoHistory {
		return t
	}
	t.StageHistory = []*StageSnapshot{{
		Stage: "Start", StageID: "Start", CompletedAt: g.time(i, 0),
		Tools: []*Tool{}, Classifications: []*Classification{}, Relations: []*Relation{},
		Extra: map[string]json.RawMessage{"duration": json.RawMessage("0")},
	}}
	if skipped {
		return t
	}
	// The Label snapshot holds the first half of the tools and one answer,
	// without relations (added in review); the review snapshot holds
	// everything, like the final task.
	t.StageHistory = append(t.StageHistory, &StageSnapshot{
		Stage: "Label", StageID: "Label", CompletedAt: g.time(i, 200), CompletedBy: user,
		Tools: tools[:len(tools)/2], Classifications: cls[:min(1, len(cls))], Relations: []*Relation{},
		Extra: map[string]json.RawMessage{"duration": json.RawMessage(strconv.Itoa(100000 + g.rng.IntN(99000)))},
	})
	status := "Accepted"
	if i%11 == 5 {
		status = "Rejected"
	}
	t.StageHistory = append(t.StageHistory, &StageSnapshot{
		Stage: "QA Review", StageID: genReviewStageID, CompletedAt: g.time(i, 300), CompletedBy: genReviewer,
		ReviewStatus: status, Tools: tools, Classifications: cls, Relations: rels,
		Extra: map[string]json.RawMessage{"duration": json.RawMessage(strconv.Itoa(20000 + g.rng.IntN(40000)))},
	})
	return t
}

// cls builds a classification answer for class c.
func (g *generator) cls(objectID string, c SchemaClass, page *int) *Classification {
	out := &Classification{ObjectID: objectID, SchemaID: c.SchemaID, Tool: c.Tool, Title: c.Title, Page: page,
		Classifications: []*Classification{}}
	switch c.Tool {
	case "radio", "single-dropdown":
		out.Answer = Answer{Values: []string{c.Options[g.rng.IntN(len(c.Options))].Value}, Present: true}
	case "checkbox", "multi-dropdown", "tree-dropdown":
		n := 1 + g.rng.IntN(min(2, len(c.Options)))
		start := g.rng.IntN(len(c.Options))
		vals := make([]string, n)
		for j := range vals {
			vals[j] = c.Options[(start+j)%len(c.Options)].Value
		}
		out.Answer = Answer{Values: vals, List: true, Present: true}
	default:
		out.Answer = Answer{Values: []string{g.pick(genNotes)}, Present: true}
	}
	return out
}

var genNotes = []string{
	"Two lanes visible.",
	"The car is partly hidden by a pole.",
	"Low sun; some glare on the left.",
	"Crowded crossing, \"rush hour\".",
	"Night shot\twith street lights.",
}

// nested gives c one nested answer per nested class, recursively.
func (g *generator) nested(prefix string, c *Classification, sc SchemaClass) {
	for j, n := range sc.Classifications {
		child := g.cls(g.sub(prefix, "-n", j), n, nil)
		g.nested(child.ObjectID, child, n)
		c.Classifications = append(c.Classifications, child)
	}
}

// taskClassifications answers a few task-level questions.
func (g *generator) taskClassifications(i int, which []int) []*Classification {
	out := make([]*Classification, 0, len(which))
	for _, k := range which {
		sc := genTaskClassifications[k]
		c := g.cls(g.obj(i, "-c", k), sc, nil)
		g.nested(c.ObjectID, c, sc)
		out = append(out, c)
	}
	return out
}

// imageTask builds the task of an image asset of size w x h.
func (g *generator) imageTask(i int, w, h float64) *Task {
	n := g.rng.IntN(2*g.o.Tools + 1)
	tools := make([]*Tool, n)
	for j := range tools {
		sc := genImageTools[(j+i)%len(genImageTools)]
		t := &Tool{ObjectID: g.obj(i, "-o", j), SchemaID: sc.SchemaID, Title: sc.Title,
			Kind: ToolKind(sc.Tool), Classifications: []*Classification{}}
		x, y := round2(g.rng.Float64()*w*0.8), round2(g.rng.Float64()*h*0.8)
		bw, bh := round2(10+g.rng.Float64()*w*0.2), round2(10+g.rng.Float64()*h*0.2)
		switch t.Kind {
		case KindBoundingBox:
			t.BoundingBox = &BoundingBox{X: x, Y: y, Width: bw, Height: bh}
			if j%9 == 8 {
				// Drawn from the bottom-right corner.
				t.BoundingBox = &BoundingBox{X: x + bw, Y: y + bh, Width: -bw, Height: -bh}
			}
		case KindRotatedBoundingBox:
			t.RotatedBox = rotatedBox(x, y, bw, bh, round2(g.rng.Float64()*360-180))
		case KindPolygon:
			t.Polygon = g.polygon(x, y, bw, bh, 3+g.rng.IntN(6))
		case KindPolyline:
			t.Polyline = g.polygon(x, y, bw, bh, 2+g.rng.IntN(4))
		case KindPoint:
			t.Point = &Point{x, y}
		case KindSegmentation:
			zone := Zone{Region: g.polygon(x, y, bw, bh, 4+g.rng.IntN(5)), Holes: [][]Point{}}
			if j%2 == 0 {
				zone.Holes = append(zone.Holes, []Point{
					{round2(x + bw*0.4), round2(y + bh*0.4)},
					{round2(x + bw*0.6), round2(y + bh*0.4)},
					{round2(x + bw*0.5), round2(y + bh*0.6)},
				})
			}
			t.Segmentation = &Segmentation{Zones: []Zone{zone}}
		}
		for k, c := range sc.Classifications {
			if g.rng.IntN(3) == 0 {
				continue
			}
			cl := g.cls(g.sub(t.ObjectID, "-c", k), c, nil)
			g.nested(cl.ObjectID, cl, c)
			t.Classifications = append(t.Classifications, cl)
		}
		if j%4 == 1 {
			t.Extra = map[string]json.RawMessage{"metadata": g.annotationMetadata(i, j)}
		}
		tools[j] = t
	}
	rels := []*Relation{}
	if n >= 2 {
		rels = append(rels, &Relation{ObjectID: g.obj(i, "-r", 0), SchemaID: "sch-rel-follows", Title: "Follows",
			From: tools[0].ObjectID, To: tools[1].ObjectID, Direction: g.pick([]string{"straight", "reverse", "bidirectional"})})
	}
	if n >= 3 {
		rels = append(rels, &Relation{ObjectID: g.obj(i, "-r", 1), SchemaID: "sch-rel-same-lane", Title: "Same lane",
			Group: []string{tools[0].ObjectID, tools[1].ObjectID, tools[2].ObjectID}})
	}
	cls := g.taskClassifications(i, []int{0, 1, 2, 3, 4, 5, 6}[:1+g.rng.IntN(7)])
	return g.newTask(i, tools, cls, rels)
}

// annotationMetadata builds an annotation "metadata" object; it uses epoch
// milliseconds or ISO strings, as real exports do.
func (g *generator) annotationMetadata(i, j int) json.RawMessage {
	created := genEpoch.Add(time.Duration(i) * time.Minute).Add(time.Duration(j) * time.Second)
	b := make([]byte, 0, 120)
	b = append(b, `{"createdAt":`...)
	if j%8 == 5 {
		b = append(b, '"')
		b = created.AppendFormat(b, "2006-01-02T15:04:05.000Z")
		b = append(b, '"')
	} else {
		b = strconv.AppendInt(b, created.UnixMilli(), 10)
	}
	b = append(b, `,"createdBy":`...)
	b = appendString(b, genUsers[i%len(genUsers)])
	b = append(b, `,"createdIn":"Label"}`...)
	return b
}

// rotatedBox builds a rotated box with its corners around the centre.
func rotatedBox(x, y, w, h, rot float64) *RotatedBox {
	cx, cy := x+w/2, y+h/2
	sin, cos := math.Sincos(rot * math.Pi / 180)
	corners := make([]Point, 4)
	for k, d := range [4][2]float64{{-w / 2, -h / 2}, {w / 2, -h / 2}, {w / 2, h / 2}, {-w / 2, h / 2}} {
		corners[k] = Point{round2(cx + d[0]*cos - d[1]*sin), round2(cy + d[0]*sin + d[1]*cos)}
	}
	return &RotatedBox{X: x, Y: y, Width: w, Height: h, Rotation: rot, Corners: corners}
}

// polygon returns n points on an ellipse inside the box, in order.
func (g *generator) polygon(x, y, w, h float64, n int) []Point {
	pts := make([]Point, n)
	for k := range pts {
		a := 2 * math.Pi * (float64(k) + g.rng.Float64()*0.5) / float64(n)
		pts[k] = Point{round2(x + w/2 + w/2*math.Cos(a)), round2(y + h/2 + h/2*math.Sin(a))}
	}
	return pts
}

// videoTask builds a video task: tracked objects with keyframes on several
// frames, the last one sometimes marked interpolationStopped.
func (g *generator) videoTask(i int) *Task {
	frames := g.o.Frames
	tools := []*Tool{}
	objects := 1 + g.rng.IntN(4)
	for j := range objects {
		sc := genVideoTools[(j+i)%len(genVideoTools)]
		oid := g.obj(i, "-o", j)
		keys := 2 + g.rng.IntN(4)
		page := g.rng.IntN(max(1, frames/4))
		x, y := g.rng.Float64()*1600, g.rng.Float64()*800
		for k := range keys {
			p := page
			t := &Tool{ObjectID: oid, SchemaID: sc.SchemaID, Title: sc.Title, Kind: ToolKind(sc.Tool),
				Page: &p, Classifications: []*Classification{}}
			x, y = round2(x+g.rng.Float64()*40-20), round2(y+g.rng.Float64()*20-10)
			switch t.Kind {
			case KindBoundingBox:
				t.BoundingBox = &BoundingBox{X: x, Y: y, Width: 80, Height: 200}
			case KindPoint:
				t.Point = &Point{x, y}
			case KindPolygon:
				t.Polygon = g.polygon(x, y, 300, 100, 4)
			}
			for n, c := range sc.Classifications {
				cl := g.cls(g.sub(oid, "-c", n), c, nil)
				t.Classifications = append(t.Classifications, cl)
			}
			if k == keys-1 && j%2 == 0 {
				t.InterpolationStopped = true
			}
			tools = append(tools, t)
			page += 1 + g.rng.IntN(max(1, frames/(2*keys)))
			if page >= frames {
				break
			}
		}
	}
	signal := genTaskClassifications[7]
	p0, p1 := 0, frames/2
	c0 := g.cls(g.obj(i, "-signal", -1), signal, &p0)
	c1 := g.cls(g.obj(i, "-signal", -1), signal, &p1)
	c1.InterpolationStopped = i%3 == 0
	cls := []*Classification{c0, c1}
	cls = append(cls, g.taskClassifications(i, []int{2})...)
	rels := []*Relation{}
	if objects >= 2 {
		rp := *tools[0].Page
		rels = append(rels, &Relation{ObjectID: g.obj(i, "-r", 0), SchemaID: "sch-rel-yields", Title: "Yields to",
			From: tools[0].ObjectID, To: g.obj(i, "-o", 1), Direction: "reverse", Page: &rp})
	}
	return g.newTask(i, tools, cls, rels)
}

var (
	genPeople = []string{"Maria Rossi", "John Smith", "Aiko Tanaka", "Omar Haddad", "Léa Martin"}
	genOrgs   = []string{"Acme Robotics", "Globex", "Initech", "Umbrella Labs"}
	genPlaces = []string{"Turin", "Lyon", "Quebec", "Osaka", "Cairo"}
)

// textTask builds a text and its task: NER spans with exclusive ends
// (offsets in bytes of the UTF-8 text; the generated names that carry
// accents only appear after every span).
func (g *generator) textTask(i int) (string, *Task) {
	person, org, place := genPeople[g.rng.IntN(4)], g.pick(genOrgs), g.pick(genPlaces)
	var b strings.Builder
	span := func(s string) (float64, float64) {
		start := b.Len()
		b.WriteString(s)
		return float64(start), float64(b.Len())
	}
	ps, pe := span(person)
	b.WriteString(" joined ")
	os, oe := span(org)
	b.WriteString(" in ")
	ls, le := span(place)
	b.WriteString(" last spring. ")
	b.WriteString(genPeople[4])
	b.WriteString(" was not there.")
	text := b.String()
	mk := func(j int, sc SchemaClass, s, e float64) *Tool {
		t := &Tool{ObjectID: g.obj(i, "-o", j), SchemaID: sc.SchemaID, Title: sc.Title, Kind: KindNER,
			NER: &NER{Start: s, End: e, Selection: text[int(s):int(e)]}, Classifications: []*Classification{}}
		for n, c := range sc.Classifications {
			t.Classifications = append(t.Classifications, g.cls(g.sub(t.ObjectID, "-c", n), c, nil))
		}
		return t
	}
	tools := []*Tool{mk(0, genTextTools[0], ps, pe), mk(1, genTextTools[1], os, oe), mk(2, genTextTools[2], ls, le)}
	rels := []*Relation{
		{ObjectID: g.obj(i, "-r", 0), SchemaID: "sch-rel-works-for", Title: "works_for", From: tools[0].ObjectID, To: tools[1].ObjectID, Direction: "straight"},
		{ObjectID: g.obj(i, "-r", 1), SchemaID: "sch-rel-located-in", Title: "located_in", From: tools[1].ObjectID, To: tools[2].ObjectID, Direction: "bidirectional"},
	}
	return text, g.newTask(i, tools, g.taskClassifications(i, []int{8}), rels)
}

// legacy rewrites a as a legacy asset: t becomes the first of one or two
// consensus tasks with "objects", a review object and legacy durations;
// legacy classifications have no objectId.
func (g *generator) legacy(a *Asset, t *Task, i int) {
	a.Generation = GenerationLegacy
	a.Extra = map[string]json.RawMessage{
		"status":            json.RawMessage(`"Reviewed"`),
		"labeledAt":         mustJSON(g.time(i, 200)),
		"reviewedAt":        mustJSON(g.time(i, 300)),
		"labelDuration(ms)": json.RawMessage(strconv.Itoa(30000 + g.rng.IntN(30000))),
		"consensus":         json.RawMessage(strconv.Itoa(50 + g.rng.IntN(50))),
	}
	conv := func(t *Task, user string) *Task {
		lt := &Task{TaskID: t.TaskID, Tools: t.Tools, Classifications: stripIDs(t.Classifications), Relations: t.Relations,
			Legacy: true, IsSkipped: t.IsSkipped, has: hasIsSkipped, UpdatedAt: g.time(i, 300), UpdatedBy: "Reviewer One",
			Review: &Review{Status: g.pick([]string{"Fixed", "Todo", "Accepted"}), Extra: map[string]json.RawMessage{
				"completedBy": mustJSON("Reviewer One"), "completedAt": mustJSON(g.time(i, 300)),
				"duration(ms)": json.RawMessage(strconv.Itoa(g.rng.IntN(30000)))}},
			Extra: map[string]json.RawMessage{
				"completedBy": mustJSON(user), "completedAt": mustJSON(g.time(i, 200)),
				"duration(ms)": json.RawMessage(strconv.Itoa(10000 + g.rng.IntN(50000))),
				"status":       json.RawMessage(`"Completed"`), "isBenchmark": json.RawMessage("false"),
				"benchmark": json.RawMessage(`""`), "issues": json.RawMessage("[]"),
			}}
		return lt
	}
	a.Tasks = []*Task{conv(t, "Labeler One")}
	if i%20 == 15 {
		second := &Task{TaskID: g.hex24(i, 1), Tools: []*Tool{}, Classifications: []*Classification{}, Relations: []*Relation{}}
		a.Tasks = append(a.Tasks, conv(second, "Labeler Two"))
	}
	a.Task = a.Tasks[0]
}

// stripIDs returns copies of cs without objectIds (legacy classifications
// have none).
func stripIDs(cs []*Classification) []*Classification {
	if cs == nil {
		return nil
	}
	out := make([]*Classification, len(cs))
	for i, c := range cs {
		cc := *c
		cc.ObjectID = ""
		cc.Classifications = stripIDs(c.Classifications)
		out[i] = &cc
	}
	return out
}

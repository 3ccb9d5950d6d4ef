// Package labelstudio converts AAF exports to Label Studio's JSON task
// format (tasks.json) with a matching labeling configuration
// (labeling_config.xml), so a project can be imported into Label Studio
// with its annotations.
//
// One task per image asset, per annotated page of a multi-page asset, per
// video and per text asset, each with one annotation holding the results:
//
//   - image: bounding-box -> rectanglelabels; rotated-bounding-box ->
//     rectanglelabels with rotation (Label Studio rotates around the
//     top-left corner, which is the first AAF corner); polygon ->
//     polygonlabels; segmentation -> one polygonlabels per zone, holes
//     filled (reported); point -> keypointlabels. Coordinates are
//     percentages of the image size from the asset's metadata (an image or
//     video asset without width/height is skipped and reported), with
//     original_width/original_height set, clamped to the image (rotated
//     boxes are not clamped).
//   - video (assets with metadata.frameTotal): one videorectangle per
//     tracked object; its keyframes (AAF "page", 0-based) become sequence
//     entries with frame = page + 1, and a keyframe followed by an
//     interpolationStopped entry gets enabled: false, which ends the object
//     there as in AAF. Other video shapes are not expressible (counted).
//   - text (assets with ner spans): ner -> labels with start, end, text;
//     the task's data.text is the asset URL (valueType="url").
//   - classifications: task-level answers become choices, textarea or
//     taxonomy results; nested object answers become per-region results
//     with the region's id. Keys are title paths joined by "/".
//   - relations: single relations become relation results (straight ->
//     right, reverse -> left, bidirectional -> bi); group relations have no
//     equivalent and are left out.
//   - polyline, pdf, spline: not expressible (counted).
//
// data.image (or video, text) is the asset's URL, or "imageRoot" + the
// file name when that option is set (e.g. "/data/local-files/?d=images/"
// for files served by Label Studio itself), since the exported URLs may be
// signed and expire.
package labelstudio

import (
	"bufio"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"iter"
	"slices"
	"strconv"
	"strings"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/formats/convert"
	"github.com/exporthub/exporthub/formats/geom"
)

// Name is the format's name in Config JSON.
const Name = "labelstudio"

// File names inside the zip.
const (
	TasksFile  = "tasks.json"
	ConfigFile = "labeling_config.xml"
)

// Control tag names used in results and in the labeling config.
const (
	ImageTag    = "image"
	VideoTag    = "video"
	TextTag     = "text"
	RectTag     = "label"
	PolygonTag  = "polygon"
	KeypointTag = "keypoint"
	VideoBoxTag = "box"
	NERTag      = "ner"
)

// DefaultFrameRate is used for a video without metadata.frameRate, as the
// hub does.
const DefaultFrameRate = 30

// keypointSize is the width of a keypoint region, in percent of the image.
const keypointSize = 0.5

// Options are the Label Studio options. The zero value means all defaults.
type Options struct {
	convert.Common
	// ImageRoot, when set, replaces the asset URL in the task data by
	// ImageRoot + the file name. Defaults to "" (use the URL).
	ImageRoot string `json:"imageRoot"`
}

// Describe documents the format and its own options.
func Describe() convert.Description {
	return convert.Description{
		Name:    Name,
		Summary: "Label Studio JSON tasks with annotations (tasks.json) and labeling_config.xml",
		Options: []convert.OptionDoc{
			{Name: "imageRoot", Type: "string", Default: `""`, Doc: `prefix of the file name used as data.image/video/text instead of the asset URL, e.g. "/data/local-files/?d=images/"`},
		},
	}
}

// Converter writes Label Studio tasks. It is safe for concurrent use: each
// Convert call keeps its own state.
type Converter struct {
	o Options
}

// New returns a Label Studio converter, or an error naming the bad option.
func New(o Options) (*Converter, error) {
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("labelstudio: %w", err)
	}
	return &Converter{o: o}, nil
}

// Name returns "labelstudio".
func (c *Converter) Name() string { return Name }

// Task is one Label Studio task. ID numbers the tasks of one export from 1,
// as Label Studio's own exports do; its converter and import require it.
type Task struct {
	ID          int            `json:"id"`
	Data        map[string]any `json:"data"`
	Annotations []Annotation   `json:"annotations"`
}

// Annotation is one annotation of a task.
type Annotation struct {
	Result []Result `json:"result"`
}

// Result is one region, classification or relation of an annotation.
type Result struct {
	ID             string         `json:"id,omitempty"`
	Type           string         `json:"type"`
	FromName       string         `json:"from_name,omitempty"`
	ToName         string         `json:"to_name,omitempty"`
	OriginalWidth  float64        `json:"original_width,omitempty"`
	OriginalHeight float64        `json:"original_height,omitempty"`
	ImageRotation  *int           `json:"image_rotation,omitempty"`
	Value          map[string]any `json:"value,omitempty"`
	FromID         string         `json:"from_id,omitempty"`
	ToID           string         `json:"to_id,omitempty"`
	Direction      string         `json:"direction,omitempty"`
	Labels         []string       `json:"labels,omitempty"`
}

// control is a classification control of the labeling config.
type control struct {
	name, tag, toName, choice string
	perRegion                 bool
	options                   []string
	seen                      map[string]bool
}

// run is the state of one Convert call.
type run struct {
	o         Options
	classes   *convert.Classes
	labels    map[string][]int // control name -> class indexes used
	controls  []*control
	byName    map[string]*control
	relations []string
	data      map[string]bool // data types seen: image, video, text
}

// Convert writes tasks.json and labeling_config.xml into zw.
func (c *Converter) Convert(ctx context.Context, assets iter.Seq2[*aaf.Asset, error], zw convert.Archive, env *convert.Env) (*convert.Report, error) {
	rep := &convert.Report{Format: Name}
	r := &run{
		o: c.o, classes: convert.NewClasses(env.Schema, c.o.Common),
		labels: map[string][]int{}, byName: map[string]*control{}, data: map[string]bool{},
	}
	w, err := zw.Create(TasksFile)
	if err != nil {
		return nil, fmt.Errorf("labelstudio: create %s: %w", TasksFile, err)
	}
	out := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	tasks := 0
	write := func(t Task) error {
		sep := ","
		if tasks == 0 {
			sep = "["
		}
		tasks++
		t.ID = tasks
		if _, err := io.WriteString(out, sep); err != nil {
			return err
		}
		return enc.Encode(t)
	}
	err = convert.Walk(ctx, assets, env, c.o.Common, rep, func(it *convert.Item) error {
		return r.asset(it, write)
	})
	if err != nil {
		return rep, fmt.Errorf("labelstudio: %w", err)
	}
	if tasks == 0 {
		out.WriteString("[")
	}
	out.WriteString("]\n")
	if err := out.Flush(); err != nil {
		return rep, fmt.Errorf("labelstudio: write %s: %w", TasksFile, err)
	}
	cw, err := zw.Create(ConfigFile)
	if err != nil {
		return rep, fmt.Errorf("labelstudio: create %s: %w", ConfigFile, err)
	}
	if err := r.writeConfig(cw); err != nil {
		return rep, fmt.Errorf("labelstudio: write %s: %w", ConfigFile, err)
	}
	rep.Log(ctx, env.Log())
	return rep, nil
}

// kind returns the Label Studio data type of an asset.
func kind(a *aaf.Asset) string {
	if a.Metadata.FrameTotal != nil {
		return VideoTag
	}
	for _, t := range a.Task.Tools {
		if t.Kind == aaf.KindNER {
			return TextTag
		}
	}
	return ImageTag
}

// asset writes the task(s) of one asset.
func (r *run) asset(it *convert.Item, write func(Task) error) error {
	a := it.Asset
	switch kind(a) {
	case VideoTag:
		width, height, err := it.Size("Label Studio")
		if err != nil {
			return err
		}
		return write(r.videoTask(it, width, height))
	case TextTag:
		return write(r.textTask(it))
	}
	width, height, err := it.Size("Label Studio")
	if err != nil {
		return err
	}
	for _, f := range it.Frames {
		url := a.Asset
		if f.Index >= 0 && f.Index < len(a.Dataset) {
			url = a.Dataset[f.Index]
		}
		t := Task{Data: r.taskData(ImageTag, url, f.Name, a)}
		res := r.imageResults(it, f.Tools, width, height)
		res = append(res, r.classificationResults(convert.Flatten(f.Classifications), ImageTag, "", nil)...)
		res = append(res, r.relationResults(a.Task.Relations, f.Index, res)...)
		t.Annotations = []Annotation{{Result: res}}
		if err := write(t); err != nil {
			return fmt.Errorf("write task: %w", err)
		}
		it.Image()
	}
	return nil
}

// taskData returns a task's data: the media reference and the asset's names.
func (r *run) taskData(tag, url, name string, a *aaf.Asset) map[string]any {
	r.data[tag] = true
	if r.o.ImageRoot != "" {
		url = r.o.ImageRoot + name
	}
	d := map[string]any{tag: url, "file": name, "externalId": a.ExternalID}
	if a.AssetID != "" {
		d["assetId"] = a.AssetID
	}
	return d
}

func pct(v, of float64) float64 { return geom.Round(v / of * 100) }

// imageResults converts the objects of one image.
func (r *run) imageResults(it *convert.Item, tools []*aaf.Tool, width, height float64) []Result {
	res := []Result{}
	zero := 0
	for _, t := range tools {
		var regions []Result
		moved := false
		switch t.Kind {
		case aaf.KindBoundingBox, aaf.KindRotatedBoundingBox:
			if t.BoundingBox == nil && t.RotatedBox == nil {
				it.Skip(convert.NoGeometry(t))
				continue
			}
			v := map[string]any{}
			if t.BoundingBox != nil {
				var b geom.Rect
				b, moved = geom.FromBox(*t.BoundingBox).Clamp(width, height)
				if b.Empty() {
					it.Skip(convert.ReasonOutside)
					continue
				}
				v["x"], v["y"], v["width"], v["height"], v["rotation"] = pct(b.X0, width), pct(b.Y0, height), pct(b.W(), width), pct(b.H(), height), 0.0
			} else {
				rb := geom.FromRotatedBox(t.RotatedBox)
				c := geom.RotatedCorners(t.RotatedBox)
				v["x"], v["y"], v["width"], v["height"], v["rotation"] = pct(c[0][0], width), pct(c[0][1], height), pct(rb.W, width), pct(rb.H, height), geom.Round(rb.Angle360())
			}
			regions = []Result{{ID: t.ObjectID, Type: "rectanglelabels", FromName: RectTag, Value: v}}
		case aaf.KindPolygon, aaf.KindSegmentation:
			rings := convert.PolygonRings(it, t, "Label Studio")
			if rings == nil {
				continue
			}
			for _, ring := range rings {
				clamped, m := geom.ClampPoints(ring, width, height)
				if b, _ := geom.Bounds(clamped); b.Empty() {
					continue
				}
				moved = moved || m
				pts := make([][2]float64, len(clamped))
				for j, p := range clamped {
					pts[j] = [2]float64{pct(p[0], width), pct(p[1], height)}
				}
				id := t.ObjectID
				if len(regions) > 0 {
					id += "_" + strconv.Itoa(len(regions)+1)
				}
				regions = append(regions, Result{ID: id, Type: "polygonlabels", FromName: PolygonTag, Value: map[string]any{"points": pts, "closed": true}})
			}
			if regions == nil {
				it.Skip(convert.ReasonOutside)
				continue
			}
		case aaf.KindPoint:
			if t.Point == nil {
				it.Skip(convert.NoGeometry(t))
				continue
			}
			var p []aaf.Point
			p, moved = geom.ClampPoints([]aaf.Point{*t.Point}, width, height)
			regions = []Result{{ID: t.ObjectID, Type: "keypointlabels", FromName: KeypointTag,
				Value: map[string]any{"x": pct(p[0][0], width), "y": pct(p[0][1], height), "width": keypointSize}}}
		default:
			it.Skip(convert.NotExpressible(t.Kind, "Label Studio images"))
			continue
		}
		cls, ok := r.classes.Index(t)
		if !ok {
			it.Skip(r.classes.NotListed(t))
			continue
		}
		if moved {
			it.Converted("coordinates clamped to the image")
		}
		name := r.classes.Names()[cls]
		attrs := convert.Flatten(t.Classifications)
		for _, reg := range regions {
			reg.ToName, reg.OriginalWidth, reg.OriginalHeight, reg.ImageRotation = ImageTag, width, height, &zero
			reg.Value[reg.Type] = []string{name}
			r.useLabel(reg.FromName, cls)
			res = append(res, reg)
			geometry := map[string]any{}
			for k, v := range reg.Value {
				if k != reg.Type {
					geometry[k] = v
				}
			}
			per := r.classificationResults(attrs, ImageTag, reg.ID, geometry)
			for i := range per {
				per[i].OriginalWidth, per[i].OriginalHeight, per[i].ImageRotation = width, height, &zero
			}
			res = append(res, per...)
		}
		it.Wrote(1)
	}
	return res
}

// videoTask builds the task of a video: one videorectangle per tracked box.
func (r *run) videoTask(it *convert.Item, width, height float64) Task {
	a := it.Asset
	fps := float64(DefaultFrameRate)
	if a.Metadata.FrameRate != nil && *a.Metadata.FrameRate > 0 {
		fps = *a.Metadata.FrameRate
	}
	t := Task{Data: r.taskData(VideoTag, a.Asset, it.Name, a)}
	// Keyframes per object, in export order of first appearance.
	var order []string
	tracks := map[string][]*aaf.Tool{}
	for _, tool := range a.Task.Tools {
		if tool.Kind != aaf.KindBoundingBox || tool.BoundingBox == nil {
			if !tool.InterpolationStopped {
				it.Skip(convert.NotExpressible(tool.Kind, "Label Studio videos"))
			}
			continue
		}
		if _, ok := tracks[tool.ObjectID]; !ok {
			order = append(order, tool.ObjectID)
		}
		tracks[tool.ObjectID] = append(tracks[tool.ObjectID], tool)
	}
	res := []Result{}
	for _, id := range order {
		keys := tracks[id]
		slices.SortStableFunc(keys, func(x, y *aaf.Tool) int { return x.PageOr(0) - y.PageOr(0) })
		first := keys[0]
		cls, ok := r.classes.Index(first)
		if !ok {
			for _, k := range keys {
				if !k.InterpolationStopped {
					it.Skip(r.classes.NotListed(first))
				}
			}
			continue
		}
		var seq []map[string]any
		for i, k := range keys {
			if k.InterpolationStopped {
				it.TookStopped(1) // expressed as enabled=false on the keyframe before
				continue
			}
			b := geom.FromBox(*k.BoundingBox)
			enabled := i+1 >= len(keys) || !keys[i+1].InterpolationStopped
			p := k.PageOr(0)
			seq = append(seq, map[string]any{
				"frame": p + 1, "enabled": enabled, "rotation": 0.0, "time": geom.Round(float64(p) / fps),
				"x": pct(b.X0, width), "y": pct(b.Y0, height), "width": pct(b.W(), width), "height": pct(b.H(), height),
			})
			it.Wrote(1)
		}
		if seq == nil {
			continue
		}
		value := map[string]any{"sequence": seq, "labels": []string{r.classes.Names()[cls]}}
		if a.Metadata.FrameTotal != nil {
			value["framesCount"] = *a.Metadata.FrameTotal
			value["duration"] = geom.Round(*a.Metadata.FrameTotal / fps)
		}
		r.useLabel(VideoBoxTag, cls)
		res = append(res, Result{ID: id, Type: "videorectangle", FromName: VideoBoxTag, ToName: VideoTag, Value: value})
	}
	var plain []*aaf.Classification
	for _, c := range a.Task.Classifications {
		if c.Page == nil {
			plain = append(plain, c)
		}
	}
	res = append(res, r.classificationResults(convert.Flatten(plain), VideoTag, "", nil)...)
	t.Annotations = []Annotation{{Result: res}}
	it.Image()
	return t
}

// textTask builds the task of a text asset with ner spans.
func (r *run) textTask(it *convert.Item) Task {
	a := it.Asset
	t := Task{Data: r.taskData(TextTag, a.Asset, it.Name, a)}
	res := []Result{}
	for _, tool := range a.Task.Tools {
		if tool.InterpolationStopped {
			continue
		}
		if tool.Kind != aaf.KindNER || tool.NER == nil {
			it.Skip(convert.NotExpressible(tool.Kind, "Label Studio text"))
			continue
		}
		cls, ok := r.classes.Index(tool)
		if !ok {
			it.Skip(r.classes.NotListed(tool))
			continue
		}
		r.useLabel(NERTag, cls)
		span := map[string]any{"start": tool.NER.Start, "end": tool.NER.End, "text": tool.NER.Selection}
		v := map[string]any{"labels": []string{r.classes.Names()[cls]}}
		for k, x := range span {
			v[k] = x
		}
		res = append(res, Result{ID: tool.ObjectID, Type: "labels", FromName: NERTag, ToName: TextTag, Value: v})
		res = append(res, r.classificationResults(convert.Flatten(tool.Classifications), TextTag, tool.ObjectID, span)...)
		it.Wrote(1)
	}
	res = append(res, r.classificationResults(convert.Flatten(a.Task.Classifications), TextTag, "", nil)...)
	res = append(res, r.relationResults(a.Task.Relations, -1, res)...)
	t.Annotations = []Annotation{{Result: res}}
	it.Image()
	return t
}

// classificationResults converts flattened answers to choices, textarea or
// taxonomy results; with regionID set they are per-region results that
// repeat the region's geometry, as Label Studio stores them.
func (r *run) classificationResults(attrs convert.Attrs, toName, regionID string, geometry map[string]any) []Result {
	var out []Result
	for _, a := range attrs {
		tag, choice, value := "Choices", "single", map[string]any{}
		var options []string
		switch a.Tool {
		case "radio", "single-dropdown":
			options = a.Answer.Values
			value["choices"] = nonNil(a.Answer.Values)
		case "checkbox", "multi-dropdown":
			choice, options = "multiple", a.Answer.Values
			value["choices"] = nonNil(a.Answer.Values)
		case "tree-dropdown":
			tag = "Taxonomy"
			var paths [][]string
			for _, v := range a.Answer.Values {
				paths = append(paths, strings.Split(v, " / "))
				options = append(options, v)
			}
			value["taxonomy"] = paths
		default:
			tag = "TextArea"
			value["text"] = []string{a.Text()}
		}
		for k, v := range geometry {
			value[k] = v
		}
		r.useControl(a.Key, tag, toName, choice, regionID != "", options)
		out = append(out, Result{ID: regionID, Type: strings.ToLower(tag), FromName: a.Key, ToName: toName, Value: value})
	}
	return out
}

// relationResults converts the single relations of a frame (page -1: those
// without a page) whose ends are among the results.
func (r *run) relationResults(rels []*aaf.Relation, page int, res []Result) []Result {
	ids := map[string]bool{}
	for _, x := range res {
		ids[x.ID] = true
	}
	var out []Result
	for _, rel := range rels {
		if rel.IsGroup() || rel.From == "" || rel.To == "" || !ids[rel.From] || !ids[rel.To] {
			continue
		}
		if (rel.Page == nil) != (page < 0) || (rel.Page != nil && *rel.Page != page) {
			continue
		}
		dir := "right"
		switch rel.Direction {
		case "reverse":
			dir = "left"
		case "bidirectional":
			dir = "bi"
		}
		out = append(out, Result{Type: "relation", FromID: rel.From, ToID: rel.To, Direction: dir, Labels: []string{rel.Title}})
		if !slices.Contains(r.relations, rel.Title) {
			r.relations = append(r.relations, rel.Title)
		}
	}
	return out
}

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

func (r *run) useLabel(tag string, cls int) {
	if !slices.Contains(r.labels[tag], cls) {
		r.labels[tag] = append(r.labels[tag], cls)
	}
}

func (r *run) useControl(name, tag, toName, choice string, perRegion bool, options []string) {
	c, ok := r.byName[name]
	if !ok {
		c = &control{name: name, tag: tag, toName: toName, choice: choice, perRegion: perRegion, seen: map[string]bool{}}
		r.byName[name] = c
		r.controls = append(r.controls, c)
	}
	if choice == "multiple" {
		c.choice = choice
	}
	for _, o := range options {
		if !c.seen[o] {
			c.seen[o] = true
			c.options = append(c.options, o)
		}
	}
}

// writeConfig writes a labeling config with the object tags, label
// controls, classification controls and relation labels the tasks use.
func (r *run) writeConfig(w io.Writer) error {
	bw := bufio.NewWriter(w)
	esc := func(s string) string {
		var b strings.Builder
		xml.EscapeText(&b, []byte(s))
		return strings.ReplaceAll(b.String(), `"`, "&#34;")
	}
	bw.WriteString("<View>\n")
	objects := []struct{ tag, name, extra string }{
		{"Image", ImageTag, ""}, {"Video", VideoTag, ""}, {"Text", TextTag, ` valueType="url"`},
	}
	for _, o := range objects {
		if r.data[o.name] {
			fmt.Fprintf(bw, "  <%s name=%q value=\"$%s\"%s/>\n", o.tag, o.name, o.name, o.extra)
		}
	}
	controls := []struct{ tag, name, toName string }{
		{"RectangleLabels", RectTag, ImageTag}, {"PolygonLabels", PolygonTag, ImageTag}, {"KeyPointLabels", KeypointTag, ImageTag},
		{"Labels", VideoBoxTag, VideoTag}, {"Labels", NERTag, TextTag},
	}
	for _, c := range controls {
		used := r.labels[c.name]
		if len(used) == 0 {
			continue
		}
		name := c.name
		if c.name == VideoBoxTag {
			fmt.Fprintf(bw, "  <VideoRectangle name=%q toName=%q/>\n", VideoBoxTag, VideoTag)
			name = "videoLabels"
		}
		fmt.Fprintf(bw, "  <%s name=\"%s\" toName=%q>\n", c.tag, esc(name), c.toName)
		for _, cls := range used {
			fmt.Fprintf(bw, "    <Label value=\"%s\" background=%q/>\n", esc(r.classes.Names()[cls]), r.classes.Color(cls))
		}
		fmt.Fprintf(bw, "  </%s>\n", c.tag)
	}
	for _, c := range r.controls {
		attrs := fmt.Sprintf("name=\"%s\" toName=%q", esc(c.name), c.toName)
		if c.perRegion {
			attrs += ` perRegion="true"`
		}
		switch c.tag {
		case "TextArea":
			fmt.Fprintf(bw, "  <TextArea %s/>\n", attrs)
		case "Taxonomy":
			fmt.Fprintf(bw, "  <Taxonomy %s>\n", attrs)
			writeTaxonomy(bw, c.options, esc)
			bw.WriteString("  </Taxonomy>\n")
		default:
			fmt.Fprintf(bw, "  <Choices %s choice=%q>\n", attrs, c.choice)
			for _, o := range c.options {
				fmt.Fprintf(bw, "    <Choice value=\"%s\"/>\n", esc(o))
			}
			bw.WriteString("  </Choices>\n")
		}
	}
	if len(r.relations) > 0 {
		bw.WriteString("  <Relations>\n")
		for _, rel := range r.relations {
			fmt.Fprintf(bw, "    <Relation value=\"%s\"/>\n", esc(rel))
		}
		bw.WriteString("  </Relations>\n")
	}
	bw.WriteString("</View>\n")
	return bw.Flush()
}

// writeTaxonomy writes nested <Choice> elements for " / "-joined paths.
func writeTaxonomy(w *bufio.Writer, paths []string, esc func(string) string) {
	type node struct {
		name     string
		children []*node
	}
	root := &node{}
	for _, p := range paths {
		n := root
		for _, part := range strings.Split(p, " / ") {
			var next *node
			for _, c := range n.children {
				if c.name == part {
					next = c
				}
			}
			if next == nil {
				next = &node{name: part}
				n.children = append(n.children, next)
			}
			n = next
		}
	}
	var walk func(n *node, depth int)
	walk = func(n *node, depth int) {
		for _, c := range n.children {
			indent := strings.Repeat("  ", depth+2)
			if len(c.children) == 0 {
				fmt.Fprintf(w, "%s<Choice value=\"%s\"/>\n", indent, esc(c.name))
				continue
			}
			fmt.Fprintf(w, "%s<Choice value=\"%s\">\n", indent, esc(c.name))
			walk(c, depth+1)
			fmt.Fprintf(w, "%s</Choice>\n", indent)
		}
	}
	walk(root, 0)
}

package aaf_test

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/exporthub/exporthub/aaf"
)

func ExampleReader() {
	input := `{"externalId":"a.jpg","task":{"tools":[{"objectId":"o1","title":"Car","bounding-box":{"x":10,"y":20,"width":-5,"height":8}}]}}
{"externalId":"b.jpg","task":{"tools":[{"objectId":"o2","title":"Lane","polyline":[[0,0],[3,4]]}]}}
`
	r := aaf.NewReader(strings.NewReader(input))
	for a, err := range r.All() {
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		for _, t := range a.Task.Tools {
			fmt.Println(a.ExternalID, t.Title, t.Kind)
			if t.BoundingBox != nil {
				fmt.Printf("  box %+v\n", t.BoundingBox.Normalize())
			}
		}
	}
	fmt.Println("format:", r.Format())
	// Output:
	// a.jpg Car bounding-box
	//   box {X:5 Y:20 Width:5 Height:8}
	// b.jpg Lane polyline
	// format: ndjson
}

func ExampleError() {
	input := `[{"externalId":"poly.jpg","task":{"tools":[{"objectId":"p","polygon":[[1,2],["3",4],[5,6]]}]}}]`
	_, err := aaf.NewReader(strings.NewReader(input)).Next()
	fmt.Println(err)
	var e *aaf.Error
	if errors.As(err, &e) {
		fmt.Println(e.Index, e.ExternalID, e.Path, errors.Is(err, aaf.ErrInvalid))
	}
	// Output:
	// asset 1 ("poly.jpg") line 1: task.tools[0].polygon[1][0] (objectId "p"): coordinate must be a number, got string "3"
	// 0 poly.jpg task.tools[0].polygon[1][0] true
}

func ExampleWithContinueOnInvalid() {
	input := `{"externalId":"a.jpg","task":{"tools":[{"objectId":"o1","point":[1]}]}}
{"externalId":"b.jpg","task":{"tools":[]}}
{"externalId":"c.jpg"}
{"externalId":"d.jpg","task":{
`
	const maxErrors = 20 // the caller bounds the work
	r := aaf.NewReader(strings.NewReader(input), aaf.WithContinueOnInvalid())
	var errs []error
	valid := 0
	for _, err := range r.All() {
		if err != nil {
			errs = append(errs, err)
			if len(errs) == maxErrors {
				break
			}
			continue
		}
		valid++
	}
	for _, err := range errs {
		fmt.Println(err)
	}
	fmt.Println(valid, "valid of", r.Index())
	// Output:
	// asset 1 ("a.jpg") line 1: task.tools[0].point (objectId "o1"): point must be [x, y] (2 numbers), got 1 value
	// asset 3 ("c.jpg") line 3: missing "task" (and no legacy "tasks")
	// asset 4 line 4: invalid JSON: unexpected end of input
	// 1 valid of 4
}

func ExampleEncoder() {
	enc := aaf.NewEncoder(os.Stdout, aaf.FormatJSON)
	for a, err := range aaf.Assets(strings.NewReader(`{"externalId":"x.jpg","custom":{"kept":true},"task":{"tools":[]}}`)) {
		if err != nil {
			fmt.Println(err)
			return
		}
		a.Batches = []string{"night"}
		if err := enc.Encode(a); err != nil {
			fmt.Println(err)
			return
		}
	}
	if err := enc.Close(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// [
	// {"externalId":"x.jpg","batches":["night"],"task":{"tools":[]},"custom":{"kept":true}}
	// ]
}

func ExampleGenerateAssets() {
	o := aaf.GenOptions{Assets: 3, Seed: 7, Kind: aaf.AssetKindVideo, NoHistory: true}
	for a := range aaf.GenerateAssets(o) {
		frames := map[string]int{}
		for _, t := range a.Task.Tools {
			frames[t.ObjectID]++
		}
		fmt.Println(a.ExternalID, len(frames), "tracked objects,", len(a.Task.Tools), "keyframes")
	}
	fmt.Println(len(aaf.GenSchema(o).Tools), "tool classes;", len(aaf.GenStages(o)), "stages;", aaf.GenBatchNames(o))
	// Output:
	// clip-0000000.mp4 3 tracked objects, 8 keyframes
	// clip-0000001.mp4 4 tracked objects, 18 keyframes
	// clip-0000002.mp4 1 tracked objects, 2 keyframes
	// 4 tool classes; 4 stages; [batch-000 batch-001 batch-002 batch-003]
}

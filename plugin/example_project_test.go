package plugin_test

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/plugin"
)

// Project gives a callback its project's category schema, for class ids
// that stay the same on every export. From a hub it is one API call per
// run; in a local run it comes from LocalOptions (the dev command's
// -schema and -project-name flags).
func ExampleRequest_Project() {
	out, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(out)

	classIDs := func(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
		p, err := req.Project(ctx)
		if err != nil {
			return nil, err
		}
		fmt.Println("project:", p.Name)
		for i, class := range p.CategorySchema.Tools {
			fmt.Printf("class %d: %s (%s)\n", i, class.Title, class.SchemaID)
		}
		z, err := req.NewZip("")
		if err != nil {
			return nil, err
		}
		defer z.Close()
		return z.Response()
	}
	_, err := plugin.RunLocal(context.Background(), classIDs, plugin.LocalOptions{
		Export:      "testdata/image_small.ndjson",
		Out:         out,
		ProjectName: "Street scenes",
		Schema: aaf.CategorySchema{Tools: []aaf.SchemaClass{
			{SchemaID: "sch-tool-road", Title: "Road", Tool: "segmentation"},
			{SchemaID: "sch-tool-car", Title: "Car", Tool: "bounding-box"},
		}},
		LogOutput: io.Discard,
	})
	if err != nil {
		fmt.Println("error:", err)
	}
	// Output:
	// project: Street scenes
	// class 0: Road (sch-tool-road)
	// class 1: Car (sch-tool-car)
}

package plugin_test

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/plugin"
)

// labelsPerAsset is a complete export callback: one line per asset with
// the titles of its bounding boxes, in one text file inside a zip.
func labelsPerAsset(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
	var cfg struct {
		Separator string `json:"separator"`
	}
	cfg.Separator = ","
	if err := req.DecodeConfig(&cfg); err != nil {
		return nil, err
	}
	z, err := req.NewZip(req.ProjectID + ".zip")
	if err != nil {
		return nil, err
	}
	defer z.Close()
	w, err := z.Create("labels.txt")
	if err != nil {
		return nil, err
	}
	n := 0
	for asset, err := range req.Export.All() {
		if err != nil {
			return nil, err
		}
		fmt.Fprint(w, asset.ExternalID, ":")
		sep := " "
		for _, tool := range asset.Task.Tools {
			if tool.Kind == aaf.KindBoundingBox {
				fmt.Fprint(w, sep, tool.Title)
				sep = cfg.Separator
			}
		}
		fmt.Fprintln(w)
		n++
	}
	req.Logger.Info("labels written", "assets", n)
	return z.Response()
}

// RunLocal runs a callback on a local AAF file with no hub, as
// "myplugin dev --export FILE --config JSON --out DIR" does.
func ExampleRunLocal() {
	out, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(out)

	res, err := plugin.RunLocal(context.Background(), labelsPerAsset, plugin.LocalOptions{
		Export:    "testdata/image_small.ndjson",
		Config:    `{"separator": "+"}`,
		Out:       out,
		ProjectID: "demo",
		LogOutput: os.Stdout,
	})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	zr, _ := zip.OpenReader(res.Path)
	defer zr.Close()
	for _, f := range zr.File {
		rc, _ := f.Open()
		body, _ := io.ReadAll(rc)
		rc.Close()
		fmt.Printf("%s:\n%s", f.Name, body)
	}
	// Output:
	// level=INFO msg="labels written" assets=3
	// labels.txt:
	// street-001.jpg: Car
	// street-002.jpg:
	// street-003.jpg:
}

// Command failplugin is an export plugin, built on the Go SDK, whose
// callback always fails: the browser tests use it to check how the run
// dialog shows a plugin's error.
package main

import (
	"context"
	"fmt"

	"github.com/exporthub/exporthub/plugin"
)

func main() {
	plugin.Main(plugin.HandlerFunc(func(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
		var cfg struct {
			Format string `json:"format"`
		}
		if err := req.DecodeConfig(&cfg); err != nil {
			return nil, err
		}
		req.Logger.InfoContext(ctx, "checking the config", "format", cfg.Format)
		return nil, fmt.Errorf("format %q is not supported: this plugin writes no format at all", cfg.Format)
	}))
}

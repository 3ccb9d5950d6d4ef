// Command failplugin is an export plugin, built on the Go SDK, that never
// exports anything: the browser tests use it to check how the run dialog
// shows a plugin's error and how a run is cancelled.
//
// With the config {"block": true} its callback waits until the run is
// cancelled (or times out) and prints "failplugin: run context
// cancelled: CAUSE" on stderr, where the tests read it: log lines sent to
// the hub after the run ended are dropped. Any other config makes the callback fail with an error naming
// the config's "format".
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/exporthub/exporthub/plugin"
)

func main() {
	plugin.Main(plugin.HandlerFunc(func(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
		var cfg struct {
			Format string `json:"format"`
			Block  bool   `json:"block"`
		}
		if err := req.DecodeConfig(&cfg); err != nil {
			return nil, err
		}
		if cfg.Block {
			req.Logger.InfoContext(ctx, "waiting until the run is cancelled")
			<-ctx.Done()
			fmt.Fprintf(os.Stderr, "failplugin: run context cancelled: %v\n", context.Cause(ctx))
			return nil, context.Cause(ctx)
		}
		req.Logger.InfoContext(ctx, "checking the config", "format", cfg.Format)
		return nil, fmt.Errorf("format %q is not supported: this plugin writes no format at all", cfg.Format)
	}))
}

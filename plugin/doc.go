// Package plugin is the Go SDK for exporthub export plugins.
//
// An export plugin is a long-running process that waits for runs from a hub
// (exporthub, or Ango Hub: both speak the same protocol), converts the
// project's annotations (a stream of [aaf.Asset]) into a file of its own
// format, and hands a zip back. The SDK does everything around the
// conversion: it authenticates with heartbeats, reconnects, downloads the
// export, streams it to the callback, uploads the result, reports logs and
// failures, and shuts down gracefully.
//
// # Writing a plugin
//
// A plugin is a [HandlerFunc] (or any [Handler]):
//
//	func convert(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
//		var cfg struct{ Separator string `json:"separator-character"` }
//		if err := req.DecodeConfig(&cfg); err != nil {
//			return nil, err
//		}
//		z, err := req.NewZip(req.ProjectID + ".zip")
//		if err != nil {
//			return nil, err
//		}
//		defer z.Close()
//		w, err := z.Create(req.ProjectID + ".txt")
//		...
//		for asset, err := range req.Export.All() {
//			...
//		}
//		return z.Response()
//	}
//
//	func main() { plugin.Main(plugin.HandlerFunc(convert)) }
//
// [Main] gives the binary two subcommands: "serve" (the default) connects to
// the hub configured by the HOST, PLUGIN_ID, PLUGIN_SECRET, CONNECTOR and
// PORT environment variables, and "dev --export FILE --config JSON --out DIR"
// runs the callback once on a local AAF file with no hub (see [RunLocal]).
//
// # Streaming and memory
//
// The export is never held in memory: the SDK spools the downloaded zip to a
// temporary file and decodes its first entry one asset at a time through
// [Request.Export]. The result is uploaded as a stream too; [Zip] builds the
// zip in a temporary file while the callback converts, with memory that does
// not grow with the number of entries.
//
// # Connectors
//
// [ConnectorWS] (the default) keeps a Socket.IO connection to the hub
// (namespace /plugin, websocket transport), sends a heartbeat every minute on
// its own goroutine and reconnects with exponential backoff and jitter.
// [ConnectorREST] serves /heartbeat and /plugin over HTTP instead and sends
// logs and results to the hub's /v2/pluginLog and /v2/pluginResponse.
//
// # Failures
//
// A callback error or panic never stops the process: the SDK logs the cause
// (with the stack for a panic) to the hub and to the local logger, answers
// the hub with {"error": true, "session": ...} and keeps serving. Errors
// returned by the hub's REST API are [*APIError] values that match the
// sentinels [ErrUnauthorized], [ErrNotFound], [ErrRunNotFound] and
// [ErrExportFailed] with errors.Is.
//
// The package depends on the standard library, package aaf, the Socket.IO
// client and the module's own streaming zip writer only.
package plugin

package plugin

import "context"

// Handler converts one run's export. ServeExport is called on its own
// goroutine, once per run, with a ctx that is cancelled when the run is
// cancelled or times out on the hub, or when the plugin shuts down. It must
// be safe for concurrent use when [Export.Concurrency] is above 1.
//
// ServeExport returns the file to upload. An error (or a panic) fails the
// run: the SDK logs the cause and answers the hub with an error response;
// the process keeps serving.
type Handler interface {
	ServeExport(ctx context.Context, req *Request) (*Response, error)
}

// HandlerFunc adapts a function to [Handler]; it is also the type of the
// [Export.Callback] field, so a method value h.ServeExport fits there too.
type HandlerFunc func(ctx context.Context, req *Request) (*Response, error)

// ServeExport calls f(ctx, req).
func (f HandlerFunc) ServeExport(ctx context.Context, req *Request) (*Response, error) {
	return f(ctx, req)
}

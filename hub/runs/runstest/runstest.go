// Package runstest runs export plugin instances in Go for tests and
// benchmarks of the hub: each [Plugin] is a real Socket.IO client (the
// zishang520 Go client) speaking the plugin protocol as the Python SDK
// does: heartbeat, `plugin`, GET /v2/export, getUploadUrl, PUT,
// getSignedUrl, `log`, `response`.
package runstest

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	ceio "github.com/zishang520/socket.io/clients/engine/v3/transports"
	cio "github.com/zishang520/socket.io/clients/socket/v3"
	"github.com/zishang520/socket.io/v3/pkg/types"

	"github.com/exporthub/exporthub/hub/gateway"
	"github.com/exporthub/exporthub/internal/wire"
)

// Run is one run as a Plugin's Handler sees it.
type Run struct {
	// Request is the run request as received.
	Request gateway.RunRequest
	// Assets holds the lines of the export's first zip entry (nil with
	// Options.SkipExport).
	Assets [][]byte
	// StorageID, when a Handler sets it, sends the file to that
	// organization storage instead of the hub's.
	StorageID string
	p         *Plugin
}

// Log sends a `log` event for the run (with Options.HTTPCallbacks, POST
// /v2/pluginLog).
func (r *Run) Log(level, msg string, extra map[string]any) {
	r.p.callback(&r.Request, gateway.EventLog, wire.Log{
		Level: level, Organization: r.Request.OrgID, PluginID: r.Request.PluginID,
		RunBy: r.Request.RunBy, Session: r.Request.Session, Msg: msg, Extra: extra,
	})
}

// Handler makes the file of a run; an error makes the plugin answer
// {"error": true}.
type Handler func(ctx context.Context, r *Run) (fileName string, body []byte, err error)

// Options configures a Plugin.
type Options struct {
	// Host is the hub's base URL; ID and Secret the plugin's credentials.
	Host, ID, Secret string
	// APIHost is the base URL of the plugin's HTTP calls (/v2, the export
	// download, the upload): another hub replica, or the load balancer in
	// front of the replicas. Defaults to Host.
	APIHost string
	// HTTPCallbacks sends the run's logs and response with POST
	// /v2/pluginLog and /v2/pluginResponse (as a REST connector plugin
	// does) instead of `log` and `response` events.
	HTTPCallbacks bool
	// OnCancel is called, on the socket's goroutine, when a `cancel`
	// event (ours) arrives; nil to skip.
	OnCancel func(session string)
	// Handler makes each run's file. Defaults to TinyZip.
	Handler Handler
	// SkipExport skips GET /v2/export (a plugin that needs no assets).
	SkipExport bool
	// OnRequest is called, on the socket's goroutine, when a `plugin`
	// event arrives; nil to skip.
	OnRequest func(req *gateway.RunRequest, at time.Time)
	// HTTPClient makes the plugin's HTTP calls. Defaults to a client with
	// a 60s timeout.
	HTTPClient *http.Client
}

// Plugin is one connected plugin instance.
type Plugin struct {
	opts Options
	sock *cio.Socket
	hc   *http.Client

	mu     sync.Mutex
	errs   []error
	closed bool
	wg     sync.WaitGroup
	ctx    context.Context
	cancel context.CancelFunc
}

// TinyZip is the default Handler: a zip holding one small text file.
func TinyZip(_ context.Context, r *Run) (string, []byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("result.txt")
	if err != nil {
		return "", nil, err
	}
	fmt.Fprintf(w, "run %s: %d assets\n", r.Request.Session, len(r.Assets))
	if err := zw.Close(); err != nil {
		return "", nil, err
	}
	return "result.zip", buf.Bytes(), nil
}

// attemptTimeout bounds one connection attempt. The Go client library
// can miss its engine's "open" event (the engine connects before the
// manager listens), and then waits for its own 20s timeout; Connect
// retries sooner instead.
const attemptTimeout = 3 * time.Second

// heartbeatDelay is the pause between the namespace connect and the
// first heartbeat.
const heartbeatDelay = 50 * time.Millisecond

// Connect connects an instance and sends its first heartbeat; it returns
// once the namespace is connected (the hub registers the instance right
// after), retrying stalled attempts until ctx is done. Close it when
// done.
func Connect(ctx context.Context, o Options) (*Plugin, error) {
	if o.Handler == nil {
		o.Handler = TinyZip
	}
	if o.APIHost == "" {
		o.APIHost = o.Host
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	for {
		p, err := connectOnce(ctx, o, hc)
		if err == nil {
			return p, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("connect plugin instance: %w (last attempt: %v)", ctx.Err(), err)
		}
	}
}

// connectOnce makes one connection attempt.
func connectOnce(ctx context.Context, o Options, hc *http.Client) (*Plugin, error) {
	pctx, cancel := context.WithCancel(context.Background())
	p := &Plugin{opts: o, hc: hc, ctx: pctx, cancel: cancel}
	opts := cio.DefaultOptions()
	opts.SetTransports(types.NewSet(ceio.WebSocket))
	opts.SetReconnection(false)
	opts.SetForceNew(true)
	opts.SetTimeout(attemptTimeout)
	// The connection opens first and the namespace joins after: when
	// the two overlap, the client library may send the namespace CONNECT
	// twice (once from its "open" listener, once from Connect seeing the
	// connection open), and the server closes the connection.
	opts.SetAutoConnect(false)
	m := cio.NewManager(o.Host, opts)
	opened := make(chan error, 1)
	m.Open(func(err error) { opened <- err })
	wait := time.NewTimer(attemptTimeout + time.Second)
	defer wait.Stop()
	select {
	case err := <-opened:
		if err != nil {
			cancel()
			return nil, fmt.Errorf("connect plugin instance: %w", err)
		}
	case <-wait.C:
		cancel()
		m.Engine().Close()
		return nil, fmt.Errorf("connect plugin instance: connection not open within %s", attemptTimeout+time.Second)
	case <-ctx.Done():
		cancel()
		m.Engine().Close()
		return nil, fmt.Errorf("connect plugin instance: %w", ctx.Err())
	}
	p.sock = m.Socket(gateway.Namespace, opts)
	connected := make(chan struct{})
	connErr := make(chan error, 1)
	_ = p.sock.On("connect_error", func(args ...any) {
		select {
		case connErr <- fmt.Errorf("connect plugin instance: %v", args):
		default:
		}
	})
	var once sync.Once
	_ = p.sock.On("connect", func(...any) {
		// The server library (v3.0.6) answers the namespace CONNECT a
		// moment before it can route the namespace's packets; a packet
		// sent in that moment makes it close the connection. A short
		// pause before the first heartbeat keeps clear of it.
		time.AfterFunc(heartbeatDelay, func() {
			_ = p.sock.Emit(gateway.EventHeartbeat, wire.Heartbeat{ID: o.ID, Secret: o.Secret})
			once.Do(func() { close(connected) })
		})
	})
	_ = p.sock.On(gateway.EventCancel, func(args ...any) {
		var c wire.Cancel
		if o.OnCancel == nil || wire.FromArgs(args, &c) != nil {
			return
		}
		o.OnCancel(c.Session)
	})
	_ = p.sock.On(gateway.EventPlugin, func(args ...any) {
		at := time.Now()
		var req gateway.RunRequest
		if err := wire.FromArgs(args, &req); err != nil {
			p.fail(fmt.Errorf("decode run request: %w", err))
			return
		}
		if o.OnRequest != nil {
			o.OnRequest(&req, at)
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.run(&req)
		}()
	})
	p.sock.Connect()
	wait.Reset(attemptTimeout + time.Second)
	select {
	case <-connected:
		return p, nil
	case err := <-connErr:
		p.Close()
		return nil, err
	case <-wait.C:
		p.Close()
		return nil, fmt.Errorf("connect plugin instance: no answer within %s", attemptTimeout+time.Second)
	case <-ctx.Done():
		p.Close()
		return nil, fmt.Errorf("connect plugin instance: %w", ctx.Err())
	}
}

// Close disconnects the instance and waits for its runs to stop.
func (p *Plugin) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	p.mu.Unlock()
	p.cancel()
	p.sock.Disconnect()
	p.wg.Wait()
}

// Kill drops the instance as a killed plugin process does: the socket
// disconnects first, so the runs in flight send no more events (they
// stay unsent), then their handlers' contexts are cancelled and Kill
// waits for them. Close, by contrast, cancels the handlers first,
// and a handler that returns an error in time still answers
// {"error": true}.
func (p *Plugin) Kill() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	p.mu.Unlock()
	p.sock.Disconnect()
	p.cancel()
	p.wg.Wait()
}

// Emit sends any event, for tests of how the hub treats odd plugins.
func (p *Plugin) Emit(event string, payload any) error { return p.sock.Emit(event, payload) }

// Connected reports whether the socket is connected.
func (p *Plugin) Connected() bool { return p.sock.Connected() }

// Errors returns the errors the instance met while running runs.
func (p *Plugin) Errors() []error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]error(nil), p.errs...)
}

func (p *Plugin) fail(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.errs = append(p.errs, err)
}

// run does one run and answers it.
func (p *Plugin) run(req *gateway.RunRequest) {
	ctx := p.ctx
	r := &Run{Request: *req, p: p}
	if !p.opts.SkipExport {
		assets, err := p.export(ctx, req)
		if err != nil {
			p.fail(err)
			return // as the SDK: no response, the hub times the run out
		}
		r.Assets = assets
	}
	name, body, err := p.opts.Handler(ctx, r)
	if err != nil {
		p.callback(req, gateway.EventResponse, wire.ErrorResponse(req.Session))
		return
	}
	signed, err := p.upload(ctx, req, r.StorageID, name, body)
	if err != nil {
		p.fail(err)
		return
	}
	p.callback(req, gateway.EventResponse, wire.ExportResponse(req.Session, signed))
}

// callback sends a `log` or `response` payload: as an event, or with
// Options.HTTPCallbacks as POST /v2/pluginLog or /v2/pluginResponse.
func (p *Plugin) callback(req *gateway.RunRequest, event string, payload any) {
	if !p.opts.HTTPCallbacks {
		_ = p.sock.Emit(event, payload)
		return
	}
	path := wire.PathPluginLog
	if event == gateway.EventResponse {
		path = wire.PathPluginResponse
	}
	b, err := json.Marshal(payload)
	if err != nil {
		p.fail(fmt.Errorf("encode %s: %w", path, err))
		return
	}
	hr, err := http.NewRequestWithContext(p.ctx, http.MethodPost, p.opts.APIHost+path, bytes.NewReader(b))
	if err != nil {
		p.fail(err)
		return
	}
	hr.Header.Set(wire.HeaderAPIKey, req.APIKey)
	hr.Header.Set("Content-Type", "application/json")
	resp, err := p.hc.Do(hr)
	if err != nil {
		p.fail(fmt.Errorf("POST %s: %w", path, err))
		return
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		p.fail(fmt.Errorf("POST %s: HTTP %d: %s", path, resp.StatusCode, got))
	}
}

// v2 calls a /v2 GET endpoint with the run's token and decodes data.
func (p *Plugin) v2(ctx context.Context, req *gateway.RunRequest, path string, q url.Values, out any) error {
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, p.opts.APIHost+path+"?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	hr.Header.Set(wire.HeaderAPIKey, req.APIKey)
	resp, err := p.hc.Do(hr)
	if err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: HTTP %d: %s", path, resp.StatusCode, b)
	}
	var env wire.Envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return fmt.Errorf("GET %s: decode: %w", path, err)
	}
	if err := env.DecodeData(out); err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	return nil
}

// export downloads the run's NDJSON export and returns its lines.
func (p *Plugin) export(ctx context.Context, req *gateway.RunRequest) ([][]byte, error) {
	stage, _ := json.Marshal(req.Stage)
	batches, _ := json.Marshal(req.Batches)
	var data wire.ExportData
	q := url.Values{"project": {req.ProjectID}, "format": {"ndjson"}, "stage": {string(stage)}, "batches": {string(batches)}}
	if err := p.v2(ctx, req, wire.PathExport, q, &data); err != nil {
		return nil, err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, data.ExportPath, nil)
	if err != nil {
		return nil, err
	}
	resp, err := p.hc.Do(hr)
	if err != nil {
		return nil, fmt.Errorf("download export: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("download export: HTTP %d: %v", resp.StatusCode, err)
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("open export zip: %w", err)
	}
	if len(zr.File) == 0 {
		return nil, errors.New("export zip is empty")
	}
	rc, err := zr.File[0].Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	content, err := io.ReadAll(rc)
	if err != nil {
		return nil, err
	}
	var lines [][]byte
	for _, l := range bytes.Split(content, []byte("\n")) {
		if len(bytes.TrimSpace(l)) > 0 {
			lines = append(lines, l)
		}
	}
	return lines, nil
}

// upload PUTs body through getUploadUrl and returns the getSignedUrl URL.
func (p *Plugin) upload(ctx context.Context, req *gateway.RunRequest, storageID, name string, body []byte) (string, error) {
	var up wire.UploadURLData
	q := url.Values{"name": {name}, "project": {req.ProjectID}, "type": {wire.UploadTypeExports}}
	if storageID != "" {
		q.Set("storageId", storageID)
	}
	if err := p.v2(ctx, req, wire.PathUploadURL, q, &up); err != nil {
		return "", err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPut, up.UploadURL, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	// As the Go SDK: Azure SAS URLs need the blob type; others ignore it.
	hr.Header.Set("x-ms-blob-type", "BlockBlob")
	resp, err := p.hc.Do(hr)
	if err != nil {
		return "", fmt.Errorf("PUT upload: %w", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return "", fmt.Errorf("PUT upload: HTTP %d", resp.StatusCode)
	}
	var sig wire.SignedURLData
	q.Set("name", up.UploadURL)
	if err := p.v2(ctx, req, wire.PathSignedURL, q, &sig); err != nil {
		return "", err
	}
	return sig.SignedURL, nil
}

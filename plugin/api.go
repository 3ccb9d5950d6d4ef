package plugin

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
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/internal/wire"
)

// maxAPIBody bounds the JSON answers of the hub's API that the SDK reads.
const maxAPIBody = 4 << 20

// apiClient calls the hub's /v2 REST API (plugin-protocol section 5). It
// is safe for concurrent use.
type apiClient struct {
	host            *url.URL
	http            *http.Client
	apiTimeout      time.Duration
	transferTimeout time.Duration
	strictExport    bool
	maxExportSize   int64
}

func newAPIClient(cfg *config) *apiClient {
	return &apiClient{
		host:            cfg.host,
		http:            cfg.httpClient,
		apiTimeout:      cfg.apiTimeout,
		transferTimeout: cfg.transferTimeout,
		strictExport:    cfg.strictExport,
		maxExportSize:   cfg.maxExportSize,
	}
}

// withDefaultTimeout bounds ctx by d unless it already has a deadline.
func withDefaultTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, d)
}

func (c *apiClient) endpoint(path string, q url.Values) string {
	u := *c.host
	u.Path = strings.TrimRight(u.Path, "/") + path
	u.RawQuery = q.Encode()
	return u.String()
}

// onHub reports whether raw points at the hub itself, so the API key may
// be sent there (never to a storage provider's presigned URL).
func (c *apiClient) onHub(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Scheme == c.host.Scheme && u.Host == c.host.Host
}

// resolve makes a hub-relative URL absolute.
func (c *apiClient) resolve(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("parse URL %q: %w", redactURL(raw), err)
	}
	return c.host.ResolveReference(u).String(), nil
}

// getJSON calls GET path?q and decodes the envelope's data into out,
// tried again on 502, 503, 504 and broken connections (see
// retryIdempotent): the hub's GET calls change nothing.
func (c *apiClient) getJSON(ctx context.Context, apiKey, path string, q url.Values, out any) error {
	return retryIdempotent(ctx, func(ctx context.Context) error {
		return c.call(ctx, http.MethodGet, apiKey, path, q, nil, out)
	})
}

// postJSON calls POST path with body as JSON.
func (c *apiClient) postJSON(ctx context.Context, apiKey, path string, body any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encode %s body: %w", path, err)
	}
	return c.call(ctx, http.MethodPost, apiKey, path, nil, b, nil)
}

func (c *apiClient) call(ctx context.Context, method, apiKey, path string, q url.Values, body []byte, out any) error {
	ctx, cancel := withDefaultTimeout(ctx, c.apiTimeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.endpoint(path, q), rd)
	if err != nil {
		return fmt.Errorf("call %s: %w", path, err)
	}
	req.Header.Set(wire.HeaderAPIKey, apiKey)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("call %s: %w", path, redactErr(err))
	}
	defer resp.Body.Close()
	if err := decodeEnvelope(resp, out); err != nil {
		return fmt.Errorf("call %s: %w", path, err)
	}
	return nil
}

// decodeEnvelope reads a {"status","data"} answer into out, or returns the
// *APIError of a failure.
func decodeEnvelope(resp *http.Response, out any) error {
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAPIBody+1))
	if err != nil {
		return fmt.Errorf("read answer: %w", err)
	}
	if len(raw) > maxAPIBody {
		return fmt.Errorf("read answer: larger than %d bytes", maxAPIBody)
	}
	if resp.StatusCode >= 300 {
		return apiErrorFrom(resp.StatusCode, raw)
	}
	var env wire.Envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return fmt.Errorf("decode answer: %w", err)
	}
	if env.Failed() {
		return apiErrorFrom(resp.StatusCode, raw)
	}
	if out == nil {
		return nil
	}
	if err := env.DecodeData(out); errors.Is(err, wire.ErrNoData) {
		return fmt.Errorf("decode answer: %w", err)
	} else if err != nil {
		return err // "decode answer data: ..."
	}
	return nil
}

// apiErrorFrom builds the *APIError of a failed answer; a missing code is
// derived from the HTTP status so sentinels match Ango Hub's answers too.
func apiErrorFrom(status int, raw []byte) *APIError {
	var body wire.Envelope
	_ = json.Unmarshal(raw, &body) // a non-JSON error page keeps the status text
	e := &APIError{StatusCode: status, Code: body.Code, Message: body.Message}
	if e.Message == "" {
		e.Message = strings.ToLower(http.StatusText(status))
	}
	if e.Code == "" {
		switch status {
		case http.StatusUnauthorized:
			e.Code = CodeUnauthorized
		case http.StatusForbidden:
			e.Code = CodeForbidden
		case http.StatusNotFound:
			e.Code = CodeNotFound
		case http.StatusServiceUnavailable:
			e.Code = CodeUnavailable
		}
	}
	return e
}

// exportQuery builds the /v2/export query of a run: NDJSON, the run's stage
// and batch filters JSON-encoded, and the flags the Python SDK sends.
func exportQuery(w *runRequest) url.Values {
	q := url.Values{
		"project":                   {w.ProjectID},
		"format":                    {"ndjson"},
		"sendEmail":                 {"false"},
		"doNotNotify":               {"true"},
		"includeMetadata":           {"true"},
		"includeHistory":            {"true"},
		"includeSegmentationPoints": {"true"},
	}
	if s := w.StageQuery(); s != "" {
		q.Set("stage", s)
	}
	if len(w.Batches) > 0 {
		b, _ := json.Marshal(w.Batches) // a []string always encodes
		q.Set("batches", string(b))
	}
	return q
}

// openExport asks the hub for the run's export, downloads the zip into dir
// and returns a reader over its first entry; close releases it.
func (c *apiClient) openExport(ctx context.Context, w *runRequest, dir string) (r *aaf.Reader, closeFn func(), err error) {
	var data wire.ExportData
	if err := c.getJSON(ctx, w.APIKey, wire.PathExport, exportQuery(w), &data); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrExportFailed, err)
	}
	if data.ExportPath == "" {
		return nil, nil, fmt.Errorf("%w: the hub sent no exportPath", ErrExportFailed)
	}
	path, err := c.download(ctx, w.APIKey, data.ExportPath, dir)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrExportFailed, err)
	}
	r, closeFn, err = openExportZip(path, c.strictExport)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrExportFailed, err)
	}
	return r, closeFn, nil
}

// openExportZip opens the zip at path and streams its first entry.
func openExportZip(path string, strict bool) (*aaf.Reader, func(), error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open export zip: %w", err)
	}
	if len(zr.File) == 0 {
		_ = zr.Close() // nothing was read from it
		return nil, nil, errors.New("open export zip: the zip has no entry")
	}
	rc, err := zr.File[0].Open()
	if err != nil {
		_ = zr.Close() // nothing was read from it
		return nil, nil, fmt.Errorf("open export zip entry %q: %w", zr.File[0].Name, err)
	}
	r, closeFn := newExportReader(rc, func() {
		_ = rc.Close() // read-only: nothing to flush
		_ = zr.Close()
	}, strict)
	return r, closeFn, nil
}

// newExportReader returns the reader of a run's export, which decodes the
// assets on GOMAXPROCS goroutines, and the function that releases it: it
// stops those goroutines (a callback may leave the export unread), then
// calls closeSrc. The hub validated every asset on import, so the reader
// does not validate them again (aaf.WithoutValidation: syntax and types are
// still checked, and the callback may narrow what is decoded with
// aaf.WithFields) unless strict is set: then every asset is validated
// fully, errors located as usual.
func newExportReader(src io.Reader, closeSrc func(), strict bool) (*aaf.Reader, func()) {
	opts := []aaf.ReaderOption{aaf.WithWorkers(runtime.GOMAXPROCS(0))}
	if !strict {
		opts = append(opts, aaf.WithoutValidation())
	}
	r := aaf.NewReader(src, opts...)
	return r, func() {
		_ = r.Close() // always nil
		closeSrc()
	}
}

// download GETs raw (the export zip) into a new file of dir, bounded by
// maxExportSize, and returns its path. It is tried again on 502, 503, 504
// and broken connections (see retryIdempotent).
func (c *apiClient) download(ctx context.Context, apiKey, raw, dir string) (path string, err error) {
	ctx, cancel := withDefaultTimeout(ctx, c.transferTimeout)
	defer cancel()
	err = retryIdempotent(ctx, func(ctx context.Context) error {
		path, err = c.downloadOnce(ctx, apiKey, raw, dir)
		return err
	})
	return path, err
}

// downloadOnce is one try of download.
func (c *apiClient) downloadOnce(ctx context.Context, apiKey, raw, dir string) (string, error) {
	abs, err := c.resolve(raw)
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, abs, nil)
	if err != nil {
		return "", fmt.Errorf("download export: %w", err)
	}
	if c.onHub(abs) {
		req.Header.Set(wire.HeaderAPIKey, apiKey)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("download export: %w", redactErr(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096)) // only for the message
		return "", fmt.Errorf("download export: %w", apiErrorFrom(resp.StatusCode, body))
	}
	f, err := os.CreateTemp(dir, "export-*.zip")
	if err != nil {
		return "", fmt.Errorf("download export: %w", err)
	}
	n, err := io.Copy(f, io.LimitReader(resp.Body, c.maxExportSize+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("download export: %w", redactErr(err))
	}
	if n > c.maxExportSize {
		return "", fmt.Errorf("download export: larger than the limit of %d bytes", c.maxExportSize)
	}
	return f.Name(), nil
}

// upload sends the callback's file to the hub's storage and returns the
// signed GET URL of the uploaded object and its size
// (getUploadUrl -> PUT -> getSignedUrl).
func (c *apiClient) upload(ctx context.Context, w *runRequest, resp *Response, name, dir string) (string, int64, error) {
	body := resp.File
	size, known := readerSize(body)
	if !known {
		f, err := os.CreateTemp(dir, "upload-*")
		if err != nil {
			return "", 0, fmt.Errorf("%w: spool result: %w", ErrUploadFailed, err)
		}
		defer f.Close()
		if size, err = io.Copy(f, body); err != nil {
			return "", 0, fmt.Errorf("%w: read result: %w", ErrUploadFailed, err)
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return "", 0, fmt.Errorf("%w: spool result: %w", ErrUploadFailed, err)
		}
		body = f
	}
	q := url.Values{"name": {name}, "project": {w.ProjectID}, "type": {wire.UploadTypeExports}}
	if resp.StorageID != "" {
		q.Set("storageId", resp.StorageID)
	}
	if resp.Bucket != "" {
		q.Set("bucket", resp.Bucket)
	}
	var up wire.UploadURLData
	if err := c.getJSON(ctx, w.APIKey, wire.PathUploadURL, q, &up); err != nil {
		return "", 0, fmt.Errorf("%w: %w", ErrUploadFailed, err)
	}
	if up.UploadURL == "" {
		return "", 0, fmt.Errorf("%w: the hub sent no uploadUrl", ErrUploadFailed)
	}
	uploadURL, err := c.resolve(up.UploadURL)
	if err != nil {
		return "", 0, fmt.Errorf("%w: %w", ErrUploadFailed, err)
	}
	if err := c.put(ctx, w.APIKey, uploadURL, body, size); err != nil {
		return "", 0, fmt.Errorf("%w: %w", ErrUploadFailed, err)
	}
	q.Set("name", uploadURL)
	q.Del("bucket")
	var sg wire.SignedURLData
	if err := c.getJSON(ctx, w.APIKey, wire.PathSignedURL, q, &sg); err != nil {
		return "", 0, fmt.Errorf("%w: %w", ErrUploadFailed, err)
	}
	if sg.SignedURL == "" {
		return "", 0, fmt.Errorf("%w: the hub sent no signedUrl", ErrUploadFailed)
	}
	return sg.SignedURL, size, nil
}

// put streams size bytes of body to a presigned PUT URL.
func (c *apiClient) put(ctx context.Context, apiKey, target string, body io.Reader, size int64) error {
	ctx, cancel := withDefaultTimeout(ctx, c.transferTimeout)
	defer cancel()
	var rd io.Reader = http.NoBody
	if size > 0 {
		rd = io.NopCloser(io.LimitReader(body, size))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, target, rd)
	if err != nil {
		return fmt.Errorf("upload: %w", redactErr(err))
	}
	req.ContentLength = size
	// Azure refuses a PUT to a SAS URL that does not say the blob type;
	// S3, GCS and the hub ignore the header.
	req.Header.Set("x-ms-blob-type", "BlockBlob")
	if c.onHub(target) {
		req.Header.Set(wire.HeaderAPIKey, apiKey)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("upload: %w", redactErr(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096)) // only for the message
		return fmt.Errorf("upload: %w", apiErrorFrom(resp.StatusCode, msg))
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	return nil
}

// redactErr removes the query string (presigned signatures) from the URL
// of a *url.Error.
func redactErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s %s: %w", ue.Op, redactURL(ue.URL), ue.Err)
	}
	return err
}

// redactURL returns raw without its query, fragment and user info.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<invalid URL>"
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return u.String()
}

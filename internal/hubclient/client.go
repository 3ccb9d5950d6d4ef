// Package hubclient is the Go client of the hub's HTTP API, used by the
// exporthub command line. Every method takes ctx first; calls that are
// not streams get DefaultTimeout when ctx has no deadline. Error answers
// of the hub come back as *APIError, so callers use errors.Is with the
// ErrXxx sentinels or errors.As for the details.
package hubclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/exporthub/exporthub/hub/auth"
)

// DefaultHost is the hub the client talks to when none is given.
const DefaultHost = "http://127.0.0.1:7420"

// DefaultTimeout bounds a non-streaming call whose ctx has no deadline.
const DefaultTimeout = time.Minute

// APIError is an error answer of the hub: {"status":"fail","message",
// "code"} with its HTTP status.
type APIError struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Code is the hub's error code (not_found, invalid_aaf, ...).
	Code string
	// Message is the hub's message.
	Message string
	// Errors holds the detailed problems some answers carry (e.g. the
	// AAF errors of a rejected import), raw.
	Errors json.RawMessage
	// Truncated is true when Errors does not list every problem (a
	// rejected import with more problems than the hub lists).
	Truncated bool
}

// Error returns the hub's message.
func (e *APIError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("hub answered %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	}
	return e.Message
}

// Is reports whether target is an *APIError with the same Code, so
// errors.Is(err, ErrNotFound) works on any not-found answer.
func (e *APIError) Is(target error) bool {
	t, ok := target.(*APIError)
	return ok && t.Code != "" && t.Code == e.Code
}

// Sentinels for errors.Is on hub answers.
var (
	ErrUnauthorized = &APIError{Code: "unauthorized", Message: "hubclient: unauthorized"}
	ErrForbidden    = &APIError{Code: "forbidden", Message: "hubclient: forbidden"}
	ErrNotFound     = &APIError{Code: "not_found", Message: "hubclient: not found"}
	ErrConflict     = &APIError{Code: "conflict", Message: "hubclient: conflict"}
	ErrInvalidAAF   = &APIError{Code: "invalid_aaf", Message: "hubclient: invalid AAF"}
	ErrTooLarge     = &APIError{Code: "body_too_large", Message: "hubclient: request body too large"}
)

// Client calls one hub with one API key. Its fields may be set before the
// first call; it is safe for concurrent use afterwards.
type Client struct {
	// Host is the hub's base URL. Defaults to DefaultHost.
	Host string
	// APIKey is sent in the apikey header.
	APIKey string
	// HTTPClient sends the requests. Defaults to a client without an
	// overall timeout (streams may take long; see DefaultTimeout).
	HTTPClient *http.Client
}

// New returns a client for host (DefaultHost when empty) and apiKey.
func New(host, apiKey string) *Client {
	return &Client{Host: host, APIKey: apiKey}
}

func (c *Client) base() string {
	return NormalizeHost(c.Host)
}

// NormalizeHost returns the hub URL people mean by host: DefaultHost when
// empty, "http://" added when it has no scheme ("127.0.0.1:7420" or
// "hub.example.com"), without trailing slashes.
func NormalizeHost(host string) string {
	h := strings.TrimSpace(host)
	if h == "" {
		h = DefaultHost
	}
	if !strings.Contains(h, "://") {
		h = "http://" + h
	}
	return strings.TrimRight(h, "/")
}

func (c *Client) httpClient() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	return http.DefaultClient
}

// NewRequest returns a request for path (with its query) on the hub,
// carrying the API key.
func (c *Client) NewRequest(ctx context.Context, method, path string, body io.Reader) (*http.Request, error) {
	base := c.base()
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("hub URL %q is not an http:// or https:// URL such as %s (--host or EXPORTHUB_HOST)", c.Host, DefaultHost)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, body)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	if c.APIKey != "" {
		req.Header.Set(auth.HeaderAPIKey, c.APIKey)
	}
	return req, nil
}

// Do sends req and returns the response when its status is 2xx; any
// other answer is decoded into an *APIError (and the body closed). The
// caller closes the body of a successful response.
func (c *Client) Do(req *http.Request) (*http.Response, error) {
	resp, err := c.httpClient().Do(req)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return nil, fmt.Errorf("no hub answers at %s: start it with \"exporthub serve\", or point --host (EXPORTHUB_HOST) at it: %w", c.base(), err)
		}
		return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	return nil, decodeError(resp)
}

// decodeError reads an error answer.
func decodeError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20)) // a truncated body still gives the status
	e := &APIError{StatusCode: resp.StatusCode}
	var body struct {
		Message   string          `json:"message"`
		Code      string          `json:"code"`
		Errors    json.RawMessage `json:"errors"`
		Truncated bool            `json:"truncated"`
	}
	if json.Unmarshal(b, &body) == nil && (body.Message != "" || body.Code != "") {
		e.Message, e.Code, e.Errors, e.Truncated = body.Message, body.Code, body.Errors, body.Truncated
	} else {
		e.Message = strings.TrimSpace(string(b))
		if len(e.Message) > 200 {
			e.Message = e.Message[:200] + "…"
		}
		if e.Message == "" {
			e.Message = fmt.Sprintf("hub answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
		} else {
			e.Message = fmt.Sprintf("hub answered %d: %s", resp.StatusCode, e.Message)
		}
	}
	return e
}

// DoJSON sends in (nil for no body) as JSON to path and decodes the answer
// into out (nil to discard it). It applies DefaultTimeout when ctx has no
// deadline.
func (c *Client) DoJSON(ctx context.Context, method, path string, in, out any) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := c.NewRequest(ctx, method, path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body) // drain so the connection is reused
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode %s %s answer: %w", method, path, err)
	}
	return nil
}

// call sends in (nil for no body) to path with DoJSON and returns the
// answer decoded into a new T.
func call[T any](ctx context.Context, c *Client, method, path string, in any) (*T, error) {
	var out T
	if err := c.DoJSON(ctx, method, path, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// pathEscape escapes one path segment.
func pathEscape(s string) string { return url.PathEscape(s) }

// errNoProject is returned when a call needs a project id.
var errNoProject = errors.New("hubclient: project id is required")

func jsonDecode(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }

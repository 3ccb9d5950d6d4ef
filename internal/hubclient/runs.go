package hubclient

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/exporthub/exporthub/hub/auth"
	"github.com/exporthub/exporthub/hub/hubapi"
)

// errNoRun is returned when a call needs a run id.
var errNoRun = errors.New("hubclient: run id is required")

// errNoExport is returned when a call needs an export id.
var errNoExport = errors.New("hubclient: export id is required")

// StartRunParams is the input of StartRun.
type StartRunParams struct {
	ProjectID string
	PluginID  string
	// ConfigJSON is the Config JSON text; nil sends none (the plugin's
	// default is used).
	ConfigJSON *string
	// Stages filters assets by stage ids or names; nil for all.
	Stages []string
	// Batches filters assets by batch ids or names.
	Batches []string
	// Retries is how many times the hub dispatches the run again when
	// its plugin instance is lost mid-run (0 to runs.MaxRetries).
	Retries int
}

// StartRun runs a plugin on a project (a click on Run). The answer is the
// run, dispatched, or failed at once when no plugin instance is online.
func (c *Client) StartRun(ctx context.Context, p *StartRunParams) (*hubapi.RunResponse, error) {
	if p.ProjectID == "" {
		return nil, errNoProject
	}
	if p.PluginID == "" {
		return nil, errNoPlugin
	}
	req := &hubapi.RunCreateRequest{Stage: p.Stages, Batches: p.Batches, Retries: p.Retries}
	if p.ConfigJSON != nil {
		b, err := json.Marshal(*p.ConfigJSON)
		if err != nil {
			return nil, fmt.Errorf("encode config: %w", err)
		}
		req.ConfigJSON = b
	}
	path := "/api/projects/" + pathEscape(p.ProjectID) + "/plugins/" + pathEscape(p.PluginID) + "/runs"
	return call[hubapi.RunResponse](ctx, c, http.MethodPost, path, req)
}

// GetRun returns a run.
func (c *Client) GetRun(ctx context.Context, id string) (*hubapi.RunResponse, error) {
	if id == "" {
		return nil, errNoRun
	}
	return call[hubapi.RunResponse](ctx, c, http.MethodGet, "/api/runs/"+pathEscape(id), nil)
}

// ListRunsParams filters ListRuns.
type ListRunsParams struct {
	// ProjectID and PluginID keep the runs of one project or plugin.
	ProjectID string
	PluginID  string
	// Limit bounds the list (the hub's default is 100).
	Limit int
}

// ListRuns lists the organization's runs, newest first.
func (c *Client) ListRuns(ctx context.Context, p *ListRunsParams) ([]*hubapi.RunResponse, error) {
	q := url.Values{}
	if p.ProjectID != "" {
		q.Set("project", p.ProjectID)
	}
	if p.PluginID != "" {
		q.Set("plugin", p.PluginID)
	}
	if p.Limit > 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	path := "/api/runs"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	out, err := call[hubapi.RunListResponse](ctx, c, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	return out.Runs, nil
}

// CancelRun cancels an active run; ErrConflict when it already ended.
func (c *Client) CancelRun(ctx context.Context, id string) (*hubapi.RunResponse, error) {
	if id == "" {
		return nil, errNoRun
	}
	return call[hubapi.RunResponse](ctx, c, http.MethodPost, "/api/runs/"+pathEscape(id)+"/cancel", nil)
}

// RunLogs returns the stored log lines of a run after seq after, and the
// run's status when they were read.
func (c *Client) RunLogs(ctx context.Context, id string, after int64) (*hubapi.RunLogsResponse, error) {
	if id == "" {
		return nil, errNoRun
	}
	path := "/api/runs/" + pathEscape(id) + "/logs?after=" + strconv.FormatInt(after, 10)
	return call[hubapi.RunLogsResponse](ctx, c, http.MethodGet, path, nil)
}

// Defaults of FollowOptions.
const (
	// DefaultFollowGiveUp is how long FollowRunLogs keeps reconnecting
	// without reaching the hub: longer than a graceful restart (the hub
	// waits up to 32 s for active runs, then starts again).
	DefaultFollowGiveUp = 3 * time.Minute
	// DefaultFollowBackoff is the first wait before reconnecting; it
	// doubles up to DefaultFollowMaxBackoff.
	DefaultFollowBackoff = 500 * time.Millisecond
	// DefaultFollowMaxBackoff bounds the wait between reconnections.
	DefaultFollowMaxBackoff = 5 * time.Second
)

// FollowOptions tunes FollowRunLogsWith. The zero value means defaults.
type FollowOptions struct {
	// GiveUpAfter is how long to keep reconnecting while the hub cannot
	// be reached (or answers 5xx); the time resets whenever a stream
	// delivers a line. Defaults to DefaultFollowGiveUp.
	GiveUpAfter time.Duration
	// Backoff is the first wait before reconnecting; it doubles with each
	// failure up to MaxBackoff. Defaults to DefaultFollowBackoff.
	Backoff time.Duration
	// MaxBackoff bounds the wait. Defaults to DefaultFollowMaxBackoff.
	MaxBackoff time.Duration
	// OnReconnect, when set, is called before each wait with the error
	// that broke the stream and the wait, so a caller can say that it is
	// reconnecting.
	OnReconnect func(err error, wait time.Duration)
}

// FollowRunLogs is FollowRunLogsWith with the default options.
func (c *Client) FollowRunLogs(ctx context.Context, id string, after int64, onLine func(*hubapi.RunLogLine) error) (*hubapi.RunEndEvent, error) {
	return c.FollowRunLogsWith(ctx, id, after, onLine, nil)
}

// FollowRunLogsWith streams a run's log lines after seq after to onLine,
// live, and returns the run's end once it ended. A broken stream, an
// unreachable hub or a 5xx answer (a hub restarting) is retried with
// exponential back-off and resumed where it stopped (Last-Event-ID), for
// as long as o.GiveUpAfter; other API errors end it at once. It returns
// early with ctx's error or onLine's.
func (c *Client) FollowRunLogsWith(ctx context.Context, id string, after int64, onLine func(*hubapi.RunLogLine) error, o *FollowOptions) (*hubapi.RunEndEvent, error) {
	if id == "" {
		return nil, errNoRun
	}
	var opts FollowOptions
	if o != nil {
		opts = *o
	}
	opts.GiveUpAfter = cmp.Or(opts.GiveUpAfter, DefaultFollowGiveUp)
	opts.Backoff = cmp.Or(opts.Backoff, DefaultFollowBackoff)
	opts.MaxBackoff = cmp.Or(opts.MaxBackoff, DefaultFollowMaxBackoff)
	wait := opts.Backoff
	var brokeAt time.Time // when the hub stopped answering; zero while it does
	for {
		end, last, err := c.followOnce(ctx, id, after, onLine)
		if end != nil {
			return end, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var ae *APIError
		var le *lineError
		if errors.As(err, &le) || (errors.As(err, &ae) && ae.StatusCode < 500) {
			return nil, err
		}
		if last > after {
			after, wait, brokeAt = last, opts.Backoff, time.Time{}
		}
		if brokeAt.IsZero() {
			brokeAt = time.Now()
		} else if time.Since(brokeAt) > opts.GiveUpAfter {
			return nil, fmt.Errorf("follow run %s logs: no answer from the hub for %s: %w", id, opts.GiveUpAfter, err)
		}
		if opts.OnReconnect != nil {
			opts.OnReconnect(err, wait)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, opts.MaxBackoff)
	}
}

// lineError wraps an error returned by the caller's onLine.
type lineError struct{ err error }

// Error returns the callback's message.
func (e *lineError) Error() string { return e.err.Error() }

// Unwrap returns the callback's error.
func (e *lineError) Unwrap() error { return e.err }

// followOnce reads one connection of the log stream. It returns the end
// event if it came, and the last seq seen.
func (c *Client) followOnce(ctx context.Context, id string, after int64, onLine func(*hubapi.RunLogLine) error) (*hubapi.RunEndEvent, int64, error) {
	req, err := c.NewRequest(ctx, http.MethodGet, "/api/runs/"+pathEscape(id)+"/logs/stream", nil)
	if err != nil {
		return nil, after, err
	}
	req.Header.Set("Accept", "text/event-stream")
	if after > 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(after, 10))
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, after, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var event, data string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			data = line[len("data: "):]
		case line == "":
			switch event {
			case "log":
				var l hubapi.RunLogLine
				if err := json.Unmarshal([]byte(data), &l); err != nil {
					return nil, after, fmt.Errorf("decode log event: %w", err)
				}
				if err := onLine(&l); err != nil {
					return nil, after, &lineError{err}
				}
				after = l.Seq
			case "end":
				var end hubapi.RunEndEvent
				if err := json.Unmarshal([]byte(data), &end); err != nil {
					return nil, after, fmt.Errorf("decode end event: %w", err)
				}
				return &end, after, nil
			}
			event, data = "", ""
		}
	}
	if err := sc.Err(); err != nil {
		return nil, after, fmt.Errorf("read log stream: %w", err)
	}
	return nil, after, io.ErrUnexpectedEOF
}

// GetExport returns an export file's record.
func (c *Client) GetExport(ctx context.Context, id string) (*hubapi.ExportResponse, error) {
	if id == "" {
		return nil, errNoExport
	}
	return call[hubapi.ExportResponse](ctx, c, http.MethodGet, "/api/exports/"+pathEscape(id), nil)
}

// ListExports lists a project's export files, newest first.
func (c *Client) ListExports(ctx context.Context, projectID string) ([]*hubapi.ExportResponse, error) {
	if projectID == "" {
		return nil, errNoProject
	}
	out, err := call[hubapi.ExportListResponse](ctx, c, http.MethodGet, "/api/projects/"+pathEscape(projectID)+"/exports", nil)
	if err != nil {
		return nil, err
	}
	return out.Exports, nil
}

// DownloadExport writes an export file to w and returns its size. It
// follows the hub's redirect to a presigned URL without sending the API
// key there. There is no default timeout: bound it with ctx.
func (c *Client) DownloadExport(ctx context.Context, id string, w io.Writer) (int64, error) {
	if id == "" {
		return 0, errNoExport
	}
	req, err := c.NewRequest(ctx, http.MethodGet, "/api/exports/"+pathEscape(id)+"/download", nil)
	if err != nil {
		return 0, err
	}
	hc := *c.httpClient()
	hc.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		// A presigned URL carries its own authorization; the API key
		// stays with the hub.
		r.Header.Del(auth.HeaderAPIKey)
		r.Header.Del("Authorization")
		return nil
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("download export %s: %w", id, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, decodeError(resp)
	}
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		return n, fmt.Errorf("download export %s: %w", id, err)
	}
	return n, nil
}

// ListNotifications returns the caller's notifications, newest first, and
// the unread count.
func (c *Client) ListNotifications(ctx context.Context, limit int) (*hubapi.NotificationListResponse, error) {
	path := "/api/notifications"
	if limit > 0 {
		path += "?limit=" + strconv.Itoa(limit)
	}
	return call[hubapi.NotificationListResponse](ctx, c, http.MethodGet, path, nil)
}

// MarkNotificationsRead marks notifications read (all when ids is empty)
// and returns the unread count.
func (c *Client) MarkNotificationsRead(ctx context.Context, ids []string) (int, error) {
	out, err := call[hubapi.UnreadCountResponse](ctx, c, http.MethodPost, "/api/notifications/read", &hubapi.MarkReadRequest{IDs: ids})
	if err != nil {
		return 0, err
	}
	return out.Unread, nil
}

// SetWebhook sets the organization's webhook URL (admins); the answer
// holds the signing secret when it was just made.
func (c *Client) SetWebhook(ctx context.Context, req *hubapi.WebhookRequest) (*hubapi.WebhookResponse, error) {
	return call[hubapi.WebhookResponse](ctx, c, http.MethodPut, "/api/org/webhook", req)
}

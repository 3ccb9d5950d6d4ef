package runs

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/exporthub/exporthub/hub/store"

	"github.com/exporthub/exporthub/internal/egress"
)

// Webhook request headers.
const (
	// HeaderWebhookSignature carries "sha256=" and the hex HMAC-SHA256 of
	// the body under the organization's webhook secret.
	HeaderWebhookSignature = "X-Exporthub-Signature"
	// HeaderWebhookEvent carries the event name.
	HeaderWebhookEvent = "X-Exporthub-Event"
	// HeaderWebhookDelivery carries the delivery id (the same on retries).
	HeaderWebhookDelivery = "X-Exporthub-Delivery"
)

// EventRunEnded is the webhook event sent when a run ends.
const EventRunEnded = "run.ended"

// webhookQueueSize bounds the deliveries waiting to be sent; beyond it
// new ones are dropped (and logged), so the run path never blocks.
const webhookQueueSize = 1024

// webhookWorkers is how many deliveries are sent at once.
const webhookWorkers = 2

// WebhookEvent is the JSON body of a webhook request.
type WebhookEvent struct {
	// ID identifies the delivery; retries repeat it.
	ID    string     `json:"id"`
	Event string     `json:"event"`
	Time  time.Time  `json:"time"`
	Run   WebhookRun `json:"run"`
	// Export is set when the run succeeded.
	Export *WebhookExport `json:"export,omitempty"`
}

// WebhookRun describes the run of a webhook event.
type WebhookRun struct {
	ID         string     `json:"id"`
	OrgID      string     `json:"orgId"`
	ProjectID  string     `json:"projectId"`
	PluginID   string     `json:"pluginId"`
	PluginName string     `json:"pluginName"`
	UserID     string     `json:"userId"`
	Status     string     `json:"status"`
	Message    string     `json:"message"`
	CreatedAt  time.Time  `json:"createdAt"`
	EndedAt    *time.Time `json:"endedAt,omitempty"`
	URL        string     `json:"url"`
}

// WebhookExport describes the export of a webhook event.
type WebhookExport struct {
	ID       string `json:"id"`
	FileName string `json:"fileName"`
	Size     int64  `json:"size"`
	SHA256   string `json:"sha256"`
	// DownloadURL needs the caller's API key; it is not a presigned URL.
	DownloadURL string `json:"downloadUrl"`
}

// WebhookSignature returns the value of HeaderWebhookSignature for body:
// "sha256=" and the hex HMAC-SHA256 of body under secret.
func WebhookSignature(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// delivery is one webhook request to send.
type delivery struct {
	orgID string
	id    string
	body  []byte
}

// webhooks sends organization webhooks in the background.
type webhooks struct {
	m        *Manager
	queue    chan *delivery
	inFlight atomic.Int64
	wg       sync.WaitGroup
	once     sync.Once
}

func newWebhooks(m *Manager) *webhooks {
	return &webhooks{m: m, queue: make(chan *delivery, webhookQueueSize)}
}

// start starts the senders.
func (w *webhooks) start() {
	w.once.Do(func() {
		for range webhookWorkers {
			w.wg.Add(1)
			go func() {
				defer w.wg.Done()
				w.work()
			}()
		}
	})
}

// wait waits for the senders to stop (after the Manager's ctx is done).
func (w *webhooks) wait() { w.wg.Wait() }

// drain waits until every queued delivery was sent or ctx is done.
func (w *webhooks) drain(ctx context.Context) {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for len(w.queue) > 0 || w.inFlight.Load() > 0 {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// enqueue queues the run.ended event of a run; it never blocks.
func (w *webhooks) enqueue(run *store.Run, pluginName string, exp *store.Export) {
	ev := &WebhookEvent{
		ID:    store.NewID(),
		Event: EventRunEnded,
		Time:  time.Now().UTC(),
		Run: WebhookRun{
			ID: run.ID, OrgID: run.OrgID, ProjectID: run.ProjectID, PluginID: run.PluginID,
			PluginName: pluginName, UserID: run.UserID, Status: string(run.Status), Message: run.Message,
			CreatedAt: run.CreatedAt, EndedAt: run.EndedAt, URL: w.m.cfg.PublicURL + RunPath(run.ID),
		},
	}
	if exp != nil {
		ev.Export = &WebhookExport{
			ID: exp.ID, FileName: exp.FileName, Size: exp.Size, SHA256: exp.SHA256,
			DownloadURL: w.m.cfg.PublicURL + ExportDownloadPath(exp.ID),
		}
	}
	body, err := json.Marshal(ev)
	if err != nil {
		w.m.log.Error("encode webhook event", slog.String(logKeyRun, run.ID), slog.Any(logKeyError, err))
		return
	}
	select {
	case w.queue <- &delivery{orgID: run.OrgID, id: ev.ID, body: body}:
	default:
		w.m.log.Warn("webhook queue full: event dropped", slog.String(logKeyRun, run.ID))
	}
}

// work sends deliveries until the Manager's ctx is done.
func (w *webhooks) work() {
	ctx := w.m.ctx
	for {
		select {
		case <-ctx.Done():
			return
		case d := <-w.queue:
			w.inFlight.Add(1)
			w.deliver(ctx, d)
			w.inFlight.Add(-1)
		}
	}
}

// deliver sends one delivery to its organization's webhook, retrying
// with backoff. Failures are logged: webhooks are best effort.
func (w *webhooks) deliver(ctx context.Context, d *delivery) {
	org, err := w.m.st.OrgGet(ctx, d.orgID)
	if err != nil {
		w.m.log.WarnContext(ctx, "webhook: get organization", slog.String("org_id", d.orgID), slog.Any(logKeyError, err))
		return
	}
	if org.WebhookURL == "" {
		return
	}
	secret, err := w.m.cfg.Box.Open(org.WebhookSecretEnc)
	if err != nil {
		w.m.log.WarnContext(ctx, "webhook: decrypt secret; not sending", slog.String("org_id", d.orgID), slog.Any(logKeyError, err))
		return
	}
	wait := w.m.cfg.WebhookBackoff
	for attempt := 1; ; attempt++ {
		err := w.post(ctx, org.WebhookURL, secret, d)
		if err == nil {
			return
		}
		if errors.Is(err, egress.ErrRefused) {
			w.m.log.WarnContext(ctx, "webhook refused by policy; not retrying", slog.String("org_id", d.orgID), slog.Any(logKeyError, err))
			return
		}
		if attempt >= w.m.cfg.WebhookAttempts {
			w.m.log.WarnContext(ctx, "webhook failed; giving up", slog.String("org_id", d.orgID), slog.Int("attempts", attempt), slog.Any(logKeyError, err))
			return
		}
		w.m.log.InfoContext(ctx, "webhook failed; retrying", slog.String("org_id", d.orgID), slog.Int("attempt", attempt), slog.Duration("wait", wait), slog.Any(logKeyError, err))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait *= 2
	}
}

// post sends one webhook request; a non-2xx answer is an error.
func (w *webhooks) post(ctx context.Context, url string, secret []byte, d *delivery) error {
	ctx, cancel := context.WithTimeout(ctx, w.m.cfg.WebhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(d.body))
	if err != nil {
		return fmt.Errorf("build webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "exporthub-webhook")
	req.Header.Set(HeaderWebhookEvent, EventRunEnded)
	req.Header.Set(HeaderWebhookDelivery, d.id)
	req.Header.Set(HeaderWebhookSignature, WebhookSignature(secret, d.body))
	resp, err := w.m.cfg.WebhookClient.Do(req)
	if err != nil {
		return fmt.Errorf("send webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered HTTP %d", resp.StatusCode)
	}
	return nil
}

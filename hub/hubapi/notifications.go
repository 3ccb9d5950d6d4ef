package hubapi

import "time"

// NotificationResponse is a notification on the wire.
type NotificationResponse struct {
	ID string `json:"id"`
	// Kind is "export_ready" or "run_failed".
	Kind  string `json:"kind"`
	Title string `json:"title"`
	Body  string `json:"body"`
	// Link is the hub path the notification points to (the download, or
	// the run).
	Link      string     `json:"link"`
	RunID     string     `json:"runId,omitempty"`
	ExportID  string     `json:"exportId,omitempty"`
	Read      bool       `json:"read"`
	ReadAt    *time.Time `json:"readAt,omitempty"`
	CreatedAt time.Time  `json:"createdAt"`
}

// NotificationListResponse is the body of GET /api/notifications.
type NotificationListResponse struct {
	Notifications []*NotificationResponse `json:"notifications"`
	Unread        int                     `json:"unread"`
}

// UnreadCountResponse is the body of GET /api/notifications/unread-count
// and POST /api/notifications/read, and the data of the stream's
// `unread` event.
type UnreadCountResponse struct {
	Unread int `json:"unread"`
}

// MarkReadRequest is the body of POST /api/notifications/read.
type MarkReadRequest struct {
	// IDs lists the notifications to mark read; empty marks all.
	IDs []string `json:"ids"`
}

// WebhookRequest is the body of PUT /api/org/webhook.
type WebhookRequest struct {
	// URL receives a POST (a runs.WebhookEvent) when a run ends.
	URL string `json:"url"`
	// RotateSecret makes a new signing secret even if one exists.
	RotateSecret bool `json:"rotateSecret"`
}

// WebhookResponse describes the organization's webhook.
type WebhookResponse struct {
	URL string `json:"url"`
	// Secret signs the webhook bodies (HMAC-SHA256, hex, in the
	// X-Exporthub-Signature header as "sha256=<hex>"). It is shown only
	// when it was just created or rotated.
	Secret string `json:"secret,omitempty"`
	// HasSecret says whether a signing secret exists.
	HasSecret bool `json:"hasSecret"`
	// SignatureHeader names the signature header.
	SignatureHeader string `json:"signatureHeader"`
}

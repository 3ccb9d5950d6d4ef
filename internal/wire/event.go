package wire

// Socket.IO endpoint of the WS connector (plugin-protocol.md section 2).
const (
	// Namespace is the Socket.IO namespace plugins connect to.
	Namespace = "/plugin"
	// SocketIOPath is the HTTP path of the Socket.IO endpoint.
	SocketIOPath = "/socket.io/"
)

// Event names of the WS connector.
const (
	// EventHeartbeat (plugin to hub) authenticates an instance: a
	// [Heartbeat] right after the namespace connects, then every 60 s (the
	// Python SDK's interval).
	EventHeartbeat = "heartbeat"
	// EventLog (plugin to hub) carries one [Log] line of a run.
	EventLog = "log"
	// EventResponse (plugin to hub) carries the [Response] of a run.
	EventResponse = "response"
	// EventPlugin (hub to plugin) carries a [RunRequest].
	EventPlugin = "plugin"
	// EventCancel (hub to plugin, ours) carries a [Cancel]: the run was
	// cancelled or timed out on the hub. Old clients ignore it.
	EventCancel = "cancel"
	// EventError (hub to plugin, ours) carries an [Error] right before the
	// hub disconnects the socket: why it was rejected.
	EventError = "error"
)

// Heartbeat is the payload of EventHeartbeat: the plugin's credentials.
// It is the only authentication of a Socket.IO connection.
type Heartbeat struct {
	// ID is the plugin id.
	ID string `json:"id"`
	// Secret is the plugin secret.
	Secret string `json:"secret"`
}

// Valid reports whether both the id and the secret are set.
func (h Heartbeat) Valid() bool { return h.ID != "" && h.Secret != "" }

// fromObject reads a heartbeat leniently: a value that is not a string is
// taken as its JSON text (and then fails authentication).
func (h *Heartbeat) fromObject(m map[string]any) error {
	*h = Heartbeat{ID: stringOf(m["id"]), Secret: stringOf(m["secret"])}
	return nil
}

// UnmarshalJSON reads a heartbeat; it fails when b is not a JSON object.
func (h *Heartbeat) UnmarshalJSON(b []byte) error {
	return unmarshalObject(b, "heartbeat", h.fromObject)
}

// Cancel is the payload of EventCancel and the body of the REST
// connector's POST {base}/cancel (ours): the run to cancel.
type Cancel struct {
	// Session is the run's session.
	Session string `json:"session"`
}

// Error is the payload of EventError (ours): why the hub rejects the
// socket it is about to disconnect.
type Error struct {
	// Message says why, e.g. "invalid plugin id or secret".
	Message string `json:"message"`
	// Code is a machine-readable reason; empty means a rejected
	// heartbeat.
	Code string `json:"code,omitempty"`
}

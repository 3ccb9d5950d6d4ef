package hubapi

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/exporthub/exporthub/hub/hubtype"
)

// Duration is a duration on the wire: a Go duration string ("1h30m") or
// a number of seconds. It is written as a string.
type Duration time.Duration

// UnmarshalJSON reads "1h30m" or 5400.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		v, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("duration %q: want e.g. \"30m\" or \"2h\"", s)
		}
		*d = Duration(v)
		return nil
	}
	var secs float64
	if err := json.Unmarshal(b, &secs); err != nil {
		return fmt.Errorf("duration: want a string such as \"30m\" or a number of seconds")
	}
	*d = Duration(time.Duration(secs * float64(time.Second)))
	return nil
}

// MarshalJSON writes the duration as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// ConfigText is a Config JSON on the wire: a string holding JSON text, or
// a JSON value (kept as its text).
type ConfigText string

// UnmarshalJSON accepts "{\"a\":1}" or {"a":1}.
func (c *ConfigText) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*c = ConfigText(s)
		return nil
	}
	*c = ConfigText(b)
	return nil
}

// PluginCreateRequest is the body of POST /api/plugins.
type PluginCreateRequest struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// DefaultConfig is the Config JSON the Run dialog starts with.
	// Defaults to "{}".
	DefaultConfig ConfigText `json:"defaultConfig"`
	// RunTimeout bounds each run. Defaults to the hub's default run
	// timeout (1h).
	RunTimeout Duration `json:"runTimeout"`
	// Connector is "ws" (Socket.IO, the default) or "rest".
	Connector string `json:"connector"`
	// BaseURL is the plugin's URL for the rest connector.
	BaseURL string `json:"baseUrl"`
}

// PluginUpdateRequest is the body of PATCH /api/plugins/{id}; absent
// fields stay as they are.
type PluginUpdateRequest struct {
	Name          *string     `json:"name"`
	Description   *string     `json:"description"`
	DefaultConfig *ConfigText `json:"defaultConfig"`
	RunTimeout    *Duration   `json:"runTimeout"`
	Connector     *string     `json:"connector"`
	BaseURL       *string     `json:"baseUrl"`
}

// PluginResponse is a plugin on the wire (never its secret).
type PluginResponse struct {
	ID            string   `json:"id"`
	OwnerID       string   `json:"ownerId"`
	Name          string   `json:"name"`
	Description   string   `json:"description"`
	DefaultConfig string   `json:"defaultConfig"`
	RunTimeout    Duration `json:"runTimeout"`
	Connector     string   `json:"connector"`
	BaseURL       string   `json:"baseUrl,omitempty"`
	// SecretRevealed says whether the current secret was shown already
	// (it can then only be rotated).
	SecretRevealed bool `json:"secretRevealed"`
	// Online is true when at least one instance is connected.
	Online bool `json:"online"`
	// Instances lists the connected instances.
	Instances []InstanceResponse `json:"instances"`
	CreatedAt time.Time          `json:"createdAt"`
	UpdatedAt time.Time          `json:"updatedAt"`
}

// PluginSecretResponse is the answer of POST /api/plugins (201), and of
// rotate-secret and reveal-secret: the plugin with its secret, shown this
// once.
type PluginSecretResponse struct {
	*PluginResponse
	Secret string `json:"secret"`
}

// PluginListResponse is the body of GET /api/plugins and GET
// /api/projects/{pid}/plugins.
type PluginListResponse struct {
	Plugins []*PluginResponse `json:"plugins"`
}

// InstanceResponse is a connected plugin instance on the wire.
type InstanceResponse struct {
	// ID names the instance: the Socket.IO socket id, or "rest:<plugin id>"
	// for the REST connector.
	ID       string `json:"id"`
	PluginID string `json:"pluginId"`
	OrgID    string `json:"orgId"`
	// Connector is "ws" or "rest".
	Connector hubtype.Connector `json:"connector"`
	// RemoteAddr is the socket's remote address, or the REST base URL.
	RemoteAddr    string    `json:"remoteAddr"`
	ConnectedAt   time.Time `json:"connectedAt"`
	LastHeartbeat time.Time `json:"lastHeartbeat"`
	// Runs is how many runs the instance holds now.
	Runs int `json:"runs"`
	// Node names the hub replica the instance is connected to.
	Node string `json:"node,omitempty"`
}

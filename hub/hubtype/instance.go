package hubtype

import "time"

// InstanceInfo describes one connected instance of a plugin.
type InstanceInfo struct {
	// ID names the instance: the Socket.IO socket id, or "rest:<plugin id>"
	// for the REST connector.
	ID        string    `json:"id"`
	PluginID  string    `json:"pluginId"`
	OrgID     string    `json:"orgId"`
	Connector Connector `json:"connector"`
	// RemoteAddr is the socket's remote address, or the REST base URL.
	RemoteAddr    string    `json:"remoteAddr"`
	ConnectedAt   time.Time `json:"connectedAt"`
	LastHeartbeat time.Time `json:"lastHeartbeat"`
	// Runs is how many runs the instance holds now.
	Runs int `json:"runs"`
	// Node names the hub replica the instance is connected to; empty for
	// an instance of this process that the run dispatcher did not list.
	Node string `json:"node,omitempty"`
}

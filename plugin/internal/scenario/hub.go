// Package scenario is the Go SDK's behaviour suite: scenarios a plugin
// author relies on (connect and authenticate, run an export and upload
// its zip, log lines with levels, error responses, cancellation, run
// timeouts, concurrency, reconnection, a bad secret, a large export, the
// REST connector), each written once against a small [Hub] interface.
//
// [Run] is called by two tests: package plugin's against plugintest.Hub
// (the in-process stand-in) and plugin/e2e's against the real hub on
// SQLite. A scenario that passes against the stand-in but fails against
// the hub means the stand-in drifted; extend this suite, not either
// test, when the SDK or the protocol changes.
//
// The package is internal to plugin: it imports no hub package (the SDK's
// dependency fence checks it) and is not part of the SDK's API.
package scenario

import (
	_ "embed"
	"net"
	"testing"
	"time"
)

// Sample is the AAF export (NDJSON) of the project every run exports:
// SampleAssets images, the first with 6 tools.
//
//go:embed testdata/sample.ndjson
var Sample []byte

// SampleAssets is the number of assets in Sample.
const SampleAssets = 3

// Hub is the hub under test as a plugin and its operator see it. Each
// scenario gets a new one; its methods fail the test on error.
type Hub interface {
	// URL returns the base URL plugins connect to.
	URL() string
	// NewPlugin registers a plugin allowed to export the sample project.
	NewPlugin(t *testing.T, p PluginParams) *Plugin
	// WaitConnected waits until n instances of p are connected (a REST
	// plugin: until the hub sees it answer heartbeats).
	WaitConnected(t *testing.T, p *Plugin, n int)
	// StartRun starts an export of the sample project by p and returns
	// the run's id, which is also the session the plugin sees.
	StartRun(t *testing.T, p *Plugin, r RunParams) string
	// Cancel cancels a running run of p.
	Cancel(t *testing.T, p *Plugin, run string)
	// WaitEnd waits for the run to end and returns how it ended.
	WaitEnd(t *testing.T, run string) *Outcome
	// Stop stops the hub, closing every plugin connection, as a crash
	// would.
	Stop(t *testing.T)
	// Start brings a stopped hub back on the same address with the same
	// plugins.
	Start(t *testing.T)
}

// PluginParams describes a plugin to register.
type PluginParams struct {
	// REST registers a REST plugin: the hub POSTs runs to it at
	// Plugin.Listener. Defaults to a Socket.IO plugin.
	REST bool
	// RunTimeout is how long the hub lets one run take. Defaults to the
	// hub's own default.
	RunTimeout time.Duration
}

// Plugin is a registered plugin.
type Plugin struct {
	// ID and Secret are its credentials.
	ID, Secret string
	// Listener is where a REST plugin must serve (nil for Socket.IO).
	Listener net.Listener
}

// RunParams describes a run to start.
type RunParams struct {
	// ConfigJSON is the plugin config of the run. Defaults to none.
	ConfigJSON string
}

// Status is how a run ended, in the hub's words.
type Status string

// The statuses of an ended run.
const (
	StatusSucceeded Status = "succeeded"
	StatusFailed    Status = "failed"
	StatusCancelled Status = "cancelled"
	StatusTimedOut  Status = "timed_out"
)

// Outcome is an ended run as the hub recorded it.
type Outcome struct {
	// Status is how the run ended.
	Status Status
	// Message is the hub's message for a run that did not succeed (may be
	// empty).
	Message string
	// File is the export the plugin uploaded (nil when it uploaded none).
	File []byte
	// Logs are the run's log lines as the hub stored them, in order.
	Logs []Log
}

// Log is one log line of a run.
type Log struct {
	// Level is DEBUG, INFO, WARNING or ERROR.
	Level string
	// Msg is the message.
	Msg string
	// Extra holds the line's other keys, decoded as encoding/json does.
	Extra map[string]any
}

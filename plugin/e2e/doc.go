// Package e2e holds the Go SDK's end-to-end tests against the real hub
// started in process (package hub on SQLite): Socket.IO and REST
// connectors, reconnection across a hub restart, concurrency, cancellation
// and run timeouts. It has no code of its own; it lives apart from package
// plugin so that the SDK's tests never import the hub.
package e2e

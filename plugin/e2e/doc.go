// Package e2e runs the Go SDK against the real hub started in process
// (package hub on SQLite): the SDK's scenario suite (Socket.IO and REST
// connectors, logs, errors, cancellation, run timeouts, concurrency,
// reconnection across a hub restart, a bad secret, a large export) and
// what only the real hub does (batch filters). It has no code of its own;
// it lives apart from package plugin so that the SDK's tests never import
// the hub.
package e2e

// Package plugintest helps test export plugins written with package plugin.
//
// [NewHub] starts an in-process stand-in for a hub: a real Socket.IO server
// (namespace /plugin, the same library the hub uses) and the /v2 endpoints
// a plugin calls during a run (export download, upload URLs, signed URLs,
// the project with its category schema, REST logs and responses). It records heartbeats, logs and responses, can
// dispatch runs to connected plugins or POST them to a REST plugin, and can
// be restarted on the same address to test reconnection. It is a test
// double of the hub's plugin-facing surface, not the hub.
//
// [RunFile] runs a plugin handler on a local AAF file with no hub and
// returns the entries of the zip it produced.
//
// Everything here takes a testing.TB, calls t.Helper and cleans up with
// t.Cleanup; production code must not import this package.
package plugintest

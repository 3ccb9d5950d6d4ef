// Package gateway connects export plugin processes to the hub. It speaks
// the Ango-compatible plugin protocol (plugin-protocol.md, sections 2 to 4):
//
//   - the Socket.IO endpoint (protocol v5, namespace /plugin) that plugins
//     written with the imerit-ango Python SDK or our Go SDK connect to;
//   - the REST connector, which polls a plugin's own HTTP server for
//     heartbeats and posts runs to it;
//   - the registry of connected instances that runs are dispatched to.
//
// A socket becomes an instance of a plugin on its first valid `heartbeat`;
// until then it is anonymous, gets no work, and is closed when no valid
// heartbeat arrives within Config.AnonymousTimeout. Several instances of
// one plugin may be connected; each run goes to exactly one of them:
// Dispatch picks the least busy, ties broken round robin, and Send hands
// a run to an instance the caller chose (the run dispatcher picks among
// the instances of every hub replica).
//
// The gateway knows only the instances connected to its own process and
// nothing about run states: it reports what instances send (logs,
// responses) and what happens to them (connects, heartbeats, disconnects,
// refused dispatches) to the [Events] it was given, which the run
// dispatcher implements.
package gateway

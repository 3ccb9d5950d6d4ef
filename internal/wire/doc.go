// Package wire declares the Ango-compatible plugin protocol once: the
// Socket.IO event names and payloads, the run request, the paths and
// headers of the REST connector and of the /v2 calls a plugin makes, and
// the /v2 answer envelope (plugin-protocol.md, sections 2 to 5).
//
// The hub's gateway, the Go SDK (package plugin) and the fake hub of
// plugin/plugintest all encode and decode these types, so the three cannot
// drift apart. The package depends on the standard library only: the SDK's
// dependency fence allows it.
//
// # Bytes on the wire
//
// Encoding is exact: the JSON of each payload is what the Python
// imerit-ango SDK and Ango Hub send (key names, null versus empty list,
// the Config JSON as a string), checked against the golden files of
// package wiretest, which both sides test against.
//
// Decoding is tolerant, as the protocol asks of both peers: unknown keys
// are ignored, flags may be any JSON truth value, a stage filter may be a
// string, and a log event keeps every key beyond the standard ones in
// [Log.Extra]. A value of the wrong shape for a field both sides rely on
// (a session that is not a string, a stage list of numbers) is an error
// that names the field.
//
// # Socket.IO arguments
//
// The Socket.IO libraries hand event listeners the payload already
// decoded as a map[string]any; [FromArgs] reads such an argument into a
// payload type. To send, pass the payload value itself to Emit: the
// libraries encode event data with encoding/json, which calls the types'
// MarshalJSON methods.
package wire

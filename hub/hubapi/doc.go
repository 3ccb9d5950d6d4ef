// Package hubapi declares the request and response types and the error
// codes of the hub's HTTP API (/api and /v2): the server encodes them,
// the Go client (internal/hubclient) and the CLI decode them. It is a
// leaf: it imports the standard library, the entity types of hub/hubtype
// and the plugin protocol's payloads (internal/wire) only, so a client
// links no database, blob or Socket.IO package.
package hubapi

// Package hub is the exporthub server as a library: organizations, users
// and API keys, projects with their AAF assets, organization storages, the
// JSON API under /api, the Ango-compatible plugin API under /v2, health
// and metrics.
//
// # Running
//
// [New] opens the database and blob storage named by a [Config] (the zero
// Config is the embedded default: SQLite and a local blob directory under
// ./exporthub-data), creates the hub key and bootstraps the first
// organization and admin on first start. [Server.Run] listens and serves
// until its context is done; [Server.Serve] does the same on a given
// listener; [Server.Handler] gives the bare http.Handler.
//
// # Extending
//
// Other parts of the hub plug in without editing the server:
//
//   - [RegisterRoutes] adds routes; register them with [Server.Handle],
//     which applies authentication for an [Access] level, the request body
//     bound and metrics. Inside a handler [Principal] (or
//     auth.FromContext) says who calls, [Server.LoadProject] loads a
//     project the caller may see, [WriteJSON], [WriteData] and
//     [Server.WriteError] answer.
//   - [RegisterComponent] adds a background [Component] started and
//     stopped with the server (run dispatcher, pollers).
//   - [RegisterAuthenticator] adds a way to authenticate requests that
//     carry no API key (browser sessions).
//
// The accessors [Server.Store], [Server.Blob], [Server.Box],
// [Server.Logger], [Server.Config] and [Server.Registry] give components
// what they need.
//
// # Errors
//
// Every error answer is {"status":"fail","message":...,"code":...} with
// the matching HTTP status; /v2 successes are
// {"status":"success","data":{...}}. A resource of another organization is
// a 404, never a 403.
package hub

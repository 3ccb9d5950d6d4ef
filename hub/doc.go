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
// # Parts and routes
//
// [New] builds the parts in order and holds them as fields: the store,
// the blob storage, the run dispatcher (hub/runs, with the plugin
// gateway), the web UI (web); routes.go lists every route. Routes are
// registered with [Server.Handle], which applies authentication for an
// [Access] level, the request body bound and metrics. Inside a handler
// [Principal] (or auth.FromContext) says who calls, [Server.LoadProject]
// loads a project the caller may see, [WriteJSON], [WriteData] and
// [Server.WriteError] answer.
//
// A program embedding the hub, or a test, adds routes and background
// components to one server through Config.RoutesFunc and
// Config.Components; nothing is registered globally.
//
// # Errors
//
// Every error answer is {"status":"fail","message":...,"code":...} with
// the matching HTTP status; /v2 successes are
// {"status":"success","data":{...}}. A resource of another organization is
// a 404, never a 403.
package hub

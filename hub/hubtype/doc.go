// Package hubtype declares the hub's entities (organizations, users,
// API keys, projects with their stages and batches, assets, storages,
// plugins, runs, log lines, exports, notifications), their constants and
// the sentinel errors ErrNotFound and ErrConflict. It is a leaf that
// imports only the standard library: the store (hub/store, which
// re-exports every name through aliases), the services (hub/projects,
// hub/plugins, hub/users) and the web UI share these types, and the web
// UI links no database code through them.
package hubtype

// Package store declares the hub's persistence seam: the entity types (declared
// in hub/hubtype, re-exported here as aliases) and
// the [Store] interface that the hub's HTTP API, run dispatcher and web UI
// consume. Implementations live in hub/store/sqlite (the embedded default)
// and hub/store/postgres (scale-out); both pass the one behaviour suite in
// hub/store/storetest.
//
// Store is exporthub's own seam, not a third-party extension point: its
// methods change whenever the hub needs them to, and every change extends
// storetest first.
//
// Conventions: every method takes ctx first and is safe for concurrent use.
// Methods are named entity first, verb second (ProjectGet, RunSetStatus).
// A row that does not exist, or that belongs to another organization,
// gives [ErrNotFound]; a unique-key violation or a failed precondition
// gives [ErrConflict]. No driver error type escapes an implementation.
package store

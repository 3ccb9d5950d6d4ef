// Package runs is the hub's run dispatcher: it takes a click on Run
// through the lifecycle of plugin-protocol.md section 6 to a notification
// and a download.
//
//	queued -> dispatched -> running -> uploaded -> succeeded
//	                   \-> failed | timed_out | lost | cancelled
//
// [Manager.Submit] creates the run and its run-scoped API token, and
// dispatches it at once to one connected instance of the plugin (through
// package gateway); with no instance online the run fails at once. The
// plugin's `log` events are stored in batches, bounded per run, and
// followed live ([Manager.FollowLogs]); its `response` ends the run: the
// uploaded file is located in the hub's or the organization's storage,
// measured and hashed, recorded as an export, and the user who ran it is
// notified (and the organization's webhook called). Every other ending
// (plugin error, upload error, timeout, lost instance, cancel, hub
// restart) ends the run with a user-readable message, revokes its token
// and notifies too; a run is never left in a non-final state: on start,
// runs left active by a previous process end as failed.
//
// One hub process dispatches its own runs: the active runs, their timers
// and the connected instances live in memory.
package runs

// Package runs is the hub's run dispatcher: it takes a click on Run
// through the lifecycle of plugin-protocol.md section 6 to a notification
// and a download.
//
//	queued -> dispatched -> running -> uploaded -> succeeded
//	                   \-> failed | timed_out | lost | cancelled
//
// [Manager.Submit] creates the run and dispatches it at once to one
// connected instance of the plugin, the least busy (ties: round robin);
// with no instance online the run fails at once. The instance's process
// creates the run's API token, sends the `plugin` event (through package
// gateway) and from then on holds the run: it enforces its timeout and
// receives its events. The plugin's `log` events are stored in batches,
// bounded per run, and followed live ([Manager.FollowLogs]); its
// `response` ends the run: the uploaded file is located in the hub's or
// the organization's storage, measured and hashed, recorded as an export,
// and the user who ran it is notified (and the organization's webhook
// called). Every other ending (plugin error, upload error, timeout, lost
// instance, cancel, hub restart) ends the run with a user-readable
// message, revokes its token and notifies too; a run is never left in a
// non-final state.
//
// # Retries
//
// A run submitted with SubmitParams.Retries is dispatched again when its
// instance is lost mid-run (the instance disconnects, a REST plugin stops
// answering, or the replica holding the run stops): the same run and
// session goes back to queued at its next Attempt, with a new deadline
// and a new token (the lost attempt's is revoked) and a WARNING line in
// its log, to the least busy instance online. Without attempts left, or
// without an instance to take the retry, it ends as lost with a message
// saying so. Only losses are retried. Every change a holder makes to a
// run is conditioned on its attempt (store.RunSetStatusParams.FromAttempt),
// so nothing done for a lost attempt can end the next one, and the
// previous instance's late events are ignored (it no longer holds the
// session).
//
// # Replicas
//
// Several hub processes (replicas) may share one PostgreSQL database, each
// with its own Config.NodeID. Plugin sockets land on any replica, so the
// store lists the instances of every replica and picks the instance of a
// dispatch atomically (store.Store.RunDispatch). A run whose instance is
// connected to another replica is handed over through that replica: the
// replicas talk through the store's [Notifier] (PostgreSQL LISTEN/NOTIFY),
// with a request and an acknowledgement for dispatches, cancels and the
// responses of REST connector plugins, and broadcast wake-ups for log
// followers, notification watchers and plugin disconnects. Each replica
// keeps a lease in the store; the runs of a replica whose lease ended
// are ended by the others (lost, MsgReplicaStopped) or retried, and a
// replica that starts again under its node id does the same with the runs
// its previous process held.
//
// A handover is split-brain safe: the replica of the instance takes the
// run in the store (a conditional update) before it sends it to the
// plugin, and the replica that dispatched it ends it for want of an
// acknowledgement only if it was not taken, taking it itself first. A
// run that was taken is its holder's to end: a cancel goes through the
// holder, and one whose holder does not answer is refused
// (ErrReplicaUnavailable) until the holder answers or its lease ends.
// The plugin's response or log lines for an active run are accepted by
// whichever replica receives them with the run's token: a replica whose
// holder stopped adopts the run (a conditional update from the stopped
// node) and records the export itself.
//
// Without a NodeID (SQLite, one process) the dispatcher is alone: on
// start it ends every active run as failed with MsgHubRestarted.
package runs

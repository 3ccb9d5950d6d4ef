package runs

import (
	"fmt"
	"time"

	"github.com/exporthub/exporthub/hub/hubtype"
)

// User-readable messages runs end with (Run.Message).
const (
	// MsgNoInstance ends a run submitted while no instance was online.
	MsgNoInstance = hubtype.RunMsgNoInstance
	// MsgPluginError ends a run whose plugin sent {"error": true}.
	MsgPluginError = "the plugin reported an error; see the run logs"
	// MsgHubRestarted ends runs that were active when the hub stopped.
	MsgHubRestarted = "the hub restarted during the run"
	// MsgCancelled ends a cancelled run.
	MsgCancelled = "cancelled by the user"
	// MsgNoFile ends a run whose plugin answered without a file URL.
	MsgNoFile = "upload failed: the plugin's response names no uploaded file"
	// MsgHubStopping ends runs still active after a graceful shutdown
	// ran out of time.
	MsgHubStopping = "the hub stopped during the run"
	// MsgReplicaStopped ends (as lost) the runs of a hub replica whose
	// lease ended: it crashed, lost its database or was stopped with runs
	// still active.
	MsgReplicaStopped = "the hub replica running the run stopped"
	// MsgReplicaNoAnswer ends a run whose instance is connected to
	// another hub replica that did not take the run in time.
	MsgReplicaNoAnswer = "the hub replica holding the plugin instance did not take the run in time"
)

// msgTimedOut ends a run that got no response within timeout.
func msgTimedOut(timeout time.Duration) string {
	return fmt.Sprintf("no response from the plugin within %s", timeout)
}

// msgUploadFailed ends a run whose upload could not be read.
func msgUploadFailed(err error) string {
	return fmt.Sprintf("upload failed: %v", err)
}

// msgRetrying is the log line of a lost run dispatched again for its
// attempt-th attempt of of.
func msgRetrying(reason string, attempt, of int) string {
	what := "plugin instance lost"
	if reason == MsgReplicaStopped {
		what = "the hub replica running the run stopped"
	}
	return fmt.Sprintf("%s; retrying (attempt %d of %d)", what, attempt, of)
}

// msgNoInstanceToRetry ends (as lost) a run lost for reason that found no
// instance to take its retry.
func msgNoInstanceToRetry(reason string) string {
	return reason + "; no plugin instance was online to retry it"
}

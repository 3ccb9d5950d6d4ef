package store

import (
	"fmt"
	"strings"
)

// DefaultRunListLimit is RunListParams.Limit when it is 0.
const DefaultRunListLimit = 100

// EmailKey returns the form e-mails are compared in: trimmed and lower
// case. Every backend compares this form, so the uniqueness of e-mails
// does not depend on a database's collation.
func EmailKey(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// CheckRunStatus returns an error unless st is one of the run states.
func CheckRunStatus(st RunStatus) error {
	switch st {
	case RunQueued, RunDispatched, RunRunning, RunUploaded:
		return nil
	}
	if st.Final() {
		return nil
	}
	return fmt.Errorf("unknown run status %q", st)
}

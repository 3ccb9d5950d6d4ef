package sqlstore

import "time"

// Dialect is what the SQL of a backend does its own way.
type Dialect struct {
	// Numbered makes placeholders $1, $2, ... (PostgreSQL) instead of ?
	// (SQLite).
	Numbered bool
	// Collate follows a text column in ORDER BY so that text sorts byte
	// by byte, as SQLite sorts it by default.
	Collate string
	// ForUpdate and ForKeyShare end a SELECT that locks the rows it
	// reads against changes, or against deletion; empty where writes run
	// one at a time anyway.
	ForUpdate, ForKeyShare string
	// BatchCounts is the query of a project's asset counts per batch:
	// (batch, count) rows for the project id given as the one argument.
	BatchCounts string

	// TimeFunc encodes a time (in UTC, truncated to microseconds when it
	// is written) for a time column.
	TimeFunc func(t time.Time) any
	// ListFunc encodes a list of names for a list column.
	ListFunc func(v []string) (any, error)
	// ScanListFunc returns the scan destination that reads a list column
	// into dst.
	ScanListFunc func(dst *[]string) any
	// InFunc returns the condition that column holds one of values (at
	// least one) and its arguments.
	InFunc func(column string, values []string) (cond string, args []any)
	// BatchesFunc returns the condition that asset a (the assets table
	// aliased a) is in one of batches, or in all of them, and its
	// arguments.
	BatchesFunc func(all bool, batches []string) (cond string, args []any)
	// ErrorFunc turns a driver error into the store's: no rows and a
	// missing parent row give store.ErrNotFound, a unique violation
	// store.ErrConflict; no driver type escapes it.
	ErrorFunc func(err error) error
}

// nullTime encodes an optional time: NULL when nil.
func (d *Dialect) nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return d.TimeFunc(t.UTC().Truncate(time.Microsecond))
}

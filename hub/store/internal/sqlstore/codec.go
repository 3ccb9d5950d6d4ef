package sqlstore

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/exporthub/exporthub/hub/store"
)

// TimeDest returns the scan destination of a time column: SQLite stores
// INTEGER microseconds since the Unix epoch, PostgreSQL timestamptz. The
// time read is in UTC.
func TimeDest(dst *time.Time) sql.Scanner {
	return timeDest{dst}
}

// NullTimeDest is TimeDest for a column that may be NULL (nil).
func NullTimeDest(dst **time.Time) sql.Scanner {
	return nullTimeDest{dst}
}

type timeDest struct{ dst *time.Time }

func (d timeDest) Scan(src any) error {
	switch v := src.(type) {
	case int64:
		*d.dst = time.UnixMicro(v).UTC()
	case time.Time:
		*d.dst = v.UTC()
	default:
		return fmt.Errorf("read a time from %T", src)
	}
	return nil
}

type nullTimeDest struct{ dst **time.Time }

func (d nullTimeDest) Scan(src any) error {
	if src == nil {
		*d.dst = nil
		return nil
	}
	var t time.Time
	if err := (timeDest{&t}).Scan(src); err != nil {
		return err
	}
	*d.dst = &t
	return nil
}

// JSONListDest returns the scan destination of a list stored as a JSON
// array in a text column.
func JSONListDest(dst *[]string) sql.Scanner {
	return jsonListDest{dst}
}

type jsonListDest struct{ dst *[]string }

func (d jsonListDest) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("read a list from %T", src)
	}
	list, err := store.DecodeJSONList[string](b)
	if err != nil {
		return err
	}
	*d.dst = list
	return nil
}

// listOrNil returns v, nil when empty.
func listOrNil[T any](v []T) []T {
	if len(v) == 0 {
		return nil
	}
	return v
}

// bytesOrNil returns b, nil when empty.
func bytesOrNil(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// rawOrNil returns b as raw JSON, nil when empty.
func rawOrNil(b []byte) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	return json.RawMessage(b)
}

// nullString encodes an optional reference: NULL when empty.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// nullBytes encodes optional bytes for a blob column: NULL when empty.
func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// nullRaw encodes optional raw JSON for a text column: NULL when empty.
func nullRaw(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

// rawOf decodes optional raw JSON read from a text column.
func rawOf(s *string) json.RawMessage {
	if s == nil || *s == "" {
		return nil
	}
	return json.RawMessage(*s)
}

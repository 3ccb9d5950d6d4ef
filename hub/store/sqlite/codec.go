package sqlite

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// Times are stored as INTEGER microseconds since the Unix epoch, in UTC.

// now is the store's clock: UTC, at the precision the store keeps.
func now() time.Time {
	return time.Now().UTC().Truncate(time.Microsecond)
}

// orNow returns t in UTC at microsecond precision, or now when t is zero.
func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return now()
	}
	return t.UTC().Truncate(time.Microsecond)
}

func micros(t time.Time) int64 {
	return t.UnixMicro()
}

func fromMicros(v int64) time.Time {
	return time.UnixMicro(v).UTC()
}

// nullMicros encodes an optional time: NULL when nil.
func nullMicros(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

// timePtr decodes an optional time.
func timePtr(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

// nullString encodes an optional reference: NULL when empty.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// encodeList encodes a list as a JSON array ("[]" when empty).
func encodeList[T any](v []T) (string, error) {
	if len(v) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode list: %w", err)
	}
	return string(b), nil
}

// decodeList decodes a JSON array; nil when empty.
func decodeList[T any](s string) ([]T, error) {
	if s == "" || s == "[]" {
		return nil, nil
	}
	var out []T
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("decode list %q: %w", s, err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// rawOrNil returns b as raw JSON, nil when empty.
func rawOrNil(b []byte) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	return json.RawMessage(b)
}

// bytesOrNil returns b, nil when empty.
func bytesOrNil(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

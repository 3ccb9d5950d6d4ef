package hubapi

import (
	"fmt"
	"time"
)

// AngoTimeLayout is how Ango writes times: UTC with milliseconds.
const AngoTimeLayout = "2006-01-02T15:04:05.000Z"

// AngoTime is a time on the wire as Ango writes them
// (2024-03-04T10:15:30.120Z), which report plugins parse with a fixed
// layout; it reads any RFC 3339 time.
type AngoTime time.Time

// MarshalJSON writes the time in AngoTimeLayout.
func (t AngoTime) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format(AngoTimeLayout) + `"`), nil
}

// UnmarshalJSON reads an RFC 3339 time.
func (t *AngoTime) UnmarshalJSON(b []byte) error {
	var v time.Time
	if err := v.UnmarshalJSON(b); err != nil {
		return fmt.Errorf("read time: %w", err)
	}
	*t = AngoTime(v)
	return nil
}

// Time returns t as a time.Time.
func (t AngoTime) Time() time.Time { return time.Time(t) }

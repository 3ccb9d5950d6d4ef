package postgres

import (
	"encoding/json"
	"fmt"
)

// encodeList encodes a list as a JSON array ("[]" when empty) for a jsonb
// column.
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

// decodeList decodes a JSON array read from a jsonb column; nil when empty.
func decodeList[T any](b []byte) ([]T, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var out []T
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("decode list %q: %w", b, err)
	}
	return listOrNil(out), nil
}

// rawOrNil returns b as raw JSON, nil when empty.
func rawOrNil(b []byte) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	return json.RawMessage(b)
}

package store

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// AppendJSONList returns the JSON array list with item appended, keeping
// the bytes of the items already there; a nil or empty list becomes a
// one-item array. item must be one JSON value.
func AppendJSONList(list, item json.RawMessage) (json.RawMessage, error) {
	item = bytes.TrimSpace(item)
	if !json.Valid(item) {
		return nil, fmt.Errorf("append to JSON list: item is not one JSON value: %.40q", item)
	}
	list = bytes.TrimSpace(list)
	if len(list) == 0 || bytes.Equal(list, []byte("null")) {
		out := make([]byte, 0, len(item)+2)
		return append(append(append(out, '['), item...), ']'), nil
	}
	if list[0] != '[' || list[len(list)-1] != ']' {
		return nil, fmt.Errorf("append to JSON list: not a JSON array: %.40q", list)
	}
	body := bytes.TrimSpace(list[1 : len(list)-1])
	out := make([]byte, 0, len(body)+len(item)+3)
	out = append(out, '[')
	out = append(out, body...)
	if len(body) > 0 {
		out = append(out, ',')
	}
	out = append(out, item...)
	return append(out, ']'), nil
}

// EncodeJSONList encodes a list for a JSON column: a JSON array, "[]"
// when the list is empty.
func EncodeJSONList[T any](v []T) (string, error) {
	if len(v) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode list: %w", err)
	}
	return string(b), nil
}

// DecodeJSONList decodes a JSON column written by EncodeJSONList; an
// empty column or array gives nil.
func DecodeJSONList[T any](b []byte) ([]T, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var out []T
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("decode list %q: %w", b, err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

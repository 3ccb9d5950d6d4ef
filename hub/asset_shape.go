package hub

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// Apply returns asset data (one AAF asset object) without the parts the
// shape leaves out, keeping the order of the other keys; data itself when
// the shape leaves nothing out.
func (sh AssetShape) Apply(data []byte) ([]byte, error) {
	if !sh.OmitMetadata && !sh.OmitHistory {
		return data, nil
	}
	return rewriteObject(data, func(key string, value []byte) ([]byte, bool, error) {
		switch {
		case key == "metadata" && sh.OmitMetadata:
			return nil, false, nil
		case key == "task" && sh.OmitHistory:
			out, err := rewriteObject(value, func(k string, v []byte) ([]byte, bool, error) {
				return v, k != "stageHistory", nil
			})
			return out, true, err
		}
		return value, true, nil
	})
}

// rewriteObject copies the JSON object data key by key, in order, as
// edit says: edit gets each key and raw value and returns the value to
// write and whether to keep the key. A value that is not an object is
// returned unchanged.
func rewriteObject(data []byte, edit func(key string, value []byte) ([]byte, bool, error)) ([]byte, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return data, nil
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if _, err := dec.Token(); err != nil { // {
		return nil, fmt.Errorf("read asset: %w", err)
	}
	var out bytes.Buffer
	out.Grow(len(trimmed))
	out.WriteByte('{')
	first := true
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("read asset: %w", err)
		}
		key, _ := tok.(string) // object keys are strings
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("read asset key %q: %w", key, err)
		}
		value, keep, err := edit(key, raw)
		if err != nil {
			return nil, err
		}
		if !keep {
			continue
		}
		if !first {
			out.WriteByte(',')
		}
		first = false
		k, _ := json.Marshal(key) // a string always encodes
		out.Write(k)
		out.WriteByte(':')
		out.Write(value)
	}
	if _, err := dec.Token(); err != nil && err != io.EOF { // }
		return nil, fmt.Errorf("read asset: %w", err)
	}
	out.WriteByte('}')
	return out.Bytes(), nil
}

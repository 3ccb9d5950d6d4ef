package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Statuses of an [Envelope].
const (
	// StatusSuccess marks an answer with data.
	StatusSuccess = "success"
	// StatusFail marks an error answer.
	StatusFail = "fail"
	// StatusError is what some Ango answers use instead of StatusFail.
	StatusError = "error"
)

// ErrNoData is returned by Envelope.DecodeData for a success answer
// without data.
var ErrNoData = errors.New("no data")

// Envelope is the JSON body of every /v2 answer (and of a REST plugin's
// answers): {"status": "success", "data": {...}} or, with an HTTP 4xx or
// 5xx status, {"status": "fail", "message": "...", "code": "..."} (the
// code is ours).
type Envelope struct {
	// Status is StatusSuccess or StatusFail.
	Status string `json:"status"`
	// Data is the answer's data; nil on failures.
	Data json.RawMessage `json:"data,omitempty"`
	// Message says what failed.
	Message string `json:"message,omitempty"`
	// Code is the machine-readable error code (ours).
	Code string `json:"code,omitempty"`
}

// Success returns the envelope of a successful answer with data encoded
// by encoding/json.
func Success(data any) (Envelope, error) {
	b, err := marshal(data)
	if err != nil {
		return Envelope{}, fmt.Errorf("encode answer data: %w", err)
	}
	return Envelope{Status: StatusSuccess, Data: b}, nil
}

// Fail returns the envelope of an error answer.
func Fail(code, message string) Envelope {
	return Envelope{Status: StatusFail, Message: message, Code: code}
}

// Failed reports whether the envelope is an error answer.
func (e *Envelope) Failed() bool {
	return e.Status == StatusFail || e.Status == StatusError
}

// DecodeData decodes the data of a success answer into out. It returns
// ErrNoData when the answer has none (or null).
func (e *Envelope) DecodeData(out any) error {
	if len(e.Data) == 0 || string(bytes.TrimSpace(e.Data)) == "null" {
		return ErrNoData
	}
	if err := json.Unmarshal(e.Data, out); err != nil {
		return fmt.Errorf("decode answer data: %w", err)
	}
	return nil
}

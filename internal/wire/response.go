package wire

import (
	"encoding/json"
	"fmt"
)

// Response is the result of a run: the payload of EventResponse and the
// body of POST /v2/pluginResponse. An export plugin sends
// [ExportResponse] or [ErrorResponse]; other plugin kinds send any JSON
// as Response.
type Response struct {
	// Session is the run's session.
	Session string
	// Export is true for an export plugin's success: Response holds the
	// signed GET URL of the uploaded file.
	Export bool
	// Error is true when the plugin's callback failed.
	Error bool
	// Response is the raw JSON of the "response" key; nil when absent.
	Response json.RawMessage
}

// ExportResponse returns the response of a successful export run:
// {"export": true, "response": signedURL, "session": session}.
func ExportResponse(session, signedURL string) Response {
	b, _ := marshal(signedURL) // a string always encodes
	return Response{Session: session, Export: true, Response: b}
}

// ErrorResponse returns the response of a failed run:
// {"error": true, "session": session}.
func ErrorResponse(session string) Response {
	return Response{Session: session, Error: true}
}

// URL returns the response as a string (an export's signed URL) and
// whether it was one.
func (r *Response) URL() (string, bool) {
	var s string
	if len(r.Response) == 0 || json.Unmarshal(r.Response, &s) != nil {
		return "", false
	}
	return s, true
}

// MarshalJSON encodes the response; "error" and "export" appear only when
// true, "response" only when set.
func (r Response) MarshalJSON() ([]byte, error) {
	var j struct {
		Error    bool            `json:"error,omitempty"`
		Export   bool            `json:"export,omitempty"`
		Response json.RawMessage `json:"response,omitempty"`
		Session  string          `json:"session"`
	}
	j.Error, j.Export, j.Response, j.Session = r.Error, r.Export, r.Response, r.Session
	return marshal(j)
}

// UnmarshalJSON reads a response; "error" and "export" may be any JSON
// truth value. It fails only when b is not a JSON object.
func (r *Response) UnmarshalJSON(b []byte) error {
	return unmarshalObject(b, "response event", r.fromObject)
}

func (r *Response) fromObject(m map[string]any) error {
	*r = Response{
		Session: stringOf(m["session"]),
		Export:  truthy(m["export"]),
		Error:   truthy(m["error"]),
	}
	if v, ok := m["response"]; ok {
		if b, err := marshal(v); err == nil {
			r.Response = b
		}
	}
	return nil
}

// String returns the response's JSON, for messages.
func (r Response) String() string {
	b, err := r.MarshalJSON()
	if err != nil {
		return fmt.Sprintf("invalid response of session %q: %v", r.Session, err)
	}
	return string(b)
}

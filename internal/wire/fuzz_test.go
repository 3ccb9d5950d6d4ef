package wire_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/exporthub/exporthub/internal/wire"
	"github.com/exporthub/exporthub/internal/wire/wiretest"
)

// seed adds every golden file of the events to f.
func seed(f *testing.F, event string) {
	for _, c := range wiretest.Cases() {
		if c.Event == event {
			f.Add(wiretest.Fixture(f, c.Name))
		}
	}
}

// FuzzRunRequest checks that a decoded run request survives the hub's
// encoding: what the SDK reads once encoded and read again is the same
// request (after one pass that replaces invalid UTF-8).
func FuzzRunRequest(f *testing.F) {
	seed(f, wire.EventPlugin)
	f.Add([]byte(`{"stage":"x","configJSON":[1]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r wire.RunRequest
		if json.Unmarshal(b, &r) != nil {
			return
		}
		once := roundTrip(t, r)
		if twice := roundTrip(t, once); !reflect.DeepEqual(once, twice) {
			t.Fatalf("round trip changed the request:\n%+v\n%+v", once, twice)
		}
	})
}

// roundTrip encodes r and decodes it again.
func roundTrip(t *testing.T, r wire.RunRequest) wire.RunRequest {
	t.Helper()
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatalf("encode %+v: %v", r, err)
	}
	var again wire.RunRequest
	if err := json.Unmarshal(out, &again); err != nil {
		t.Fatalf("decode own encoding %s: %v", out, err)
	}
	return again
}

// FuzzLog checks that a log event never holds a standard key in Extra and
// survives a round trip.
func FuzzLog(f *testing.F) {
	seed(f, wire.EventLog)
	f.Add([]byte(`{"msg":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var l wire.Log
		if json.Unmarshal(b, &l) != nil {
			return
		}
		for k := range l.Extra {
			if wire.IsLogKey(k) {
				t.Fatalf("got standard key %q in Extra", k)
			}
		}
		out, err := json.Marshal(l)
		if err != nil {
			t.Fatalf("encode %+v: %v", l, err)
		}
		var again wire.Log
		if err := json.Unmarshal(out, &again); err != nil {
			t.Fatalf("decode own encoding %s: %v", out, err)
		}
		if again.Msg != l.Msg || again.Session != l.Session || len(again.Extra) != len(l.Extra) {
			t.Fatalf("round trip changed the line: %+v, %+v", l, again)
		}
	})
}

// FuzzResponse checks that a decoded response keeps its meaning through a
// round trip.
func FuzzResponse(f *testing.F) {
	seed(f, wire.EventResponse)
	f.Add([]byte(`{"error":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r wire.Response
		if json.Unmarshal(b, &r) != nil {
			return
		}
		out, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("encode %+v: %v", r, err)
		}
		var again wire.Response
		if err := json.Unmarshal(out, &again); err != nil {
			t.Fatalf("decode own encoding %s: %v", out, err)
		}
		u1, ok1 := r.URL()
		u2, ok2 := again.URL()
		if again.Export != r.Export || again.Error != r.Error || again.Session != r.Session || u1 != u2 || ok1 != ok2 {
			t.Fatalf("round trip changed the response: %+v, %+v", r, again)
		}
	})
}

package plugin

import (
	"encoding/json"
	"errors"
	"math"

	"github.com/exporthub/exporthub/internal/wire"
)

// runRequest is the run request of plugin-protocol section 4, as sent in
// the "plugin" event or the POST /plugin body. Unknown keys are ignored.
type runRequest = wire.RunRequest

// errNoSession rejects a run request that names no run.
var errNoSession = errors.New("decode run request: no session")

// decodeRunRequest parses a run request from JSON.
func decodeRunRequest(data []byte) (*runRequest, error) {
	var w runRequest
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, err // names the field: "decode run request: ..."
	}
	if w.Session == "" {
		return nil, errNoSession
	}
	return &w, nil
}

// numTasks returns the request's numTasks as an int (0 when absent or
// beyond an int32).
func numTasks(w *runRequest) int {
	if w.NumTasks > math.MaxInt32 {
		return 0
	}
	return int(w.NumTasks)
}

// logBase returns the fixed fields of this run's "log" events; pluginID
// stands in for a request without one.
func logBase(w *runRequest, pluginID string) wire.Log {
	return wire.Log{
		Organization: w.OrgID,
		PluginID:     orDefault(w.PluginID, pluginID),
		RunBy:        w.RunBy,
		Session:      w.Session,
	}
}

package hubtype_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/hubtype"
)

func TestNormalizeStages(t *testing.T) {
	t.Parallel()
	pos := func(x float64) *hubtype.StagePosition { return &hubtype.StagePosition{X: x} }
	tests := []struct {
		name string
		in   []hubtype.Stage
		want []hubtype.Stage
	}{
		{"Empty", nil, []hubtype.Stage{{ID: "Start", Name: "Start", Type: "Start", Position: pos(0)}, {ID: "Complete", Name: "Complete", Type: "Complete", Position: pos(300)}}},
		{"TypesFromNames", []hubtype.Stage{{ID: "a", Name: "Peer Review"}, {ID: "b", Name: "Archive old"}, {ID: "c", Name: "On hold"}, {ID: "d"}},
			[]hubtype.Stage{{ID: "Start", Name: "Start", Type: "Start", Position: pos(0)},
				{ID: "a", Name: "Peer Review", Type: "Review", Position: pos(300)}, {ID: "b", Name: "Archive old", Type: "Archive", Position: pos(600)},
				{ID: "c", Name: "On hold", Type: "Hold", Position: pos(900)}, {ID: "d", Name: "d", Type: "Label", Position: pos(1200)},
				{ID: "Complete", Name: "Complete", Type: "Complete", Position: pos(1500)}}},
		{"GivenPositionsKept", []hubtype.Stage{{ID: "Complete", Position: &hubtype.StagePosition{X: 50, Y: 9}}, {ID: "Start", Position: pos(900)}, {ID: "x"}},
			[]hubtype.Stage{{ID: "Complete", Name: "Complete", Type: "Complete", Position: &hubtype.StagePosition{X: 50, Y: 9}},
				{ID: "Start", Name: "Start", Type: "Start", Position: pos(900)}, {ID: "x", Name: "x", Type: "Label", Position: pos(1200)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, hubtype.NormalizeStages(tt.in))
		})
	}
}

func TestStage_JSON(t *testing.T) {
	t.Parallel()
	in := `{"id":"r","name":"QA","type":"Review","position":{"x":1.5,"y":2},"next":["Complete"],"zeta":{"a":1},"alpha":[true]}`
	var st hubtype.Stage
	require.NoError(t, json.Unmarshal([]byte(in), &st))
	require.Equal(t, map[string]json.RawMessage{"zeta": json.RawMessage(`{"a":1}`), "alpha": json.RawMessage(`[true]`)}, st.Extra)
	out, err := json.Marshal(st)
	require.NoError(t, err)
	require.Equal(t, `{"id":"r","name":"QA","type":"Review","position":{"x":1.5,"y":2},"next":["Complete"],"alpha":[true],"zeta":{"a":1}}`, string(out),
		"our keys first, then the others in key order")

	require.NoError(t, json.Unmarshal([]byte(`"Label"`), &st))
	require.Equal(t, hubtype.Stage{ID: "Label", Name: "Label"}, st, "a bare string is the stage's id and name")
	require.ErrorContains(t, json.Unmarshal([]byte(`3`), &st), "stage must be a string or an object")
}

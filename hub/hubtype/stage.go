package hubtype

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// StageType is the kind of a workflow stage, as Ango names it.
type StageType string

// The stage types of an Ango workflow.
const (
	StageStart     StageType = "Start"
	StageLabel     StageType = "Label"
	StageReview    StageType = "Review"
	StageLogic     StageType = "Logic"
	StagePlugin    StageType = "Plugin"
	StageWebhook   StageType = "Webhook"
	StageComplete  StageType = "Complete"
	StageArchive   StageType = "Archive"
	StageConsensus StageType = "Consensus"
	StageHold      StageType = "Hold"
)

// StageTypes lists every stage type in Ango's order.
var StageTypes = []StageType{StageStart, StageLabel, StageReview, StageLogic, StagePlugin, StageWebhook,
	StageComplete, StageArchive, StageConsensus, StageHold}

// StageSpacing is the horizontal distance between stages placed by
// NormalizeStages (Ango's workflow canvas coordinates).
const StageSpacing = 300

// Stage is a workflow stage of a project, as Ango has it. On the wire a
// bare string "X" means {"id":"X","name":"X"}. Keys Ango sends beyond
// these are kept in Extra and written back.
type Stage struct {
	ID   string    `json:"id"`
	Name string    `json:"name"`
	Type StageType `json:"type"`
	// Position is the stage's place on the workflow canvas; stage
	// reports order stages by Position.X.
	Position *StagePosition `json:"position,omitempty"`
	// Next lists the ids of the stages tasks go to from this one.
	Next []string `json:"next,omitempty"`
	// Extra holds the stage's other keys as sent (nil when none).
	Extra map[string]json.RawMessage `json:"-"`
}

// StagePosition is a stage's place on the workflow canvas.
type StagePosition struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// stageKeys are the keys Stage has fields for.
var stageKeys = []string{"id", "name", "type", "position", "next"}

// UnmarshalJSON accepts a stage object (keeping unknown keys in Extra) or
// a bare string, the stage's id and name.
func (s *Stage) UnmarshalJSON(b []byte) error {
	var name string
	if json.Unmarshal(b, &name) == nil {
		*s = Stage{ID: name, Name: name}
		return nil
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return fmt.Errorf("stage must be a string or an object {id, name, type, position, next}: %v", err)
	}
	type plain Stage
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return fmt.Errorf("stage %s: %v", bytes.TrimSpace(all["id"]), err)
	}
	*s = Stage(p)
	for _, k := range stageKeys {
		delete(all, k)
	}
	for k, v := range all {
		// Compact, so that a value reads back the same from any database.
		var c bytes.Buffer
		if err := json.Compact(&c, v); err == nil {
			all[k] = c.Bytes()
		}
	}
	if len(all) > 0 {
		s.Extra = all
	}
	return nil
}

// MarshalJSON writes the stage's fields, then its Extra keys in key order.
func (s Stage) MarshalJSON() ([]byte, error) {
	type plain Stage
	b, err := json.Marshal(plain(s))
	if err != nil || len(s.Extra) == 0 {
		return b, err
	}
	var buf bytes.Buffer
	buf.Write(b[:len(b)-1])
	for _, k := range slices.Sorted(maps.Keys(s.Extra)) {
		if slices.Contains(stageKeys, k) {
			continue
		}
		kb, _ := json.Marshal(k) // a string always encodes
		buf.WriteByte(',')
		buf.Write(kb)
		buf.WriteByte(':')
		buf.Write(s.Extra[k])
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// NormalizeStages returns a project's stages as Ango has them: the fixed
// stages Start (first) and Complete (last) added when missing, each stage
// with a name (its id when empty), a type (Start and Complete for the
// fixed ids; else Review when the name says Review, Archive, Hold or
// Consensus likewise, Label otherwise) and a position (one StageSpacing to
// the right of the rightmost stage before it). Given values are kept. The
// input is not modified.
func NormalizeStages(in []Stage) []Stage {
	out := make([]Stage, 0, len(in)+2)
	if !slices.ContainsFunc(in, func(s Stage) bool { return s.ID == string(StageStart) }) {
		out = append(out, Stage{ID: string(StageStart), Name: string(StageStart), Type: StageStart})
	}
	for _, s := range in {
		s.Next = slices.Clone(s.Next)
		if s.Position != nil {
			p := *s.Position
			s.Position = &p
		}
		out = append(out, s)
	}
	if !slices.ContainsFunc(in, func(s Stage) bool { return s.ID == DefaultStageID }) {
		out = append(out, Stage{ID: DefaultStageID, Name: DefaultStageID, Type: StageComplete})
	}
	right := 0.0
	placed := false
	for i := range out {
		s := &out[i]
		if s.Name == "" {
			s.Name = s.ID
		}
		if s.Type == "" {
			s.Type = defaultStageType(s)
		}
		if s.Position == nil {
			x := 0.0
			if placed {
				x = right + StageSpacing
			}
			s.Position = &StagePosition{X: x}
		}
		if !placed || s.Position.X > right {
			right = s.Position.X
		}
		placed = true
	}
	return out
}

// defaultStageType guesses the type of a stage given without one.
func defaultStageType(s *Stage) StageType {
	switch s.ID {
	case string(StageStart):
		return StageStart
	case DefaultStageID:
		return StageComplete
	}
	name := strings.ToLower(s.Name)
	for _, t := range []StageType{StageReview, StageArchive, StageHold, StageConsensus} {
		if strings.Contains(name, strings.ToLower(string(t))) {
			return t
		}
	}
	return StageLabel
}

// CheckStages returns an error naming the first invalid stage of a list
// (before or after NormalizeStages; an empty type is allowed): an empty or
// repeated id, a type Ango does not have, a fixed stage (Start, Complete)
// of another type, or a next naming no stage of the list (nor a fixed
// stage).
func CheckStages(stages []Stage) error {
	seen := map[string]bool{}
	for i, st := range stages {
		if strings.TrimSpace(st.ID) == "" {
			return fmt.Errorf("stages[%d]: id or name is required", i)
		}
		if seen[st.ID] {
			return fmt.Errorf("stages[%d]: stage id %q appears twice", i, st.ID)
		}
		seen[st.ID] = true
		if st.Type != "" && !slices.Contains(StageTypes, st.Type) {
			return fmt.Errorf("stages[%d] (%s): type %q is not one of %s", i, st.ID, st.Type, joinTypes())
		}
		if (st.ID == string(StageStart) || st.ID == DefaultStageID) && st.Type != "" && string(st.Type) != st.ID {
			return fmt.Errorf("stages[%d]: the fixed stage %s has type %s, got %q", i, st.ID, st.ID, st.Type)
		}
	}
	for i, st := range stages {
		for _, n := range st.Next {
			if !seen[n] && !slices.Contains(FixedStageIDs, n) {
				return fmt.Errorf("stages[%d] (%s): next names no stage of the project: %q", i, st.ID, n)
			}
		}
	}
	return nil
}

func joinTypes() string {
	s := make([]string, len(StageTypes))
	for i, t := range StageTypes {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

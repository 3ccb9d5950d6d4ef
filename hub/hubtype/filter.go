package hubtype

import (
	"fmt"
	"slices"
	"strings"
)

// FixedStageIDs are the stages every Ango project has, whatever its
// workflow: a filter may always name them.
var FixedStageIDs = []string{"Start", DefaultStageID}

// UnknownValueError is a filter value that names no stage or batch of a
// project.
type UnknownValueError struct {
	// Kind is "stage" or "batch".
	Kind string
	// Index is the value's position in the filter.
	Index     int
	Value     string
	ProjectID string
	// Known lists the ids a value may name (stages only).
	Known []string
}

// Error says which value names nothing, and for a stage what may be named.
func (e *UnknownValueError) Error() string {
	msg := fmt.Sprintf("project %s has no %s %q", e.ProjectID, e.Kind, e.Value)
	if len(e.Known) > 0 {
		msg += fmt.Sprintf(" (its %s ids: %s)", e.Kind, strings.Join(e.Known, ", "))
	}
	return msg
}

// ResolveStages returns the ids of the stages of p that values name, by
// id or else by name, in order and without duplicates. The fixed stages
// Start and Complete always resolve. The first unknown value gives an
// *UnknownValueError.
func ResolveStages(p *Project, values []string) ([]string, error) {
	var ids []string
	for i, v := range values {
		v = strings.TrimSpace(v)
		id, ok := resolveStage(p, v)
		if !ok {
			known := make([]string, 0, len(p.Stages)+len(FixedStageIDs))
			for _, st := range p.Stages {
				known = append(known, st.ID)
			}
			for _, id := range FixedStageIDs {
				if !slices.Contains(known, id) {
					known = append(known, id)
				}
			}
			return nil, &UnknownValueError{Kind: "stage", Index: i, Value: v, ProjectID: p.ID, Known: known}
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// resolveStage returns the id of the stage v names, by id or else by name.
func resolveStage(p *Project, v string) (string, bool) {
	for _, st := range p.Stages {
		if st.ID == v {
			return st.ID, true
		}
	}
	for _, st := range p.Stages {
		if st.Name == v {
			return st.ID, true
		}
	}
	if slices.Contains(FixedStageIDs, v) {
		return v, true
	}
	return "", false
}

// ResolveBatches returns the ids and names of the batches of p that values
// name, by id or else by name, in order and without duplicates. The first
// unknown value gives an *UnknownValueError.
func ResolveBatches(p *Project, values []string) (ids, names []string, err error) {
	for i, v := range values {
		v = strings.TrimSpace(v)
		j := slices.IndexFunc(p.Batches, func(b Batch) bool { return b.ID == v })
		if j < 0 {
			j = slices.IndexFunc(p.Batches, func(b Batch) bool { return b.Name == v })
		}
		if j < 0 {
			return nil, nil, &UnknownValueError{Kind: "batch", Index: i, Value: v, ProjectID: p.ID}
		}
		if b := p.Batches[j]; !slices.Contains(ids, b.ID) {
			ids = append(ids, b.ID)
			names = append(names, b.Name)
		}
	}
	return ids, names, nil
}

// StageName returns the name of stage id in p, or id itself.
func StageName(p *Project, id string) string {
	for _, st := range p.Stages {
		if st.ID == id && st.Name != "" {
			return st.Name
		}
	}
	return id
}

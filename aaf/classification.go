package aaf

import (
	"encoding/json"
	"strings"
)

// Classification is one classification answer: task level, nested under an
// object, or nested under another classification.
type Classification struct {
	// ObjectID is the answer's id, key "objectId" (absent in legacy data).
	ObjectID string
	// SchemaID is the id of the classification class, key "schemaId".
	SchemaID string
	// Tool is the classification type, key "tool": "radio", "checkbox",
	// "text", "single-dropdown", "multi-dropdown", "tree-dropdown", ...
	Tool string
	// Title is the question or class name, key "title".
	Title string
	// Answer is the answer, key "answer".
	Answer Answer
	// Classifications holds nested follow-up answers.
	Classifications []*Classification
	// Page is the 0-based page or frame, key "page"; nil when absent.
	Page *int
	// InterpolationStopped marks the frame from which the answer no longer applies.
	InterpolationStopped bool
	// Extra holds every other key (metadata, columnField, ...).
	Extra map[string]json.RawMessage

	// has records which known keys were present in the source.
	has fieldSet
}

// Answer is a classification answer. A radio, text or single-dropdown answer
// is one string; checkbox, multi-dropdown and tree-dropdown answers are
// lists of strings (tree paths joined by " / ").
type Answer struct {
	// Values holds the string, or the strings of the list.
	Values []string
	// List is true when the answer was a JSON array.
	List bool
	// Present is false when the "answer" key was absent.
	Present bool
	// Raw holds an answer that is neither a string nor a list of strings,
	// kept as is; Values is then empty.
	Raw json.RawMessage
}

// String returns the answer's values joined by ", ".
func (a Answer) String() string { return strings.Join(a.Values, ", ") }

// Relation is a relation between objects: single (From, To, Direction) or
// group (Group).
type Relation struct {
	// ObjectID is the relation's id, key "objectId".
	ObjectID string
	// SchemaID is the relation class id, key "schemaId".
	SchemaID string
	// Title is the relation class name, key "title".
	Title string
	// From is the objectId clicked first (single relations).
	From string
	// To is the objectId clicked second (single relations).
	To string
	// Direction is "straight", "reverse" or "bidirectional" (single
	// relations); "" when absent, which means "straight".
	Direction string
	// Group holds the member objectIds (group relations).
	Group []string
	// Page is the 0-based frame, key "page"; nil when absent.
	Page *int
	// Extra holds every other key.
	Extra map[string]json.RawMessage

	// has records which known keys were present in the source.
	has fieldSet
}

// IsGroup reports whether the relation is a group relation.
func (r *Relation) IsGroup() bool { return r.Group != nil }

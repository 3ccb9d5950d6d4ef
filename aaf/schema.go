package aaf

import "encoding/json"

// CategorySchema is a project's category schema: the classes annotators
// can draw (Tools), the questions they answer (Classifications) and the
// relation classes. Converters use it for stable class ids and order.
type CategorySchema struct {
	// Tools holds the classes of annotation objects.
	Tools []SchemaClass `json:"tools"`
	// Classifications holds the task-level questions.
	Classifications []SchemaClass `json:"classifications"`
	// Relations holds the relation classes.
	Relations []SchemaClass `json:"relations"`
}

// SchemaClass is one class of a category schema.
type SchemaClass struct {
	// SchemaID is the class id that annotations refer to.
	SchemaID string `json:"schemaId"`
	// Title is the class name.
	Title string `json:"title"`
	// Tool is the tool or classification type ("bounding-box", "radio", ...).
	Tool string `json:"tool"`
	// Color is the class colour as "#rrggbb"; may be empty.
	Color string `json:"color,omitempty"`
	// Required reports whether an answer is required.
	Required bool `json:"required,omitempty"`
	// Options holds the options of a choice classification.
	Options []SchemaOption `json:"options,omitempty"`
	// Classifications holds the nested classifications of the class.
	Classifications []SchemaClass `json:"classifications,omitempty"`
	// Extra holds the class's other keys as raw JSON.
	Extra map[string]json.RawMessage `json:"-"`
}

// SchemaOption is one option of a choice classification.
type SchemaOption struct {
	// SchemaID is the option's id.
	SchemaID string `json:"schemaId"`
	// Value is the option label, as written in exported answers.
	Value string `json:"value"`
}

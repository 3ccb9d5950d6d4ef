package convert

import "fmt"

// Values of the "categories" option.
const (
	// CategoriesTitle keys classes by their title: two schema classes with
	// the same title are one class. The default.
	CategoriesTitle = "title"
	// CategoriesSchemaID keys classes by schemaId: one class per schema
	// class, named by its title.
	CategoriesSchemaID = "schemaId"
)

// Common holds the options every format accepts. The zero value means all
// defaults.
type Common struct {
	// Strict fails the whole run on the first per-asset problem (e.g. an
	// image without width/height for a normalized format) instead of
	// skipping that asset and reporting it. Defaults to false.
	Strict bool `json:"strict"`
	// Categories says how objects map to classes: CategoriesTitle or
	// CategoriesSchemaID. Defaults to CategoriesTitle.
	Categories string `json:"categories"`
	// Classes fixes the class list and its order (titles, or schemaIds
	// with CategoriesSchemaID). Objects of other classes are skipped and
	// counted. Defaults to the schema order, then first-seen order.
	Classes []string `json:"classes"`
	// IncludeSkipped also converts assets whose task the labeler skipped
	// (isSkipped). Defaults to false: such assets are not annotated and
	// would otherwise teach a model that they hold nothing.
	IncludeSkipped bool `json:"includeSkipped"`
}

// Validate checks the option values; the error names the option.
func (c Common) Validate() error {
	switch c.Categories {
	case "", CategoriesTitle, CategoriesSchemaID:
	default:
		return fmt.Errorf("option %q must be %q or %q, got %q", "categories", CategoriesTitle, CategoriesSchemaID, c.Categories)
	}
	seen := make(map[string]bool, len(c.Classes))
	for i, name := range c.Classes {
		if name == "" {
			return fmt.Errorf("option %q: entry %d is empty", "classes", i)
		}
		if seen[name] {
			return fmt.Errorf("option %q: %q is listed twice", "classes", name)
		}
		seen[name] = true
	}
	return nil
}

// OptionDoc documents one option of a format for `exporthub formats list`
// and for the registry's error messages.
type OptionDoc struct {
	// Name is the Config JSON key.
	Name string `json:"name"`
	// Type is the JSON type: "boolean", "string", "number" or "array of string".
	Type string `json:"type"`
	// Default is the value used when the key is absent, as JSON text.
	Default string `json:"default"`
	// Doc says what the option does.
	Doc string `json:"doc"`
}

// CommonOptions documents the options of [Common].
func CommonOptions() []OptionDoc {
	return []OptionDoc{
		{Name: "strict", Type: "boolean", Default: "false", Doc: "fail the run on the first asset that cannot be converted instead of skipping and reporting it"},
		{Name: "categories", Type: "string", Default: `"title"`, Doc: `"title": one class per class title; "schemaId": one class per schema class`},
		{Name: "classes", Type: "array of string", Default: "schema order, then first seen", Doc: "fixed class list and order (titles, or schemaIds with categories \"schemaId\"); other objects are skipped and counted"},
		{Name: "includeSkipped", Type: "boolean", Default: "false", Doc: "also convert assets whose task was skipped by the labeler"},
	}
}

// Description describes a format for listings and docs.
type Description struct {
	// Name is the value of the "format" key.
	Name string `json:"name"`
	// Summary is one line about the output.
	Summary string `json:"summary"`
	// Options documents the format's own options (the common ones are
	// listed by [CommonOptions]).
	Options []OptionDoc `json:"options"`
}

package convert

import (
	"fmt"
	"math"

	"github.com/exporthub/exporthub/aaf"
)

// Classes maps objects to 0-based class indexes in a stable order:
//
//  1. With the "classes" option: exactly that list, in that order; objects
//     of other classes are refused. With CategoriesSchemaID a class is
//     named by its schema title, or by the title of its first object when
//     the schema does not list it.
//  2. Otherwise the tool classes of the category schema in schema order
//     (deduplicated by title with CategoriesTitle), followed by classes
//     missing from the schema in the order they are first seen.
//  3. With no schema, classes in the order they are first seen in the
//     export, which is the same on every run over the same export.
//
// Classes is not safe for concurrent use.
type Classes struct {
	bySchemaID bool
	fixed      bool
	index      map[string]int
	names      []string
	colors     []string
	// unnamed marks fixed schemaId classes that the schema did not name;
	// they take the title of their first object.
	unnamed map[int]bool
}

// NewClasses returns the class list for a run.
func NewClasses(schema aaf.CategorySchema, o Common) *Classes {
	c := &Classes{bySchemaID: o.Categories == CategoriesSchemaID, index: make(map[string]int)}
	if len(o.Classes) > 0 {
		c.fixed = true
		byKey := make(map[string]aaf.SchemaClass, len(schema.Tools))
		for _, sc := range schema.Tools {
			if key := c.keyOf(sc.SchemaID, sc.Title); byKey[key].SchemaID == "" {
				byKey[key] = sc
			}
		}
		for _, key := range o.Classes {
			sc := byKey[key]
			name := key
			if c.bySchemaID {
				name = nonEmpty(sc.Title, key)
			}
			i := c.add(key, name, sc.Color)
			if c.bySchemaID && sc.Title == "" {
				if c.unnamed == nil {
					c.unnamed = make(map[int]bool)
				}
				c.unnamed[i] = true
			}
		}
		return c
	}
	for _, sc := range schema.Tools {
		key := c.keyOf(sc.SchemaID, sc.Title)
		if _, ok := c.index[key]; !ok {
			c.add(key, nonEmpty(sc.Title, sc.SchemaID), sc.Color)
		}
	}
	return c
}

func (c *Classes) keyOf(schemaID, title string) string {
	if c.bySchemaID || title == "" {
		return schemaID
	}
	return title
}

func (c *Classes) add(key, name, color string) int {
	i := len(c.names)
	c.index[key] = i
	c.names = append(c.names, name)
	c.colors = append(c.colors, color)
	return i
}

// Index returns the class index of t, adding its class to the end of the
// list when the list is not fixed. It returns false when the "classes"
// option does not list the class.
func (c *Classes) Index(t *aaf.Tool) (int, bool) {
	key := c.keyOf(t.SchemaID, t.Title)
	if i, ok := c.index[key]; ok {
		if c.unnamed[i] && t.Title != "" {
			c.names[i] = t.Title
			delete(c.unnamed, i)
		}
		return i, true
	}
	if c.fixed {
		return 0, false
	}
	return c.add(key, nonEmpty(t.Title, t.SchemaID), ""), true
}

// NotListed returns the skip reason for an object that Index refused.
func (c *Classes) NotListed(t *aaf.Tool) string {
	return fmt.Sprintf("class %q not in the classes option", c.keyOf(t.SchemaID, t.Title))
}

// Names returns the class names in index order. The slice must not be
// modified.
func (c *Classes) Names() []string { return c.names }

// Len returns the number of classes.
func (c *Classes) Len() int { return len(c.names) }

// Color returns the colour of class i as "#rrggbb": the schema colour when
// it has one, else a colour spread around the hue circle by i.
func (c *Classes) Color(i int) string {
	if i < len(c.colors) {
		if col := c.colors[i]; len(col) == 7 && col[0] == '#' {
			return col
		}
	}
	r, g, b := PaletteColor(i)
	return fmt.Sprintf("#%02x%02x%02x", r, g, b)
}

// PaletteColor returns a distinct, stable RGB colour for index i (golden
// angle steps around the hue circle).
func PaletteColor(i int) (r, g, b uint8) {
	h := math.Mod(float64(i)*137.508, 360) / 60
	const s, v = 0.65, 0.95
	f := h - math.Floor(h)
	p, q, t := v*(1-s), v*(1-s*f), v*(1-s*(1-f))
	var rf, gf, bf float64
	switch int(h) {
	case 0:
		rf, gf, bf = v, t, p
	case 1:
		rf, gf, bf = q, v, p
	case 2:
		rf, gf, bf = p, v, t
	case 3:
		rf, gf, bf = p, q, v
	case 4:
		rf, gf, bf = t, p, v
	default:
		rf, gf, bf = v, p, q
	}
	return uint8(rf*255 + 0.5), uint8(gf*255 + 0.5), uint8(bf*255 + 0.5)
}

func nonEmpty(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

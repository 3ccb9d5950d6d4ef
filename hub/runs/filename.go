package runs

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/exporthub/exporthub/hub/blob"
)

// ExportTimeLayout is the UTC time in export file names: ISO 8601's basic
// form, which sorts by time and has no character file systems refuse.
const ExportTimeLayout = "20060102T150405Z"

// maxNamePart bounds the project and format parts of an export file name,
// in bytes.
const maxNamePart = 60

// ExportFileName returns the name people see for a run's export:
// "<project>-<format or plugin>-<UTC time>.zip", each part sanitised for
// every file system (letters, digits, '-', '_', '.'; anything else becomes
// '_'). label is the "format" of the run's Config JSON when it has one
// (the built-in formats plugin's choice), else the plugin's name; an empty
// part falls back to the project or plugin id.
func ExportFileName(projectName, projectID, configJSON, pluginName, pluginID string, at time.Time) string {
	label := configFormat(configJSON)
	if label == "" {
		label = namePart(pluginName, pluginID)
	} else {
		label = namePart(label, pluginID)
	}
	name := namePart(projectName, projectID) + "-" + label + "-" + at.UTC().Format(ExportTimeLayout) + ".zip"
	if s, err := blob.SanitizeFileName(name); err == nil {
		return s
	}
	return name
}

// configFormat returns the string "format" of a Config JSON object, "" when
// there is none.
func configFormat(configJSON string) string {
	var c struct {
		Format any `json:"format"`
	}
	if json.Unmarshal([]byte(configJSON), &c) != nil {
		return ""
	}
	s, _ := c.Format.(string)
	return s
}

// namePart sanitises one part of an export file name: runs of other
// characters become one '_', the ends are trimmed, and fallback is used
// when nothing is left.
func namePart(s, fallback string) string {
	var b strings.Builder
	under := false
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.'
		if !ok {
			if !under && b.Len() > 0 {
				b.WriteByte('_')
			}
			under = true
			continue
		}
		under = false
		b.WriteRune(r)
	}
	out := strings.Trim(b.String(), "._-")
	if len(out) > maxNamePart {
		out = strings.TrimRight(out[:maxNamePart], "._-")
	}
	if out == "" {
		return fallback
	}
	return out
}

package blob

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Type is the kind of file an object holds; it is the `type` query
// parameter of /v2/getUploadUrl and /v2/getSignedUrl.
type Type string

// The object types the Ango-compatible API accepts.
const (
	TypeExports        Type = "exports"
	TypeAssets         Type = "assets"
	TypeBrushes        Type = "brushes"
	TypeMedicalBrushes Type = "medicalBrushes"
	TypeInstructions   Type = "instructions"
)

// Types lists every valid Type.
var Types = []Type{TypeExports, TypeAssets, TypeBrushes, TypeMedicalBrushes, TypeInstructions}

// ParseType returns s as a Type. It returns an error wrapping ErrInvalidKey
// that names the valid values when s is not one of them.
func ParseType(s string) (Type, error) {
	for _, t := range Types {
		if string(t) == s {
			return t, nil
		}
	}
	return "", fmt.Errorf("%w: type %q is not one of exports, assets, brushes, medicalBrushes, instructions", ErrInvalidKey, s)
}

// MaxFileNameLength bounds the file name part of a key, in bytes.
const MaxFileNameLength = 128

// maxExtLength bounds the extension kept when a long name is shortened.
const maxExtLength = 24

// maxIDLength bounds organization and project ids in keys.
const maxIDLength = 64

// Key is the parsed form of an object key issued by the hub:
//
//	orgs/<OrgID>/projects/<ProjectID>/<Type>/<Year>/<ID>/<FileName>
//
// Keys use only ASCII letters, digits and "._-/", so they appear unchanged
// in URL paths and in every supported bucket.
type Key struct {
	OrgID     string
	ProjectID string
	Type      Type
	// Year is the UTC year the key was made in.
	Year int
	// ID is a random 32-hex-character component that makes the key unique
	// and unguessable.
	ID string
	// FileName is the sanitised file name (see SanitizeFileName).
	FileName string
}

// NewKey returns a new unique key for a file of the given type, named
// name, in a project of an organization. The name is sanitised with
// SanitizeFileName. Errors wrap ErrInvalidKey and name the bad field.
func NewKey(orgID, projectID string, typ Type, name string, now time.Time) (Key, error) {
	if err := checkID("organization id", orgID); err != nil {
		return Key{}, err
	}
	if err := checkID("project id", projectID); err != nil {
		return Key{}, err
	}
	if _, err := ParseType(string(typ)); err != nil {
		return Key{}, err
	}
	fileName, err := SanitizeFileName(name)
	if err != nil {
		return Key{}, err
	}
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return Key{
		OrgID:     orgID,
		ProjectID: projectID,
		Type:      typ,
		Year:      now.UTC().Year(),
		ID:        hex.EncodeToString(b[:]),
		FileName:  fileName,
	}, nil
}

// String returns the object key.
func (k Key) String() string {
	return "orgs/" + k.OrgID + "/projects/" + k.ProjectID + "/" + string(k.Type) + "/" +
		strconv.Itoa(k.Year) + "/" + k.ID + "/" + k.FileName
}

// ParseKey parses an object key made by NewKey. Errors wrap ErrInvalidKey
// and say which part is wrong.
func ParseKey(s string) (Key, error) {
	parts := strings.Split(s, "/")
	if len(parts) != 8 || parts[0] != "orgs" || parts[2] != "projects" {
		return Key{}, fmt.Errorf("%w: %q is not of the form orgs/<org>/projects/<project>/<type>/<year>/<id>/<name>", ErrInvalidKey, s)
	}
	k := Key{OrgID: parts[1], ProjectID: parts[3], ID: parts[6], FileName: parts[7]}
	if err := checkID("organization id", k.OrgID); err != nil {
		return Key{}, err
	}
	if err := checkID("project id", k.ProjectID); err != nil {
		return Key{}, err
	}
	t, err := ParseType(parts[4])
	if err != nil {
		return Key{}, err
	}
	k.Type = t
	year, err := strconv.Atoi(parts[5])
	if err != nil || len(parts[5]) != 4 || year < 1970 {
		return Key{}, fmt.Errorf("%w: year %q in key is not a 4-digit year", ErrInvalidKey, parts[5])
	}
	k.Year = year
	if len(k.ID) != 32 || strings.Trim(k.ID, "0123456789abcdef") != "" {
		return Key{}, fmt.Errorf("%w: id %q in key is not 32 lowercase hex characters", ErrInvalidKey, k.ID)
	}
	if clean, err := SanitizeFileName(k.FileName); err != nil || clean != k.FileName {
		return Key{}, fmt.Errorf("%w: file name %q in key is not sanitised", ErrInvalidKey, k.FileName)
	}
	return k, nil
}

// checkID validates an organization or project id used in a key: 1 to 64
// ASCII letters, digits, '-' or '_'.
func checkID(field, id string) error {
	if id == "" {
		return fmt.Errorf("%w: %s is empty", ErrInvalidKey, field)
	}
	if len(id) > maxIDLength {
		return fmt.Errorf("%w: %s is longer than %d characters", ErrInvalidKey, field, maxIDLength)
	}
	for _, c := range []byte(id) {
		if !isIDByte(c) {
			return fmt.Errorf("%w: %s %q may only hold letters, digits, '-' and '_'", ErrInvalidKey, field, id)
		}
	}
	return nil
}

func isIDByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// SanitizeFileName turns a client-supplied file name into the last
// component of an object key:
//
//   - only the part after the last '/' or '\' is kept;
//   - every run of characters other than ASCII letters, digits, '.', '-'
//     and '_' becomes one '_';
//   - runs of dots and of underscores become one, trailing dots are
//     dropped, and the name never starts with '.', '-' or '_' nor holds
//     ".." (no hidden files, no parent references);
//   - names longer than MaxFileNameLength bytes are shortened, keeping the
//     extension;
//   - a name left without a stem becomes "file" plus its extension;
//   - the extension ".attrs", reserved by the local bucket, becomes
//     "_attrs".
//
// It returns an error wrapping ErrInvalidKey only when name is empty or
// blank.
func SanitizeFileName(name string) (string, error) {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	if strings.TrimSpace(name) == "" {
		return "", fmt.Errorf("%w: file name is empty", ErrInvalidKey)
	}
	// Shortening can expose a new extension, or leave a separator before
	// it, so apply the rules until nothing changes: the result of
	// SanitizeFileName is always a fixed point of it. Each round only
	// removes characters, except that an empty stem becomes "file" once.
	s := sanitizeOnce(name)
	for range 8 {
		next := sanitizeOnce(s)
		if next == s {
			break
		}
		s = next
	}
	return s, nil
}

// sanitizeOnce applies the rules of SanitizeFileName once to a name
// without directory.
func sanitizeOnce(name string) string {
	var b strings.Builder
	var last byte
	for _, r := range name {
		var c byte
		switch {
		case r < 0x80 && (isIDByte(byte(r)) || r == '.'):
			c = byte(r)
		default:
			c = '_'
		}
		if (c == '_' || c == '.') && last == c {
			continue
		}
		b.WriteByte(c)
		last = c
	}
	s := strings.TrimRight(b.String(), ".")
	stem, ext := splitExt(s)
	if len(ext) > maxExtLength {
		stem, ext = s, ""
	}
	stem = strings.TrimLeft(stem, ".-_")
	if len(stem)+len(ext) > MaxFileNameLength {
		stem = stem[:MaxFileNameLength-len(ext)]
	}
	// No trailing '.' or '_' on the stem, so stem+ext never holds "..".
	stem = strings.TrimRight(stem, "._")
	if stem == "" {
		stem = "file"
	}
	if strings.EqualFold(ext, reservedExt) {
		ext = "_" + ext[1:]
	}
	return stem + ext
}

// reservedExt ends the metadata files of the local (file://) bucket; no
// object key may end with it.
const reservedExt = ".attrs"

// splitExt splits s before its last dot; ext is "" when s has no dot.
func splitExt(s string) (stem, ext string) {
	i := strings.LastIndexByte(s, '.')
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i:]
}

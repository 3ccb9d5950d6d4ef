package blob_test

import (
	"strings"
	"testing"
	"time"

	"github.com/exporthub/exporthub/hub/blob"
	"github.com/stretchr/testify/require"
)

func TestSanitizeFileName(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 300)
	tests := []struct {
		name, in, want string
	}{
		{"Plain", "export.zip", "export.zip"},
		{"Spaces", "my export (final).zip", "my_export_final.zip"},
		{"ParentDirs", "../../etc/passwd", "passwd"},
		{"AbsolutePath", "/abs/path/file.zip", "file.zip"},
		{"WindowsPath", `C:\Users\me\out.zip`, "out.zip"},
		{"HiddenFile", "..hidden", "file.hidden"},
		{"OnlyExtension", ".zip", "file.zip"},
		{"DoubleDots", "a..b.zip", "a.b.zip"},
		{"TrailingDots", "name...", "name"},
		{"NonASCII", "日本語.zip", "file.zip"},
		{"Accents", "résumé.pdf", "r_sum.pdf"},
		{"ControlChars", "a\x00b\nc.zip", "a_b_c.zip"},
		{"UnderscoreBeforeExt", "a._.zip", "a.zip"},
		{"MultipleExtensions", "x.tar.gz", "x.tar.gz"},
		{"Dashes", "-report-2024-01-01.zip", "report-2024-01-01.zip"},
		{"DotDotOnly", "a/..", "file"},
		{"Long", long + ".zip", long[:blob.MaxFileNameLength-4] + ".zip"},
		{"LongExtension", "a." + long, ("a." + long)[:blob.MaxFileNameLength]},
		{"QueryChars", "a?b&c=d#e.zip", "a_b_c_d_e.zip"},
		{"Percent", "100%.zip", "100.zip"},
		{"ReservedExtension", "meta.ATTRS", "meta_ATTRS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := blob.SanitizeFileName(tt.in)
			require.NoError(t, err)
			require.Equal(t, tt.want, got, "SanitizeFileName(%q)", tt.in)
		})
	}
	t.Run("Empty", func(t *testing.T) {
		t.Parallel()
		for _, in := range []string{"", "   ", "dir/", `dir\`} {
			_, err := blob.SanitizeFileName(in)
			require.ErrorIs(t, err, blob.ErrInvalidKey, "SanitizeFileName(%q)", in)
			require.ErrorContains(t, err, "file name is empty")
		}
	})
}

func FuzzSanitizeFileName(f *testing.F) {
	for _, s := range []string{"export.zip", "../x", ".zip", "a._.zip", "日本語.zip", strings.Repeat("a.", 100), "a.b_c-d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := blob.SanitizeFileName(in)
		if err != nil {
			return
		}
		require.NotEmpty(t, got)
		require.LessOrEqual(t, len(got), blob.MaxFileNameLength)
		require.NotContains(t, got, "..")
		require.NotContains(t, got, "/")
		require.NoError(t, blob.CheckObjectKey(got))
		require.NotContains(t, ".-_", got[:1], "name %q starts with %q", got, got[:1])
		again, err := blob.SanitizeFileName(got)
		require.NoError(t, err)
		require.Equal(t, got, again, "SanitizeFileName is not idempotent on %q", in)
	})
}

func TestNewKey(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		k, err := blob.NewKey("64a1b2c3d4e5f60718293a4b", "p_1-x", blob.TypeMedicalBrushes, "../mask.seg.nrrd", now)
		require.NoError(t, err)
		require.Equal(t, 2025, k.Year)
		require.Len(t, k.ID, 32)
		require.Equal(t, "orgs/64a1b2c3d4e5f60718293a4b/projects/p_1-x/medicalBrushes/2025/"+k.ID+"/mask.seg.nrrd", k.String())
		parsed, err := blob.ParseKey(k.String())
		require.NoError(t, err)
		require.Equal(t, k, parsed)
		other, err := blob.NewKey("64a1b2c3d4e5f60718293a4b", "p_1-x", blob.TypeMedicalBrushes, "../mask.seg.nrrd", now)
		require.NoError(t, err)
		require.NotEqual(t, k.String(), other.String(), "keys must be unique")
	})
	t.Run("Invalid", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name, org, project string
			typ                blob.Type
			file, wantErr      string
		}{
			{"NoOrg", "", "p", blob.TypeExports, "a.zip", "organization id is empty"},
			{"SlashInOrg", "o/1", "p", blob.TypeExports, "a.zip", `organization id "o/1" may only hold letters, digits, '-' and '_'`},
			{"LongProject", "o", strings.Repeat("p", 65), blob.TypeExports, "a.zip", "project id is longer than 64 characters"},
			{"DotsProject", "o", "..", blob.TypeExports, "a.zip", `project id ".." may only hold`},
			{"Type", "o", "p", "export", "a.zip", `type "export" is not one of exports, assets, brushes, medicalBrushes, instructions`},
			{"NoName", "o", "p", blob.TypeExports, " ", "file name is empty"},
		}
		for _, tt := range tests {
			_, err := blob.NewKey(tt.org, tt.project, tt.typ, tt.file, now)
			require.ErrorIs(t, err, blob.ErrInvalidKey, "case %s", tt.name)
			require.ErrorContains(t, err, tt.wantErr, "case %s", tt.name)
		}
	})
}

func TestParseKey(t *testing.T) {
	t.Parallel()
	const id = "0123456789abcdef0123456789abcdef"
	tests := []struct {
		name, key, wantErr string
	}{
		{"Shape", "orgs/o/p/exports/2025/" + id + "/a.zip", "is not of the form orgs/<org>/projects/<project>/<type>/<year>/<id>/<name>"},
		{"ExtraSegment", "orgs/o/projects/p/exports/2025/" + id + "/x/a.zip", "is not of the form"},
		{"Type", "orgs/o/projects/p/exportz/2025/" + id + "/a.zip", `type "exportz" is not one of`},
		{"Year", "orgs/o/projects/p/exports/25/" + id + "/a.zip", `year "25" in key is not a 4-digit year`},
		{"ID", "orgs/o/projects/p/exports/2025/XYZ/a.zip", `id "XYZ" in key is not 32 lowercase hex characters`},
		{"UnsanitisedName", "orgs/o/projects/p/exports/2025/" + id + "/..", `file name ".." in key is not sanitised`},
		{"Org", "orgs/o.o/projects/p/exports/2025/" + id + "/a.zip", `organization id "o.o" may only hold`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := blob.ParseKey(tt.key)
			require.ErrorIs(t, err, blob.ErrInvalidKey)
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func FuzzParseKey(f *testing.F) {
	f.Add("orgs/o/projects/p/exports/2025/0123456789abcdef0123456789abcdef/a.zip")
	f.Add("orgs/o/projects/p/exports/2025/0123456789abcdef0123456789abcdef/..")
	f.Add("orgs//projects/p/exports/0000/0123456789abcdef0123456789abcdef/a")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := blob.ParseKey(s)
		if err != nil {
			require.ErrorIs(t, err, blob.ErrInvalidKey)
			return
		}
		require.Equal(t, s, k.String(), "ParseKey(%q).String()", s)
		require.NoError(t, blob.CheckObjectKey(s))
	})
}

func TestParseType(t *testing.T) {
	t.Parallel()
	for _, typ := range blob.Types {
		got, err := blob.ParseType(string(typ))
		require.NoError(t, err)
		require.Equal(t, typ, got)
	}
	_, err := blob.ParseType("Exports")
	require.ErrorIs(t, err, blob.ErrInvalidKey)
}

func TestContentTypeFor(t *testing.T) {
	t.Parallel()
	for key, want := range map[string]string{
		"a/b.zip":    "application/zip",
		"a/b.ZIP":    "application/zip",
		"a/b.json":   "application/json",
		"a/b.ndjson": "application/x-ndjson",
		"a/b":        "application/octet-stream",
		"a/b.png":    "image/png",
	} {
		require.Equal(t, want, blob.ContentTypeFor(key), "key %s", key)
	}
}

package plugin_test

import (
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPackageDocs checks that the SDK packages (and the protocol package
// they share with the hub) and every exported name in them have a doc
// comment starting with the name.
func TestPackageDocs(t *testing.T) {
	t.Parallel()
	for _, dir := range []string{".", "plugintest", "internal/scenario", "../internal/wire", "../internal/wire/wiretest"} {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			fset := token.NewFileSet()
			pkgs, err := parser.ParseDir(fset, dir, func(fi os.FileInfo) bool {
				return !strings.HasSuffix(fi.Name(), "_test.go")
			}, parser.ParseComments)
			require.NoError(t, err)
			require.Len(t, pkgs, 1)
			for _, p := range pkgs {
				files := make([]*ast.File, 0, len(p.Files))
				for _, f := range p.Files {
					files = append(files, f)
				}
				d, err := doc.NewFromFiles(fset, files, "example.com/"+p.Name)
				require.NoError(t, err)
				require.NotEmpty(t, d.Doc, "package %s has no doc comment", p.Name)
				check := func(name, text string) {
					require.True(t, strings.HasPrefix(text, name+" ") || strings.HasPrefix(text, "A "+name) || strings.HasPrefix(text, "An "+name),
						"%s: doc comment %q does not start with its name", name, firstLine(text))
				}
				for _, f := range d.Funcs {
					check(f.Name, f.Doc)
				}
				for _, ty := range d.Types {
					check(ty.Name, ty.Doc)
					for _, f := range ty.Funcs {
						check(f.Name, f.Doc)
					}
					for _, m := range ty.Methods {
						check(m.Name, m.Doc)
					}
				}
				for _, v := range append(d.Vars, d.Consts...) {
					require.NotEmpty(t, v.Doc, "%v has no doc comment", v.Names)
				}
			}
		})
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

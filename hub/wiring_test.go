package hub_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNoInitHooks keeps the server's wiring explicit: New builds the
// parts in order and routes.go lists every route, so no file of package
// hub may register anything from an init function.
func TestNoInitHooks(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && fn.Name.Name == "init" {
				t.Errorf("%s: an init function at line %d: wire it in New or routes.go instead", name, fset.Position(fn.Pos()).Line)
			}
		}
	}
}

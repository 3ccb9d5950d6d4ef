package hub_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAPIDocs_EveryRoute requires docs/api.md to document every route the
// hub package registers with a method (s.Handle(mux, "METHOD /path", ...)):
// a new endpoint needs its section.
func TestAPIDocs_EveryRoute(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(filepath.Join("..", "docs", "api.md"))
	require.NoError(t, err)
	placeholder := regexp.MustCompile(`\{[^}]*\}`)
	normalize := func(route string) string {
		route = placeholder.ReplaceAllString(route, "{}")
		if i := strings.IndexAny(route, "?["); i >= 0 {
			route = route[:i]
		}
		return route
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("`((?:GET|POST|PUT|PATCH|DELETE) /[^`]*)`").FindAllStringSubmatch(string(doc), -1) {
		documented[normalize(m[1])] = true
	}

	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	registered := regexp.MustCompile(`s\.Handle\(mux, "((?:GET|POST|PUT|PATCH|DELETE) [^"]+)"`)
	var routes []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range registered.FindAllStringSubmatch(string(src), -1) {
			routes = append(routes, m[1])
		}
	}
	require.Greater(t, len(routes), 40, "the routes were found in the source")
	for _, r := range routes {
		require.True(t, documented[normalize(r)], "docs/api.md does not document %s", r)
	}
}

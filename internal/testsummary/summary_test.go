package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// events is a go test -json stream: a pass, a skip with its reason, a
// failing test with its output, a package without tests and a build
// failure.
const events = `{"Action":"run","Package":"ex/a","Test":"TestOK"}
{"Action":"pass","Package":"ex/a","Test":"TestOK","Elapsed":0.1}
{"Action":"run","Package":"ex/a","Test":"TestBrowser"}
{"Action":"output","Package":"ex/a","Test":"TestBrowser","Output":"=== RUN   TestBrowser\n"}
{"Action":"output","Package":"ex/a","Test":"TestBrowser","Output":"    harness_test.go:40: no chromium in PATH\n"}
{"Action":"output","Package":"ex/a","Test":"TestBrowser","Output":"--- SKIP: TestBrowser (0.00s)\n"}
{"Action":"skip","Package":"ex/a","Test":"TestBrowser","Elapsed":0}
{"Action":"run","Package":"ex/a","Test":"TestBad"}
{"Action":"output","Package":"ex/a","Test":"TestBad","Output":"    a_test.go:9: got 2, want 1\n"}
{"Action":"fail","Package":"ex/a","Test":"TestBad","Elapsed":0.2}
{"Action":"fail","Package":"ex/a","Elapsed":1.5}
{"Action":"output","Package":"ex/b","Output":"?   \tex/b\t[no test files]\n"}
{"Action":"skip","Package":"ex/b","Elapsed":0}
{"ImportPath":"ex/c [ex/c.test]","Action":"build-output","Output":"c.go:3:1: syntax error\n"}
{"ImportPath":"ex/c [ex/c.test]","Action":"build-fail"}
`

func TestRead(t *testing.T) {
	t.Parallel()
	var live, out bytes.Buffer
	s, err := Read(strings.NewReader(events), &live)
	require.NoError(t, err)
	require.False(t, s.OK())
	require.Contains(t, live.String(), "--- FAIL ex/a TestBad (0.2s)\n    a_test.go:9: got 2, want 1\n", "a failure's output is shown as it fails")
	require.Contains(t, live.String(), "--- BUILD FAILED ex/c [ex/c.test]\nc.go:3:1: syntax error\n")
	s.Write(&out)
	require.Equal(t, `
==== test summary
packages: 2 (1 failed, 1 without tests)
tests:    3 run, 1 passed, 1 failed, 1 skipped (top-level tests; package time 2s)
skipped (1, with subtests):
  ex/a TestBrowser: no chromium in PATH
BUILD FAILED: ex/c [ex/c.test]
FAILED: ex/a TestBad
FAIL
`, out.String())
}

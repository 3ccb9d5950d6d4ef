package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action     string  `json:"Action"`
	Package    string  `json:"Package"`
	Test       string  `json:"Test"`
	Output     string  `json:"Output"`
	Elapsed    float64 `json:"Elapsed"`
	ImportPath string  `json:"ImportPath"` // build events
}

// Skip is one skipped test with the reason it printed.
type Skip struct {
	Package, Test, Reason string
}

// Summary counts a test run.
type Summary struct {
	Packages, PackagesFailed, PackagesNoTests int
	Run, Passed, Failed, Skipped              int
	Skips                                     []Skip
	FailedTests                               []string // "package TestName"
	BuildFailed                               []string
	Elapsed                                   time.Duration
}

// OK reports whether nothing failed.
func (s *Summary) OK() bool {
	return s.Failed == 0 && s.PackagesFailed == 0 && len(s.BuildFailed) == 0
}

// Read consumes the events of r. The output of a test (or package) that
// fails is written to live when it fails; lines that are not JSON (a
// build error printed by go test itself) are copied to live as they come.
func Read(r io.Reader, live io.Writer) (*Summary, error) {
	s := &Summary{}
	output := map[string][]string{} // "pkg\x00test" -> output lines
	buildOut := map[string][]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			fmt.Fprintln(live, string(line))
			continue
		}
		key := e.Package + "\x00" + e.Test
		switch e.Action {
		case "build-output":
			buildOut[e.ImportPath] = append(buildOut[e.ImportPath], e.Output)
		case "build-fail":
			s.BuildFailed = append(s.BuildFailed, e.ImportPath)
			fmt.Fprintf(live, "--- BUILD FAILED %s\n%s", e.ImportPath, strings.Join(buildOut[e.ImportPath], ""))
		case "output":
			output[key] = append(output[key], e.Output)
		case "run":
			if e.Test != "" && !strings.Contains(e.Test, "/") {
				s.Run++
			}
		case "pass", "fail", "skip":
			if e.Test == "" {
				s.pkgEnd(e, output[key], live)
			} else {
				s.testEnd(e, output[key], live)
			}
			delete(output, key)
		}
	}
	return s, sc.Err()
}

// pkgEnd counts a package's result.
func (s *Summary) pkgEnd(e event, out []string, live io.Writer) {
	s.Packages++
	s.Elapsed += time.Duration(e.Elapsed * float64(time.Second))
	switch {
	case e.Action == "fail":
		s.PackagesFailed++
		fmt.Fprintf(live, "--- FAIL package %s (%.1fs)\n%s", e.Package, e.Elapsed, strings.Join(out, ""))
	case e.Action == "skip" || slices.ContainsFunc(out, func(l string) bool { return strings.Contains(l, "[no test files]") }):
		s.PackagesNoTests++
	default:
		fmt.Fprintf(live, "ok   %s (%.1fs)\n", e.Package, e.Elapsed)
	}
}

// testEnd counts a test's result; subtests count in Failed and Skips but
// not in Run, Passed and Skipped.
func (s *Summary) testEnd(e event, out []string, live io.Writer) {
	top := !strings.Contains(e.Test, "/")
	switch e.Action {
	case "pass":
		if top {
			s.Passed++
		}
	case "fail":
		if top {
			s.Failed++
		}
		s.FailedTests = append(s.FailedTests, e.Package+" "+e.Test)
		fmt.Fprintf(live, "--- FAIL %s %s (%.1fs)\n%s", e.Package, e.Test, e.Elapsed, strings.Join(out, ""))
	case "skip":
		if top {
			s.Skipped++
		}
		s.Skips = append(s.Skips, Skip{Package: e.Package, Test: e.Test, Reason: skipReason(out)})
	}
}

// fileLine matches the "file.go:12: " prefix of t.Log output.
var fileLine = regexp.MustCompile(`^[\w.-]+\.go:\d+: `)

// skipReason is the message a skipped test printed: its last output line
// that is not the "--- SKIP" or "=== RUN" line itself.
func skipReason(out []string) string {
	for i := len(out) - 1; i >= 0; i-- {
		l := strings.TrimSpace(out[i])
		if l == "" || strings.HasPrefix(l, "--- SKIP") || strings.HasPrefix(l, "=== ") {
			continue
		}
		// "file_test.go:12: reason" -> "reason"
		if m := fileLine.FindStringIndex(l); m != nil {
			return l[m[1]:]
		}
		return l
	}
	return "(no reason given)"
}

// Write prints the summary.
func (s *Summary) Write(w io.Writer) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, "==== test summary")
	fmt.Fprintf(w, "packages: %d (%d failed, %d without tests)\n", s.Packages, s.PackagesFailed, s.PackagesNoTests)
	fmt.Fprintf(w, "tests:    %d run, %d passed, %d failed, %d skipped (top-level tests; package time %s)\n",
		s.Run, s.Passed, s.Failed, s.Skipped, s.Elapsed.Round(time.Second))
	if len(s.Skips) > 0 {
		fmt.Fprintf(w, "skipped (%d, with subtests):\n", len(s.Skips))
		for _, k := range s.Skips {
			fmt.Fprintf(w, "  %s %s: %s\n", k.Package, k.Test, k.Reason)
		}
	}
	for _, b := range s.BuildFailed {
		fmt.Fprintf(w, "BUILD FAILED: %s\n", b)
	}
	for _, f := range s.FailedTests {
		fmt.Fprintf(w, "FAILED: %s\n", f)
	}
	if s.OK() {
		fmt.Fprintln(w, "PASS")
	} else {
		fmt.Fprintln(w, "FAIL")
	}
}

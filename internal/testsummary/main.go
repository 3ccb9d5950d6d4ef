// Command testsummary reads `go test -json` events on stdin and prints what
// a person needs from a long test run: the output of every failing test
// and package as it fails, then a summary of packages, tests run, passed,
// failed and skipped (each skip with its reason). It exits 1 when anything
// failed or did not build, so `go test -json ./... | go run
// ./internal/testsummary` is a gate.
package main

import (
	"fmt"
	"os"
)

func main() {
	s, err := Read(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(2)
	}
	s.Write(os.Stdout)
	if !s.OK() {
		os.Exit(1)
	}
}

# The one test command the README and CI use: make test (the full gate).
# make test-short is the quick answer while working: no race detector, no
# browser or Python interop tests.
GO ?= go
SHELL := /bin/bash

.PHONY: test test-short fmt-check vet unit unit-short build bench

test: fmt-check vet unit

test-short: fmt-check vet unit-short

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

# go test -json through internal/testsummary: failures as they happen, then
# packages, tests run and every skip with its reason.
unit:
	set -o pipefail; $(GO) test -race -count=1 -timeout 25m -json ./... | $(GO) run ./internal/testsummary

unit-short:
	set -o pipefail; $(GO) test -short -count=1 -timeout 10m -json ./... | $(GO) run ./internal/testsummary

build:
	$(GO) build -o bin/exporthub ./cmd/exporthub

# The Go benchmarks of every package that has some, one iteration each on
# a 20 000-asset AAF input (figures in README.md). Narrow or deepen a
# run with BENCH (a -bench pattern), BENCHTIME, BENCHPKGS and
# BENCH_AAF_ASSETS, e.g. make bench BENCH=Decode BENCHTIME=5x BENCHPKGS=./aaf
BENCH ?= .
BENCHTIME ?= 1x
BENCHPKGS ?= $(addprefix ./,$(sort $(dir $(shell git grep -l '^func Benchmark' -- '*_test.go'))))

bench: export BENCH_AAF_ASSETS ?= 20000
bench:
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchtime $(BENCHTIME) -benchmem -timeout 30m $(BENCHPKGS)

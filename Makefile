# The one test command the README and CI use: make test
GO ?= go

.PHONY: test fmt-check vet unit build bench

test: fmt-check vet unit

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 -timeout 25m ./...

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

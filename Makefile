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

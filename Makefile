# cachekit-go — one Makefile for every module of the workspace.
#
#   make test    what CI runs: the container rig, then for every module gofmt,
#                go vet, go test -race and a go mod tidy no-diff check
#   make bench   every benchmark, 6 runs each, summarised by benchstat
#   make fuzz    every Fuzz target for FUZZTIME (default 10s)
#   make fmt     gofmt -w
#   make lint    staticcheck on every module
#   make rig     set up the container engine only (scripts/rig.sh up)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

# Modules: the `use` lines of go.work.
MODULES := $(shell sed -n 's|^[[:space:]]*\./\([^[:space:]]*\).*|\1|p' go.work)
TOOLS := $(CURDIR)/.tools/bin
STATICCHECK_VERSION := v0.8.2
BENCHSTAT_VERSION := v0.0.0-20260908200009-22c9c6c9d4da
FUZZTIME ?= 10s
BENCHCOUNT ?= 6
BENCHTIME ?= 1s
RIG_ENV := .rig/env
# Go's test cache must not hide a rig that went away: tests read env it sets.
GOTESTFLAGS ?= -race -count=1 -timeout 20m

.PHONY: test unit check-fmt vet gotest tidy-check rig bench fuzz fmt lint tools clean

test: rig check-fmt vet gotest tidy-check
	@echo "make test: all modules passed"

# unit: the same checks without the container rig (container tests fail in
# CI without it and skip elsewhere).
unit: check-fmt vet gotest tidy-check

rig:
	@scripts/rig.sh up >/dev/null

check-fmt:
	@out=$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	@for m in $(MODULES); do echo "== vet $$m"; (cd $$m && go vet ./...); done

gotest:
	@if [ -f $(RIG_ENV) ]; then . ./$(RIG_ENV); fi; \
	failed=""; \
	for m in $(MODULES); do \
		echo "== test $$m"; \
		(cd $$m && go test $(GOTESTFLAGS) ./...) || failed="$$failed $$m"; \
	done; \
	if [ -n "$$failed" ]; then echo "FAILED modules:$$failed"; exit 1; fi

tidy-check:
	@for m in $(MODULES); do \
		(cd $$m && GOWORK=off go mod tidy -diff) >/tmp/tidy.$$$$ 2>&1 || { \
			echo "go mod tidy would change $$m:"; cat /tmp/tidy.$$$$; rm -f /tmp/tidy.$$$$; exit 1; }; \
	done; rm -f /tmp/tidy.$$$$; echo "== go mod tidy: no diff"

fmt:
	gofmt -w $$(git ls-files -co --exclude-standard '*.go')

$(TOOLS)/staticcheck:
	GOBIN=$(TOOLS) go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(TOOLS)/benchstat:
	GOBIN=$(TOOLS) go install golang.org/x/perf/cmd/benchstat@$(BENCHSTAT_VERSION)

tools: $(TOOLS)/staticcheck $(TOOLS)/benchstat

lint: $(TOOLS)/staticcheck
	@for m in $(MODULES); do echo "== staticcheck $$m"; (cd $$m && $(TOOLS)/staticcheck ./...); done

# bench: each module's benchmarks BENCHCOUNT times, then one benchstat table
# per module (results kept in .bench/ to compare runs: benchstat old new).
bench: $(TOOLS)/benchstat
	@if [ -f $(RIG_ENV) ]; then . ./$(RIG_ENV); fi; mkdir -p .bench; \
	for m in $(MODULES); do \
		out=.bench/$$(echo $$m | tr / _).txt; \
		(cd $$m && go test -run='^$$' -bench=. -benchmem -count=$(BENCHCOUNT) -benchtime=$(BENCHTIME) ./...) > $$out || exit 1; \
		if grep -q '^Benchmark' $$out; then echo "== $$m"; $(TOOLS)/benchstat $$out; fi; \
	done

# fuzz: every func FuzzXxx in every package, for FUZZTIME each.
fuzz:
	@for f in $$(git ls-files -co --exclude-standard '*_test.go' | xargs grep -l '^func Fuzz' || true); do \
		dir=$$(dirname $$f); \
		for t in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
			echo "== fuzz $$dir $$t"; \
			(cd $$dir && go test -run='^$$' -fuzz="^$$t$$" -fuzztime=$(FUZZTIME) .); \
		done; \
	done

clean:
	rm -rf .bench .tools

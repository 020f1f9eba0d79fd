# cachekit-go — one Makefile for every module of the workspace.
#
#   make test    what CI runs: the container rig, then for every module gofmt,
#                go vet, go test -race and a go mod tidy no-diff check
#   make bench   every benchmark, 6 runs each, summarised by benchstat
#                (the peer comparison alone: make bench BENCHMODULES=bench)
#   make bench-profile   CPU/memory profiles of the L1-hit path into .bench/
#   make hitratio  hit ratio of each in-process cache on seeded traces: a
#                table (also into bench/README.md) and bench/hitratio.svg
#   make fuzz    every Fuzz target for FUZZTIME (default 10s), minimizing
#                each new input for at most FUZZMINTIME (default 2s)
#   make chaos   the long fault test of the reliability stack (chaos/, minutes)
#   make fmt     gofmt -w
#   make lint    staticcheck on every module
#   make rig     set up the container engine only (scripts/rig.sh up)
#   make test-workers   backend/workers' Node and workerd tests alone
#                (make test installs workerd with npm and runs them too)
#   make loadtest-server   server load test at full length (a short one runs in make test)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

# Modules: the `use` lines of go.work ("." is the root module, package
# cachekit; its ./... stops at the nested modules' go.mod files).
MODULES := $(shell sed -n -e 's|^[[:space:]]*\./\([^[:space:]]*\).*|\1|p' -e 's|^[[:space:]]*\.[[:space:]]*$$|.|p' go.work)
TOOLS := $(CURDIR)/.tools/bin
STATICCHECK_VERSION := v0.8.2
BENCHSTAT_VERSION := v0.0.0-20260908200009-22c9c6c9d4da
FUZZTIME ?= 10s
FUZZMINTIME ?= 2s
BENCHCOUNT ?= 6
BENCHTIME ?= 1s
RIG_ENV := .rig/env
# Go's test cache must not hide a rig that went away: tests read env it sets.
GOTESTFLAGS ?= -race -count=1 -timeout 20m

.PHONY: test unit check-fmt vet gotest tidy-check rig bench bench-profile fuzz fmt lint tools clean chaos

test: rig workers check-fmt vet gotest tidy-check
	@echo "make test: all modules passed"

# unit: the same checks without the container rig (container tests fail in
# CI without it and skip elsewhere).
unit: workers check-fmt vet gotest tidy-check

rig:
	@scripts/rig.sh up >/dev/null

# workers: what backend/workers' tests need beyond Go — the pinned workerd,
# installed by npm into .tools/node — and its GOOS=js GOARCH=wasm vet. Its
# tests (run by gotest like every module's) then build the reference server
# and run the js/wasm side under Node and inside workerd.
WORKERD_VERSION := 1.20261117.1
WORKERD_DIR := $(CURDIR)/.tools/node
.PHONY: workers workerd test-workers

workers: workerd
	@echo "== vet backend/workers (GOOS=js GOARCH=wasm)"; cd backend/workers && GOOS=js GOARCH=wasm go vet ./...

workerd:
	@if grep -qs '"version": "$(WORKERD_VERSION)"' $(WORKERD_DIR)/node_modules/workerd/package.json && \
		$(WORKERD_DIR)/node_modules/.bin/workerd --version >/dev/null 2>&1; then exit 0; fi; \
	if ! command -v npm >/dev/null; then \
		if [ "$${CI:-}" = true ]; then echo "workerd: npm is missing (CI=true: a failure)"; exit 1; fi; \
		echo "workerd: no npm, backend/workers' workerd test will skip"; exit 0; fi; \
	echo "== npm install workerd@$(WORKERD_VERSION) into .tools/node"; mkdir -p $(WORKERD_DIR); \
	npm install --prefix $(WORKERD_DIR) --no-save --no-audit --no-fund --loglevel=error workerd@$(WORKERD_VERSION)

# test-workers: backend/workers' Node and workerd proof alone.
test-workers: workers
	cd backend/workers && go test -count=1 -run '^Test(Node|Workerd)$$' -v .

check-fmt:
	@out=$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	@for m in $(MODULES); do echo "== vet $$m"; (cd $$m && go vet ./...); done

# gotest: GOTESTJOBS modules at a time (default 2: most of the time of the
# slow modules is spent waiting on containers, servers and child
# processes, not on the CPU), the slow ones first; each module's output is
# printed whole when it ends (scripts/gotest.sh).
GOTESTJOBS ?= 2
SLOWMODULES := server examples backend/redis chaos backend/file backend/workers backend/memcached conformance
TESTORDER := $(filter $(MODULES),$(SLOWMODULES)) $(filter-out $(SLOWMODULES),$(MODULES))

gotest:
	@if [ -f $(RIG_ENV) ]; then . ./$(RIG_ENV); fi; \
	GOTESTFLAGS='$(GOTESTFLAGS)' scripts/gotest.sh $(GOTESTJOBS) $(TESTORDER)

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
# The runs are rounds of -count=1, so that a burst of load on a shared
# machine spreads over every benchmark instead of skewing the runs of one.
# The bench module (cachekit-go against eko/gocache and go-redis/cache, see
# bench/README.md) gets one column per library and the issue-#8 target report.
#   BENCHMODULES   modules to run (default: all)   make bench BENCHMODULES=bench
#   BENCHFILTER    go test -bench regexp            make bench BENCHFILTER='L1Hit$$'
#   BENCHCOUNT, BENCHTIME as usual (6 runs of 1s)
BENCHMODULES ?= $(MODULES)
BENCHFILTER ?= .
BENCHLIBS := cachekit cachekit-otter cachekit-objects cachekit-enc cachekit-bounded cachekit-nofresh cachekit-script gocache gocache-aside goredis-cache raw

bench: $(TOOLS)/benchstat
	@scripts/rig.sh up >/dev/null || echo "bench: no container rig: the Redis rows of bench/ are skipped (CI=true: they fail)"; \
	if [ -f $(RIG_ENV) ]; then . ./$(RIG_ENV); fi; mkdir -p .bench; \
	for m in $(BENCHMODULES); do \
		out=.bench/$$(echo $$m | tr / _).txt; \
		: > $$out; \
		for i in $$(seq $(BENCHCOUNT)); do \
			(cd $$m && go test -run='^$$' -bench='$(BENCHFILTER)' -benchmem -count=1 -benchtime=$(BENCHTIME) -timeout=0 ./...) >> $$out || { cat $$out; exit 1; }; \
		done; \
		grep -q '^Benchmark' $$out || continue; \
		echo "== $$m"; \
		if [ "$$m" = bench ]; then \
			$(TOOLS)/benchstat -col '/lib@($(BENCHLIBS))' $$out; \
			(cd bench && go run ./cmd/benchreport ../$$out) | tee .bench/report.md; \
		else \
			$(TOOLS)/benchstat $$out; \
		fi; \
	done

# bench-profile: CPU and memory profiles of the L1-hit path (cachekit, bytes
# tier; size PROFILESIZE, default 100B) into .bench/, with the top of each.
PROFILESIZE ?= 100B
PROFILELIB ?= cachekit

bench-profile:
	@if [ -f $(RIG_ENV) ]; then . ./$(RIG_ENV); fi; mkdir -p .bench; p=.bench/l1hit-$(PROFILELIB)-$(PROFILESIZE); \
	(cd bench && go test -run='^$$' -bench='^BenchmarkL1Hit$$/size=$(PROFILESIZE)/lib=$(PROFILELIB)$$' \
		-benchmem -benchtime=5s -count=1 -o ../$$p.test \
		-cpuprofile ../$$p.cpu.prof -memprofile ../$$p.mem.prof .); \
	echo "== CPU ($$p.cpu.prof)"; go tool pprof -top -cum -nodecount=40 $$p.test $$p.cpu.prof 2>/dev/null | sed -n '1,50p'; \
	echo "== allocations ($$p.mem.prof)"; go tool pprof -sample_index=alloc_space -top -nodecount=15 $$p.test $$p.mem.prof 2>/dev/null; \
	echo "go tool pprof -http=: $$p.test $$p.cpu.prof   # to explore"

# hitratio: bench/hitratio replays seeded traces through every L1 and the
# object cache (issue 27), prints the table, rewrites it in bench/README.md
# and redraws bench/hitratio.svg. Deterministic; about a minute.
.PHONY: hitratio
hitratio:
	cd bench/hitratio && go run . -svg ../hitratio.svg -readme ../README.md

# fuzz: every func FuzzXxx in every package, for FUZZTIME each. go test
# minimizes every new interesting input for up to 60 s by default, which
# for a target doing file I/O (backend/file) outlasts a 10 s run and shows
# as "execs: N (0/sec)": FUZZMINTIME bounds it.
fuzz:
	@for f in $$(git ls-files -co --exclude-standard '*_test.go' | xargs grep -l '^func Fuzz' || true); do \
		dir=$$(dirname $$f); \
		for t in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
			echo "== fuzz $$dir $$t"; \
			(cd $$dir && go test -run='^$$' -fuzz="^$$t$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINTIME) .); \
		done; \
	done

clean:
	rm -rf .bench .tools

# chaos: four worker processes over one Redis, three rounds of pause, kill
# and DEBUG SLEEP, with the issue's bounds (make test runs the short variant).
chaos: rig
	@. ./$(RIG_ENV) && cd chaos && CHAOS_LONG=1 go test -count=1 -timeout 30m -run 'TestFaults' -v .

# loadtest-server: server/loadtest_test.go's TestLoad at full length over
# loopback; it prints the figures server/README.md reports.
.PHONY: loadtest-server
loadtest-server:
	cd server && CACHEKIT_LOADTEST=long go test -count=1 -run '^TestLoad$$' -v -timeout 10m .

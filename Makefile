# Atlas — `make help` lists the targets.
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
# The race detector needs a C compiler; without one the tests still run, unraced.
RACE := $(shell command -v gcc >/dev/null 2>&1 && echo -race)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: help run build test bench lint fuzz crash

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-6s %s\n", $$1, $$2}'

run: build ## build and start Atlas on its default data folder; opens the browser
	./bin/atlas serve

build: ## build bin/atlas (one static binary, no cgo)
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w $(LDFLAGS)" -o bin/atlas .

# The race detector costs 5–10× the CPU: it runs on the packages that start
# goroutines (the server, the operations engine, sessions, the database, the
# parallel export reader) and the binary's tests; the others are single-threaded
# data code, tested plainly. Both groups run at once, each package with its own
# deadline (TEST_TIMEOUT), so that a slow day ends with the stuck tests named.
RACED := . ./app ./app/auth ./app/db ./app/intune ./app/operation ./app/web
# Libraries not instrumented: SQLite (modernc's C translated to Go) and argon2
# (x/crypto) made every query and hash ~10× as long (the raced suite 5 → 2.5 min);
# chromedp and its JSON library drive the test browser (a race inside the
# latter's lazily built decoders failed a browser test once). Races inside them
# are not ours to find; every package of Atlas stays instrumented.
UNRACED := modernc.org/... golang.org/x/crypto/... github.com/chromedp/... github.com/go-json-experiment/...
RACEFLAGS := $(if $(RACE),$(RACE) $(foreach p,$(UNRACED),-gcflags='$(p)=-race=false'))
TEST_TIMEOUT ?= 8m

# go vet runs once, after the plain group, on what it compiled (go test's own
# vet would analyse every dependency again in each group).
test: ## the whole test suite (browser tests skip without chromium unless ATLAS_REQUIRE_BROWSER=1)
	go test $(RACEFLAGS) -vet=off -count=1 -timeout $(TEST_TIMEOUT) $(RACED) & raced=$$!; \
	go test -vet=off -count=1 -timeout $(TEST_TIMEOUT) $$(go list ./... | grep -vxF -e atlas $(addprefix -e atlas/,$(patsubst ./%,%,$(filter ./%,$(RACED))))) \
		&& go vet ./...; plain=$$?; \
	wait $$raced && exit $$plain

crash: ## the crash test in full: 50 SIGKILL cycles of atlas serve and atlas sync while they write (make test runs 10)
	ATLAS_CRASH_CYCLES=$${ATLAS_CRASH_CYCLES:-50} go test -count=1 -timeout 30m -run '^TestCrashCycles$$' -v .

bench: ## Go benchmarks, then the load run on the large dataset (.bench/, generated once); writes BENCHMARKS.md
	mkdir -p .bench
	go test -run '^$$' -bench . -benchmem -timeout 60m ./... | tee .bench/go-bench.txt
	go test -tags bench -count=1 -run '^TestScaleBench$$' -timeout 90m -v .

lint: ## gofmt, go vet, staticcheck
	@test -z "$$(gofmt -l .)" || (gofmt -l . && exit 1)
	go vet ./...
	go run $(STATICCHECK) ./...

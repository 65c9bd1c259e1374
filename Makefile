# Safeharbor — two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
GO ?= go
export GOFLAGS := -buildvcs=false
BIN := bin/safeharbor
# MinIO server used by the sink and pipeline tests (pinned; built from source by the Go toolchain).
MINIO_VERSION := v0.0.0-20260212201848-7aac2a2c5b7c
GOBIN_DIR := $(shell $(GO) env GOPATH)/bin
MINIO_BIN ?= $(GOBIN_DIR)/minio
# Fuzz time per target inside `make test` (short) and `make test-long`.
FUZZTIME ?= 10s
FUZZTIME_LONG ?= 3m
TEST_TIMEOUT ?= 25m
# test-repeat: runs in a row and the packages (the whole suite by default).
REPEAT ?= 10
PKGS ?= ./...

.PHONY: all build run test test-unit test-race test-long test-repeat fuzz fuzz-long lint bench bench-quick minio clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/safeharbor

## run: the main job on embedded defaults (no external servers needed).
run: build
	./scripts/run.sh

## minio: install the pinned MinIO server if it is not there yet (first time ≈7 min).
minio: $(MINIO_BIN)
$(MINIO_BIN):
	@echo "installing MinIO server $(MINIO_VERSION) (first time takes several minutes)..."
	GOBIN=$(GOBIN_DIR) $(GO) install github.com/minio/minio@$(MINIO_VERSION)

## test: every test, including the ones against a real MinIO, plus short fuzzing.
test: lint minio
	SAFEHARBOR_MINIO_BIN=$(MINIO_BIN) SAFEHARBOR_REQUIRE_MINIO=1 $(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...
	$(MAKE) fuzz FUZZTIME=$(FUZZTIME)

test-unit:
	$(GO) test -count=1 ./...

## test-race: every test under the race detector.
test-race: minio
	SAFEHARBOR_MINIO_BIN=$(MINIO_BIN) SAFEHARBOR_REQUIRE_MINIO=1 $(GO) test -race -count=1 -timeout 40m ./...

## test-repeat: the go tests of `make test` (no fuzzing) REPEAT times in a row under a busy loop per
## core (scripts/test-repeat.sh starts and always stops it); lists every test that failed even once.
test-repeat: lint minio
	SAFEHARBOR_MINIO_BIN=$(MINIO_BIN) SAFEHARBOR_REQUIRE_MINIO=1 GO=$(GO) TEST_TIMEOUT=$(TEST_TIMEOUT) ./scripts/test-repeat.sh $(REPEAT) $(PKGS)

## test-long: soak, crash and long fuzz runs, and the race detector.
test-long: minio
	SAFEHARBOR_MINIO_BIN=$(MINIO_BIN) SAFEHARBOR_REQUIRE_MINIO=1 SAFEHARBOR_LONG=1 $(GO) test -count=1 -timeout 120m ./...
	$(MAKE) test-race
	$(MAKE) fuzz FUZZTIME=$(FUZZTIME_LONG)

## fuzz: run every fuzz target for FUZZTIME each.
fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

bench:
	$(MAKE) -C bench bench

bench-quick:
	$(MAKE) -C bench bench-quick

clean:
	rm -rf bin var

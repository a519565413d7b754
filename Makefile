# goalrelay. The two commands that matter: `make run` and `make test`.
SHELL := /bin/bash
GO    ?= go
BIN   := bin
# Lambda build flags: static, no RPC shim, stripped.
LAMBDA_FLAGS := -tags lambda.norpc -trimpath -ldflags='-s -w'
LAMBDA_ARCH  ?= arm64
# moto_server and cfn-lint: from PATH when they are there, else from the
# project's .venv, which scripts/pytools fills with pinned versions.
export PATH := $(PATH):$(CURDIR)/.venv/bin

.PHONY: all help build lint test test-short run bench chaos latency clean tools pytools \
        build-IngestFunction build-ApplyFunction build-ReconcileFunction

all: build

## help: this list of targets.
help:
	@grep -E '^## [a-zA-Z-]+:' $(MAKEFILE_LIST) | sed -E 's/^## ([a-zA-Z-]+): /  \1\t/' | expand -t 16

## lint: gofmt check, go vet and staticcheck (pinned as a tool in go.mod).
lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt: these files need formatting:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

## build: the Lambda bootstraps for the host (bin/<fn>/bootstrap) and the tools.
build:
	@mkdir -p $(BIN)
	for fn in ingest apply reconcile; do \
	  CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -o $(BIN)/$$fn/bootstrap ./functions/$$fn || exit 1; \
	done
	$(GO) build -o $(BIN)/ ./cmd/...

## tools: aws-lambda-rie from the go.mod tool line.
tools:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/aws-lambda-rie github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie

## pytools: moto_server and cfn-lint, installed into .venv (pinned) when not on PATH.
pytools:
	./scripts/pytools "$(CURDIR)"

## test: vet, unit and integration tests (moto_server, aws-lambda-rie), template check.
test: pytools
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 12m ./...
	cfn-lint template.yaml

## test-short: unit tests only (no emulators).
test-short:
	$(GO) test -short ./...

## run: the local stack on embedded defaults.
run: pytools
	$(GO) run ./cmd/goalrelay-local

## bench: the benchmarks quoted in the README (about 8 minutes; medians of the counts).
bench:
	$(GO) test -run '^$$' -bench Handle -benchmem -benchtime 2s -count 6 ./shared/ingest/ | tee bench.txt
	$(GO) test -short -run '^$$' -bench BenchmarkHandle -benchmem -count 6 ./shared/apply/ | tee -a bench.txt
	$(GO) test -run '^$$' -bench BenchmarkDrain -benchtime 1x -count 3 ./shared/apply/ | tee -a bench.txt
	$(GO) test -run '^$$' -bench . -benchmem -count 6 ./shared/gainsight/ ./shared/mapping/ | tee -a bench.txt

## chaos: the chaos benchmark (not part of test or bench; about 2 minutes): the workload
## without faults, then with CHAOS_FLAGS' faults and SIGKILLs (go run ./cmd/goalrelay-chaos -h);
## add -seeds 10 to CHAOS_FLAGS for ten seeds and their median ratio (about 7 minutes).
CHAOS_FLAGS ?= -records 20 -versions 4 -faults 0.3 -kill-every 30s -visibility 30s -time-limit 4m
chaos: pytools
	$(GO) run ./cmd/goalrelay-chaos $(CHAOS_FLAGS)

## latency: webhook in → goal visible in the simulator, p50 and p99, at 0% and 10% faults
## (not part of test or bench; about 3 minutes).
latency: pytools
	$(GO) test -run '^$$' -bench BenchmarkLatency -benchtime 1x -timeout 15m ./shared/devtools/chaos/

## SAM's makefile builder calls these with ARTIFACTS_DIR set.
# A mapping file of your own (mapping.yaml at the top level) ships beside the
# ingest, apply and reconcile bootstraps (apply and reconcile map CRM read-backs with it); set the
# MappingFile parameter to /var/task/mapping.yaml.
build-IngestFunction:
	GOOS=linux GOARCH=$(LAMBDA_ARCH) CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/ingest
	if [ -f mapping.yaml ]; then cp mapping.yaml $(ARTIFACTS_DIR)/mapping.yaml; fi

build-ApplyFunction:
	GOOS=linux GOARCH=$(LAMBDA_ARCH) CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/apply
	if [ -f mapping.yaml ]; then cp mapping.yaml $(ARTIFACTS_DIR)/mapping.yaml; fi

# The reconciliation sweep maps the records it lists with the same mapping.
build-ReconcileFunction:
	GOOS=linux GOARCH=$(LAMBDA_ARCH) CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/reconcile
	if [ -f mapping.yaml ]; then cp mapping.yaml $(ARTIFACTS_DIR)/mapping.yaml; fi

clean:
	rm -rf $(BIN) .aws-sam bench.txt .venv

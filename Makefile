# Burrow. Two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
export GOTOOLCHAIN := local
GO ?= go
BIN := bin/burrow
TESTDATA ?= $(if $(BURROW_TESTDATA),$(BURROW_TESTDATA),$(abspath ../shared/testdata))
FUZZTIME ?= 60s

# Debian packages Fyne's cgo needs to build, and what runs it headless.
BUILD_PKGS := gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev
RUN_PKGS := xvfb xauth libgl1-mesa-dri tmux
# arm64 (Apple Silicon, ARM Linux) has no machine here: its engine tests run under qemu-user.
TEST_PKGS := qemu-user
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup build run test test-arm64 api-clients vet smoke bench fuzz check-peer peer package install cross clean

setup:
	@missing=""; for p in $(BUILD_PKGS) $(RUN_PKGS) $(TEST_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "setup: installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	else echo "setup: Debian packages present"; fi
	@command -v $(GO) >/dev/null || { echo "setup: Go 1.26 is needed: https://go.dev/dl/"; exit 1; }

build: setup
	$(GO) build -o $(BIN) .

run: build
	./$(BIN)

vet:
	$(GO) vet ./...

# The whole suite: vet, unit and integration tests, cross-compiles of the
# engine, then the real binary started under Xvfb.
test: setup vet cross api-clients
	$(GO) test -count=1 -timeout 15m ./...
	$(MAKE) test-arm64
	$(MAKE) smoke

# The engine for GOARCH=arm64 under qemu-user: every tensor test (the NEON
# kernels against their twins, the plain twins) and the llama.cpp reference
# tests, less the slowest peer families (ARM64_LLAMA_SKIP= runs them all:
# about 10 minutes more under qemu on 2 cores).
ARM64_LLAMA_SKIP ?= TestGemma2MatchesPeer|TestPhi3LongRopeMatchesPeer|TestPerplexityMatchesLlamaCpp|TestSynthModelsFiniteAndThreadIndependent|TestKVRingMatchesLinear|TestKVRingTruncate
test-arm64:
	@command -v qemu-aarch64 >/dev/null || { echo "test-arm64: qemu-aarch64 is missing (make setup installs qemu-user)"; exit 1; }
	CGO_ENABLED=0 GOARCH=arm64 $(GO) test -count=1 -timeout 20m -exec qemu-aarch64 -skip '$(ARM64_LLAMA_SKIP)' ./inference/tensor/ ./inference/llama/

smoke: build
	tools/smoke.sh $(BIN) "$(TESTDATA)"

# The engine has no cgo: it must build for every platform Burrow ships on.
cross:
	@for t in windows/amd64 darwin/arm64 darwin/amd64 linux/arm64; do \
	  echo "cross: $$t"; CGO_ENABLED=0 GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) build ./inference/... ./models/... ./internal/... ./app/... || exit 1; done
	@# vet compiles the test files too, so a Linux-only call in a test shows up here.
	CGO_ENABLED=0 GOOS=darwin GOARCH=arm64 $(GO) vet ./inference/... ./models/... ./app/...
	CGO_ENABLED=0 GOOS=windows GOARCH=amd64 $(GO) vet ./inference/... ./models/... ./app/...

# Each fuzz target for FUZZTIME (make fuzz FUZZTIME=10m for the long run).
FUZZ_TARGETS := FuzzParse:./inference/gguf/ FuzzEncodeDecode:./inference/tokenizer/ \
	FuzzDotQ8_0:./inference/tensor/ FuzzDotF16:./inference/tensor/ FuzzDotQ4_K:./inference/tensor/ FuzzQ4Kx8:./inference/tensor/ FuzzDotQ5_K:./inference/tensor/ \
	FuzzDotQ6_K:./inference/tensor/ FuzzDotQ5_KZMM:./inference/tensor/ FuzzDotQ6_KZMM:./inference/tensor/ FuzzQ2_KDot:./inference/tensor/ FuzzQ3_KDot:./inference/tensor/ \
	FuzzIQ4_XSDot:./inference/tensor/ FuzzLegacyDot:./inference/tensor/ FuzzQ4_0SeqDot:./inference/tensor/ FuzzQ5_0x4:./inference/tensor/ FuzzQ4_0x8:./inference/tensor/ FuzzMXFP4Dot:./inference/tensor/ \
	FuzzDotF16Tile:./inference/tensor/ FuzzHostileWeights:./inference/tensor/ \
	FuzzRequestBodies:./app/api/ FuzzTemplate:./inference/chat/ \
	FuzzStopMatcher:./inference/ FuzzReasoningSplitter:./inference/ FuzzPathFor:./models/ FuzzParse:./inference/toolcall/ \
	FuzzGrammar:./inference/grammar/ FuzzJSONSchema:./inference/grammar/ FuzzImports:./app/ \
	FuzzExtract:./internal/pdftext/ FuzzPlan:./inference/quantize/ FuzzParseConfig:./app/mcp/ \
	FuzzAttentionQ8_0:./inference/tensor/ FuzzAttentionF16NoFlash:./inference/tensor/ FuzzMadQ8:./inference/tensor/ FuzzQ8_0x2x4ZMM:./inference/tensor/
fuzz:
	@for t in $(FUZZ_TARGETS); do \
	  echo "fuzz: $${t%%:*}"; \
	  $(GO) test -run='^$$' -fuzz="^$${t%%:*}$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=200x $${t#*:} || exit 1; done

# The official openai and ollama npm clients the API tests drive (git-ignored
# folder, pinned by tools/api/package-lock.json).
api-clients:
	@[ -f tools/api/node_modules/openai/package.json ] && [ -f tools/api/node_modules/ollama/package.json ] || \
	  (cd tools/api && npm ci --no-audit --no-fund)

# llama.cpp as the peer, from npm's prebuilt node-llama-cpp (git-ignored folder).
peer:
	@[ -d tools/peer/node_modules/node-llama-cpp ] || (cd tools/peer && NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm install --omit=optional --no-audit --no-fund)

check-peer: build peer
	tools/check-peer.sh $(BIN) "$(TESTDATA)"

bench: build peer
	tools/bench.sh $(BIN) "$(TESTDATA)"

package:
	tools/package.sh

install:
	tools/package.sh install

clean:
	rm -rf bin dist

# webcall's build. The two commands the README promises work on a fresh
# Debian machine: `make demo` and `make test`. Everything they need is
# installed here when missing (Debian packages, the pinned LiveKit server).

SHELL := /bin/bash
.DEFAULT_GOAL := build

GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse HEAD 2>/dev/null)
BIN      := bin
TOOLS    := $(CURDIR)/.tools

# The LiveKit server the tests and the demo run on loopback. Later versions
# carry replace directives and refuse `go install`.
LIVEKIT_VERSION := v1.13.5
LIVEKIT_SERVER  := $(TOOLS)/bin/livekit-server

# Debian packages: cgo libraries for Opus, resampling, PortAudio and echo
# cancellation; PulseAudio and the ALSA plugin for the virtual audio
# devices the tests use, and PipeWire's PulseAudio server with its session
# manager and a session bus (dbus-daemon) to run the same tests on; espeak-ng
# and sox to make test speech; bash-completion, zsh and fish to load the
# completion scripts in the tests. Never pipewire-alsa: it would make ALSA's
# default device PipeWire's for the whole machine. (The PipeWire packages
# do enable their systemd user units for every user: on a desktop still
# on PulseAudio, PipeWire may then compete with it from the next login.)
DEB_PACKAGES := build-essential pkg-config \
	libopus-dev libopusfile-dev libvorbis-dev libsoxr-dev \
	portaudio19-dev libspeexdsp-dev \
	pulseaudio pulseaudio-utils libasound2-plugins alsa-utils \
	pipewire pipewire-pulse wireplumber dbus-daemon \
	espeak-ng sox \
	bash-completion zsh fish

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: build deps livekit-server test test-short bench demo lint clean help

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

deps: ## Install the Debian packages the build and tests need (only what is missing)
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

livekit-server: $(LIVEKIT_SERVER) ## Build the pinned LiveKit server into .tools/ (once; about 3 minutes)

$(LIVEKIT_SERVER):
	@echo "building livekit-server $(LIVEKIT_VERSION) from the Go module proxy (once)"
	@mkdir -p $(TOOLS)/bin
	GOBIN=$(TOOLS)/gobin $(GO) install github.com/livekit/livekit-server/cmd/server@$(LIVEKIT_VERSION)
	mv $(TOOLS)/gobin/server $@
	@$@ --version

build: deps ## Build bin/webcall
	$(GO) build -ldflags "-X main.version=$(VERSION) -X main.commit=$(COMMIT)" -o $(BIN)/webcall ./cmd/webcall

# -race everywhere; -p 1 keeps packages that each start a LiveKit server
# from starving each other of the machine's two cores.
test: deps livekit-server ## Run every test (unit, real LiveKit server, virtual audio devices) with -race
	WEBCALL_LIVEKIT_SERVER=$(LIVEKIT_SERVER) $(GO) test -race -count=1 -p 1 -timeout 20m ./...

test-short: ## Unit tests only (no server, no devices)
	$(GO) test -race -short ./...

bench: deps livekit-server ## Benchmarks, printed as a table
	WEBCALL_LIVEKIT_SERVER=$(LIVEKIT_SERVER) $(GO) test -run '^$$' -bench . -benchmem -count 1 ./... | tee $(BIN)/bench.txt | ./scripts/benchtable.sh

demo: deps livekit-server build ## A real call on this machine: local server, test agent, bundled WAV, live transcript
	@WEBCALL_LIVEKIT_SERVER=$(LIVEKIT_SERVER) ./scripts/demo.sh

lint: ## gofmt and go vet (with and without PortAudio)
	@out=$$(gofmt -l $$(git ls-files '*.go')); [ -z "$$out" ] || { echo "gofmt needed:"; echo "$$out"; exit 1; }
	$(GO) vet ./...
	$(GO) vet -tags noportaudio ./...

clean: ## Remove build output (keeps the LiveKit server)
	rm -rf $(BIN)

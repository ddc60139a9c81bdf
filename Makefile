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
# completion scripts in the tests; systemd for systemd-analyze, which
# checks the kiosk's unit file (deploy/systemd). Never pipewire-alsa: it would make ALSA's
# default device PipeWire's for the whole machine. (The PipeWire packages
# do enable their systemd user units for every user: on a desktop still
# on PulseAudio, PipeWire may then compete with it from the next login.)
DEB_PACKAGES := build-essential pkg-config \
	libopus-dev libopusfile-dev libvorbis-dev libsoxr-dev \
	portaudio19-dev libspeexdsp-dev \
	pulseaudio pulseaudio-utils libasound2-plugins alsa-utils \
	pipewire pipewire-pulse wireplumber dbus-daemon \
	espeak-ng sox \
	bash-completion zsh fish \
	systemd

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: build deps release-deps release livekit-server test test-short fuzz bench soak soak-kiosk demo lint clean help

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

deps: ## Install the Debian packages the build and tests need (only what is missing)
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# The release builds and the arm64 test (internal/release) need the cross
# toolchain, qemu and the :arm64 twins of the cgo libraries.
deps: release-deps

# Release builds for the ARM boards kiosks run on: cgo through Debian's
# cross compiler against Debian's own :arm64 libraries (multiarch), which
# are the libraries the board's Debian installs. qemu-user-static runs the
# arm64 build in the tests. The cgo -dev libraries are the ones pkg-config
# finds for opus, opusfile, vorbisfile, soxr, portaudio-2.0 and speexdsp
# (`go list -deps ./cmd/webcall`); libc6-dev:arm64 holds the multiarch
# headers and the loader qemu runs the binary with.
RELEASE_CGO_DEV  := libopus-dev libopusfile-dev libvorbis-dev libsoxr-dev portaudio19-dev libspeexdsp-dev
RELEASE_PACKAGES := gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static binutils \
	$(RELEASE_CGO_DEV) $(addsuffix :arm64,$(RELEASE_CGO_DEV) libc6-dev)
DIST             := dist

# Only what is missing is installed, in one apt call: a -dev:arm64 package
# must have its amd64 twin's exact version (Multi-Arch: same), which one
# call resolves together. --no-remove: on a shared machine a resolution
# that would remove packages is refused rather than carried out.
release-deps: ## Install the cross toolchain, qemu-user-static and the :arm64 cgo libraries (only what is missing)
	@added=; if ! dpkg --print-foreign-architectures | grep -qx arm64; then \
		echo "adding the arm64 architecture to dpkg (apt will fetch its indexes)"; \
		$(SUDO) dpkg --add-architecture arm64 && added=1; \
	fi; \
	missing=$$(for p in $(RELEASE_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends --no-remove $$missing; \
	elif [ -n "$$added" ]; then \
		$(SUDO) apt-get update -qq; \
	fi

release: release-deps ## Build dist/webcall-VERSION-linux-{amd64,arm64} with cgo, list the libraries each needs, write dist/SHA256SUMS
	VERSION=$(VERSION) COMMIT=$(COMMIT) DIST=$(DIST) GO=$(GO) ./scripts/release.sh

livekit-server: $(LIVEKIT_SERVER) ## Build the pinned LiveKit server into .tools/ (once; about 3 minutes)

$(LIVEKIT_SERVER):
	@echo "building livekit-server $(LIVEKIT_VERSION) from the Go module proxy (once)"
	@mkdir -p $(TOOLS)/bin
	GOBIN=$(TOOLS)/gobin $(GO) install github.com/livekit/livekit-server/cmd/server@$(LIVEKIT_VERSION)
	mv $(TOOLS)/gobin/server $@
	@$@ --version

build: deps ## Build bin/webcall
	$(GO) build -ldflags "-X main.version=$(VERSION) -X main.commit=$(COMMIT)" -o $(BIN)/webcall ./cmd/webcall

# -race everywhere; scripts/test.sh says which packages run one at a time
# and why. Then each fuzz target briefly.
test: deps livekit-server ## Run every test (unit, real LiveKit server, virtual audio devices) with -race, then each fuzz target briefly
	WEBCALL_LIVEKIT_SERVER=$(LIVEKIT_SERVER) GO=$(GO) ./scripts/test.sh
	@GO=$(GO) FUZZTIME=$(TEST_FUZZTIME) ./scripts/fuzz.sh

# Fuzzing time per target: FUZZTIME for `make fuzz`, TEST_FUZZTIME inside
# `make test` (which must stay within its time budget; the seeds run as
# plain tests in `go test ./...` anyway).
FUZZTIME      ?= 10s
TEST_FUZZTIME ?= 2s

fuzz: ## Run every fuzz target for FUZZTIME each (default 10s); failing inputs land in <pkg>/testdata/fuzz
	@GO=$(GO) FUZZTIME=$(FUZZTIME) ./scripts/fuzz.sh

test-short: ## Unit tests only (no server, no devices)
	$(GO) test -race -short ./...

bench: deps livekit-server ## Benchmarks, printed as a table
	WEBCALL_LIVEKIT_SERVER=$(LIVEKIT_SERVER) $(GO) test -run '^$$' -bench . -benchmem -count 1 ./... | tee $(BIN)/bench.txt | ./scripts/benchtable.sh

# The soak: SOAK_CYCLES join/leave cycles in one process (pkg/call's
# TestSoak), checking that goroutines, open files and memory come back to
# their baseline. Without -race, whose shadow memory would swamp the RSS.
SOAK_CYCLES ?= 1000

soak: deps livekit-server ## 1,000 calls in one process: goroutines, fds and memory back to baseline (about 16 min)
	WEBCALL_LIVEKIT_SERVER=$(LIVEKIT_SERVER) WEBCALL_SOAK=$(SOAK_CYCLES) $(GO) test -run '^TestSoak$$' -count=1 -v -timeout 90m ./pkg/call/

# The kiosk's soak: SOAK_KIOSK_CALLS back-to-back calls in one `webcall
# kiosk` on PulseAudio's virtual devices, its goroutines, open files and
# RSS (from its own /metrics) back to their baseline at the end.
SOAK_KIOSK_CALLS ?= 200

soak-kiosk: deps livekit-server ## 200 calls in one kiosk process: goroutines, fds and RSS back to baseline (about 10 min)
	WEBCALL_LIVEKIT_SERVER=$(LIVEKIT_SERVER) WEBCALL_KIOSK_SOAK=$(SOAK_KIOSK_CALLS) $(GO) test -run '^TestKioskSoak$$' -count=1 -v -timeout 90m ./cmd/webcall/

demo: deps livekit-server build ## A real call on this machine: local server, test agent, bundled WAV, live transcript
	@WEBCALL_LIVEKIT_SERVER=$(LIVEKIT_SERVER) ./scripts/demo.sh

lint: ## gofmt and go vet (with and without PortAudio)
	@out=$$(gofmt -l $$(git ls-files '*.go')); [ -z "$$out" ] || { echo "gofmt needed:"; echo "$$out"; exit 1; }
	$(GO) vet ./...
	$(GO) vet -tags noportaudio ./...

clean: ## Remove build output (keeps the LiveKit server)
	rm -rf $(BIN)

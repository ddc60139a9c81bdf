#!/usr/bin/env bash
# Release builds, as `make release` runs them: webcall for each target in
# TARGETS (default linux/amd64 linux/arm64), with cgo, into
# $DIST/webcall-$VERSION-<os>-<arch>; then, per binary, the shared
# libraries it needs and the Debian packages that hold them, and
# $DIST/SHA256SUMS over what was built.
#
# The arm64 build goes through Debian's cross compiler against Debian's
# own :arm64 libraries (multiarch): the same library versions a board
# running Debian installs, with no container engine. `make release-deps`
# installs all of it.
#
# Environment: VERSION and COMMIT (stamped in with the ldflags `make
# build` uses), DIST, TARGETS, GO.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
COMMIT=${COMMIT:-$(git rev-parse HEAD 2>/dev/null || true)}
DIST=${DIST:-dist}
TARGETS=${TARGETS:-linux/amd64 linux/arm64}

die() {
	echo "release: $*" >&2
	exit 1
}

# A version goes into file names and the binary: keep it to what a file
# name and a shell hold without quoting.
[[ $VERSION =~ ^[A-Za-z0-9._+-]+$ ]] ||
	die "version \"$VERSION\" has characters a file name should not hold; use letters, digits and . _ + -"

# triplet names Debian's multiarch directory of a Go architecture.
triplet() {
	case $1 in
	amd64) echo x86_64-linux-gnu ;;
	arm64) echo aarch64-linux-gnu ;;
	*) return 1 ;;
	esac
}

host_arch=$($GO env GOHOSTARCH)

# The cgo libraries, by pkg-config name: what `#cgo pkg-config` lines of
# the packages webcall links ask for.
PC_MODULES=(opus opusfile vorbisfile soxr portaudio-2.0 speexdsp)

# build_one builds one target into $DIST, through a temporary name so that
# a failed build leaves no file that looks like a release.
build_one() {
	local os=$1 arch=$2 trip out
	[ "$os" = linux ] || die "target $os/$arch: only linux targets are built (Debian multiarch)"
	trip=$(triplet "$arch") || die "target $os/$arch: unknown architecture; known: amd64, arm64"
	out="$DIST/webcall-$VERSION-$os-$arch"
	local env=(CGO_ENABLED=1 GOOS="$os" GOARCH="$arch")
	if [ "$arch" != "$host_arch" ]; then
		local cc="$trip-gcc"
		command -v "$cc" >/dev/null ||
			die "$cc (the $arch cross compiler) is not installed: run \`make release-deps\`"
		env+=(CC="$cc"
			PKG_CONFIG_PATH=
			PKG_CONFIG_LIBDIR="/usr/lib/$trip/pkgconfig:/usr/share/pkgconfig")
	fi
	# Checked before the build, so that a missing library is one line that
	# says what to do, not a page of cgo errors.
	local pc
	for pc in "${PC_MODULES[@]}"; do
		env "${env[@]}" pkg-config --exists "$pc" ||
			die "the $arch development files for $pc are not installed: run \`make release-deps\`"
	done
	echo "building $out"
	local start=$SECONDS
	env "${env[@]}" "$GO" build -trimpath \
		-ldflags "-X main.version=$VERSION -X main.commit=$COMMIT" \
		-o "$out.part" ./cmd/webcall
	mv "$out.part" "$out"
	echo "built $out in $((SECONDS - start)) s"
}

# needs prints the shared libraries a binary needs and, for each, the
# Debian package that holds it here (without the :arch suffix: on the
# board it is the native package), then the apt line for the board.
needs() {
	local bin=$1 arch=$2 trip lib pkg pkgs=()
	trip=$(triplet "$arch")
	echo "$(basename "$bin") needs:"
	while read -r lib; do
		# libc6 ships in /lib, the others in /usr/lib: match either.
		pkg=$(dpkg -S "*/$trip/$lib" 2>/dev/null | head -n1 | cut -d: -f1) || true
		if [ -z "$pkg" ]; then
			pkg="(not installed here: run \`make release-deps\`)"
		else
			pkgs+=("$pkg")
		fi
		printf '  %-22s %s\n' "$lib" "$pkg"
	done < <(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
	if [ ${#pkgs[@]} -gt 0 ]; then
		echo "  on the board: apt-get install $(printf '%s\n' "${pkgs[@]}" | sort -u | xargs)"
	fi
}

command -v readelf >/dev/null || die "readelf is not installed: run \`make release-deps\`"
mkdir -p "$DIST"
# An interrupted or failed build leaves no partial file behind.
trap 'rm -f "$DIST"/webcall-"$VERSION"-*.part "$DIST"/SHA256SUMS.part' EXIT
built=()
for target in $TARGETS; do
	build_one "${target%/*}" "${target#*/}"
	built+=("$target")
done
for target in "${built[@]}"; do
	needs "$DIST/webcall-$VERSION-${target%/*}-${target#*/}" "${target#*/}"
done

# The sums cover the binaries of this version only, by their bare names,
# so that `sha256sum -c SHA256SUMS` works inside $DIST.
names=()
for target in "${built[@]}"; do names+=("webcall-$VERSION-${target%/*}-${target#*/}"); done
(cd "$DIST" && sha256sum "${names[@]}" >SHA256SUMS.part && mv SHA256SUMS.part SHA256SUMS)
echo "wrote $DIST/SHA256SUMS"

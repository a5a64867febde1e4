#!/usr/bin/env bash
# Builds the Debian package with debhelper (debian/) in a copy of the tree under
# $BUILD/deb, since dpkg-buildpackage writes its results beside the source directory, and
# leaves $BUILD/linehook_<version>_<arch>.deb. Prints that path as its last line.
#   scripts/deb.sh [BUILD]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
mkdir -p "$BUILD"
BUILD=$(cd "$BUILD" && pwd)

version=$(dpkg-parsechangelog -S Version)
code=$(sed -n 's/^#define LINEHOOK_VERSION "\(.*\)"$/\1/p' common/version.h)
if [ "$version" != "$code" ]; then
	echo "deb: debian/changelog says $version but common/version.h says $code; make them agree" >&2
	exit 1
fi
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
work="$BUILD/deb"
src="$work/linehook-$version"
rm -rf "$work"
mkdir -p "$src"
# The working tree as it is (uncommitted changes too), without build output or local state.
tar -c --exclude=./build --exclude=./var --exclude=./.git --exclude=node_modules \
	--exclude=./tests/browser/artifacts . | tar -x -C "$src"
(cd "$src" && dpkg-buildpackage -b -us -uc >"$work/build.log" 2>&1) || {
	tail -40 "$work/build.log" >&2
	echo "deb: dpkg-buildpackage failed; the whole log is $work/build.log" >&2
	exit 1
}
deb="linehook_${version}_${arch}.deb"
mv "$work/$deb" "$BUILD/$deb"
echo "$BUILD/$deb"

#!/usr/bin/env bash
# Installs the Debian packages the project needs, only those missing (checked with dpkg).
# A second run installs nothing. Package services are kept from starting: the project runs
# its own private MariaDB and web server.
set -euo pipefail

packages=(
	gcc make libc6-dev pkg-config clang-format clang libclang-rt-14-dev
	libfcgi-dev libcurl4-openssl-dev libssl-dev libmariadb-dev libjansson-dev
	mariadb-server mariadb-client mariadb-backup galera-4 socat lighttpd lighttpd-mod-openssl apache2 libapache2-mod-fcgid
	curl ca-certificates iproute2 util-linux python3 nodejs npm chromium chromium-driver wrk
	debhelper dpkg-dev fakeroot lintian systemd openssl
	faketime
)

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$p")
done
# Node 20 may come from elsewhere than Debian's package: accept a working node and npm.
if command -v node >/dev/null && command -v npm >/dev/null; then
	m=()
	for p in "${missing[@]}"; do [ "$p" = nodejs ] || [ "$p" = npm ] || m+=("$p"); done
	missing=("${m[@]+"${m[@]}"}")
fi
# The npm modules of the test suites (tests/*/package-lock.json: playwright-core for the
# browser suite, standardwebhooks and ajv for the delivery checks, @redocly/cli for the
# OpenAPI lint), installed here because the tests run without a network. A folder is done
# again when its package-lock.json is newer than what npm last installed from it. A failure
# shows up as failing tests, not here.
npm_modules() {
	local dir
	for dir in tests/browser tests/e2e tests/lint; do
		[ "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ] && continue
		echo "deps: npm ci in $dir"
		(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) ||
			echo "deps: npm ci in $dir failed; its tests will fail" >&2
	done
}
cd "$(dirname "$0")/.."
[ ${#missing[@]} -eq 0 ] && { npm_modules; exit 0; }

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages: ${missing[*]}; run as root or install them with apt-get" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' > "$policy"
	chmod 755 "$policy"
	made_policy=1
fi
trap '[ $made_policy = 1 ] && rm -f "$policy"' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
npm_modules

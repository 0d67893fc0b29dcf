#!/usr/bin/env bash
# The whole test suite: brings up PostgreSQL and Redis (deploy/services.sh),
# then vets and runs every test with the race detector. CI runs this too.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v go >/dev/null || { echo "test: Go 1.26+ is missing (https://go.dev/dl/ or your package manager)" >&2; exit 1; }
eval "$(bash deploy/services.sh)"
# The staff console's tests drive a real headless Chromium.
if ! command -v chromium >/dev/null 2>&1; then
	if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
		echo "test: installing chromium for the console's browser tests" >&2
		DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
	else
		echo "test: chromium is missing (the staff console's browser tests need it): install Debian's chromium package" >&2
		exit 1
	fi
fi
export TEST_DATABASE_URL TEST_REDIS_URL
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt would change: $unformatted" >&2; exit 1; fi
go vet ./...
go test -race -count=1 -timeout 40m "$@" ./...

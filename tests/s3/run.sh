#!/usr/bin/env bash
# run.sh BINDIR -- the s3 suite: starts the S3 peer (tests/s3/server.mjs:
# npm s3rver behind a proxy that verifies every request's SigV4 signature
# with @smithy/signature-v4) on a free port, points the stack's API at it
# (STORAGE_BACKEND=s3, MINIO_*; the API reads its environment at start, so
# this comes before tests/with-stack.sh), runs tests/s3/*.test.mjs against
# that stack, and stops the peer whatever happens. A sanitizer report from
# the stack fails the suite, as in tests/run-all.sh.
#
# The tests see S3_DIR (s3rver's files), S3_LOG (one JSON line per
# verified or refused request), S3_PID_FILE (SIGUSR1: storage down,
# SIGUSR2: up again) and the MINIO_* variables.
set -Eeuo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bindir=$(cd "${1:?usage: tests/s3/run.sh BINDIR}" && pwd)
cd "$top"

dir=$(mktemp -d "${TMPDIR:-/tmp}/scholarship-s3.XXXXXX")
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	if [ -n "${KEEP_STACK:-}" ]; then echo "s3: kept $dir" >&2; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export S3_DIR=$dir/s3rver S3_PORT_FILE=$dir/port S3_PID_FILE=$dir/pid S3_LOG=$dir/requests.log
export S3_ACCESS_KEY=S3RVER S3_REGION=us-east-1
# s3rver knows only the access key S3RVER and ignores V4 secrets: the
# proxy checks this one. Characters that need care in a secret: / + =.
export S3_SECRET_KEY='s3-suite/secret+key=not-for-production'
mkdir -p "$S3_DIR"
node tests/s3/server.mjs >"$dir/server.out" 2>&1 &
pid=$!
for _ in $(seq 100); do
	[ -s "$S3_PORT_FILE" ] && break
	kill -0 "$pid" 2>/dev/null || { cat "$dir/server.out"; exit 1; }
	sleep 0.1
done
[ -s "$S3_PORT_FILE" ] || { echo "s3: the S3 peer did not start"; cat "$dir/server.out"; exit 1; }
port=$(cat "$S3_PORT_FILE")

# The API reaches the storage at 127.0.0.1 (MinIO's host:port form);
# browsers are sent to another name for it (MINIO_PUBLIC_ENDPOINT), which
# the tests resolve to the same proxy.
export STORAGE_BACKEND=s3 MINIO_ENDPOINT="127.0.0.1:$port" MINIO_PUBLIC_ENDPOINT="http://localhost:$port" \
	MINIO_ACCESS_KEY=$S3_ACCESS_KEY MINIO_SECRET_KEY=$S3_SECRET_KEY MINIO_BUCKET_NAME=scholarship-s3-suite \
	MINIO_REGION=$S3_REGION MINIO_USE_TLS=false

# The worker sweeps the bucket every second, removing objects with no row
# after 3 s (an upload writes its row milliseconds after its object).
export STORAGE_SWEEP_EVERY_SECONDS=${STORAGE_SWEEP_EVERY_SECONDS:-1} STORAGE_SWEEP_AGE_SECONDS=${STORAGE_SWEEP_AGE_SECONDS:-3}

# shellcheck disable=SC2016 # $STACK_DIR expands in the inner shell
tests/with-stack.sh "$bindir" bash -c '
	node --test --test-concurrency=1 --test-reporter=spec "$@"; rc=$?
	if ls "$STACK_DIR"/asan* "$STACK_DIR"/ubsan* >/dev/null 2>&1; then
		echo "sanitizer reports:"; cat "$STACK_DIR"/asan* "$STACK_DIR"/ubsan* 2>/dev/null | head -100
		rc=1
	fi
	exit $rc' s3-suite tests/s3/*.test.mjs

#!/usr/bin/env bash
# run-all.sh BINDIR -- every suite `make check` runs, once, in order:
# unit tests (check), fuzz corpora, integration, pool and browser tests
# (node:test) each against a throwaway stack built from BINDIR. Prints each
# suite's own summary, the logs of whatever failed, and a last line
# "N passed, N failed" counting test cases.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bindir=$(cd "${1:?usage: run-all.sh BINDIR}" && pwd)
cd "$top" || exit 1
logs=$(mktemp -d "${TMPDIR:-/tmp}/scholarship-check.XXXXXX")
passed=0 failed=0 bad_suites=()
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=86"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

count_node() { # count_node LOG: add node:test totals
	local p f
	p=$(grep -E '^(ℹ|#) pass [0-9]+' "$1" | tail -1 | grep -oE '[0-9]+$' || echo 0)
	f=$(grep -E '^(ℹ|#) fail [0-9]+' "$1" | tail -1 | grep -oE '[0-9]+$' || echo 0)
	passed=$((passed + p)); failed=$((failed + f))
}

suite() { # suite NAME COMMAND...: run, keep the log, show a summary
	local name=$1 rc; shift
	printf '== %s\n' "$name"
	"$@" >"$logs/$name.log" 2>&1
	rc=$?
	grep -E '^(ℹ|#) (tests|pass|fail|skipped|duration_ms)|^[0-9]+%: Checks|^fuzz:' "$logs/$name.log" || true
	if [ $rc -ne 0 ]; then
		bad_suites+=("$name")
		printf -- '-- %s FAILED (exit %d); its log follows\n' "$name" "$rc"
		tail -n 200 "$logs/$name.log"
	fi
	return 0
}

unit() {
	CK_VERBOSITY=normal "$bindir/unit-tests"
}

fuzz_corpora() {
	local f name rc=0
	for f in "$bindir"/fuzz_*; do
		[ -x "$f" ] || continue
		name=${f##*/fuzz_}
		"$f" tests/fuzz/corpus/"$name"/* || rc=1
	done
	return $rc
}

node_suite() { # node_suite DIR: node --test over DIR's *.test.mjs in one stack
	local files
	files=$(ls "$top/tests/$1"/*.test.mjs 2>/dev/null) || { echo "no tests in $1"; return 1; }
	# shellcheck disable=SC2086,SC2016 # $STACK_DIR expands in the inner shell
	tests/with-stack.sh "$bindir" bash -c '
		node --test --test-concurrency=1 --test-reporter=spec "$@"; rc=$?
		if ls "$STACK_DIR"/asan* "$STACK_DIR"/ubsan* >/dev/null 2>&1; then
			echo "sanitizer reports:"; cat "$STACK_DIR"/asan* "$STACK_DIR"/ubsan* 2>/dev/null | head -100
			rc=1
		fi
		exit $rc' node-suite $files
}

suite unit unit
if [ -f "$logs/unit.log" ]; then
	c=$(grep -oE 'Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' "$logs/unit.log" | tail -1)
	if [ -n "$c" ]; then
		read -r checks fails errs <<<"$(echo "$c" | grep -oE '[0-9]+' | tr '\n' ' ')"
		passed=$((passed + checks - fails - errs)); failed=$((failed + fails + errs))
	fi
fi
suite fuzz fuzz_corpora
# Per-address limits are lifted for the suites that sign in a lot from
# 127.0.0.1; the limits suite runs its own stack with small ones. The time
# zone is a real one, so that date-only values are tested against it.
export RATE_LIMIT_LOGIN_IP=1000000 RATE_LIMIT_REGISTER_IP=1000000 \
	RATE_LIMIT_EMAIL_IP=1000000 RATE_LIMIT_REFRESH_IP=1000000 REFRESH_REUSE_GRACE_SECONDS=1 \
	INSTITUTION_TIMEZONE=Asia/Taipei STORAGE_SWEEP_EVERY_SECONDS=1
suite integration node_suite integration
count_node "$logs/integration.log"
RATE_LIMIT_LOGIN_IP=6 RATE_LIMIT_REGISTER_IP=3 RATE_LIMIT_EMAIL_IP=2 RATE_LIMIT_REFRESH_IP=3 \
	ALLOWED_EMAIL_DOMAINS=test.example.edu suite limits node_suite limits
count_node "$logs/limits.log"
PASSWORD_HASH_OPSLIMIT=2 PASSWORD_HASH_MEMLIMIT_KIB=16384 suite timing node_suite timing
count_node "$logs/timing.log"
# The pool suite needs a short timeout and frequent recycling to test them.
SCHOLARSHIP_REQUEST_TIMEOUT=2 SCHOLARSHIP_MAX_REQUESTS=40 suite pool node_suite pool
count_node "$logs/pool.log"
# One worker and a 60 MB limit: a 50 MB upload must not grow it.
MAX_UPLOAD_MB=60 SCHOLARSHIP_WORKERS=1 suite uploads node_suite uploads
count_node "$logs/uploads.log"
# Virus scanning against a clamd of its own (tests/clamav/run.sh starts it).
suite clamav tests/clamav/run.sh "$bindir"
count_node "$logs/clamav.log"
# STORAGE_BACKEND=s3 against s3rver behind a SigV4-verifying proxy (tests/s3/run.sh starts both).
suite s3 tests/s3/run.sh "$bindir"
count_node "$logs/s3.log"
# Mail by SMTP to a relay each test file starts itself (tests/mail/run.sh points the worker at it).
suite mail tests/mail/run.sh "$bindir"
count_node "$logs/mail.log"
suite browser node_suite browser
count_node "$logs/browser.log"


rm -rf "$logs"
echo
echo "check: ${#bad_suites[@]} suite(s) failed${bad_suites:+: ${bad_suites[*]}}"
echo "$passed passed, $failed failed"
[ ${#bad_suites[@]} -eq 0 ] && [ "$failed" -eq 0 ]

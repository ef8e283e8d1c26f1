#!/usr/bin/env bash
# run.sh BINDIR -- the mail suite: points the stack's scholarship-worker at
# an SMTP relay on a free loopback port (SMTP_HOST, SMTP_PORT; the worker
# reads its environment at start, so this comes before tests/with-stack.sh)
# with short retries (MAIL_RETRY_BASE_SECONDS=1, MAIL_MAX_ATTEMPTS=3) and
# reminders due at any hour (REMINDER_HOUR=0), then runs tests/mail/*.test.mjs
# against that stack. The relay is not started here: each test file starts
# and stops its own sink (tests/lib/smtp-sink.mjs, npm smtp-server) on
# SMTP_SINK_PORT, so a test can take it down and bring it back. A sanitizer
# report from the stack fails the suite, as in tests/run-all.sh.
set -Eeuo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bindir=$(cd "${1:?usage: tests/mail/run.sh BINDIR}" && pwd)
cd "$top"

free_port() { # a loopback TCP port nobody listens on
	local p
	for _ in $(seq 100); do
		p=$((20000 + RANDOM % 40000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
	done
	echo "mail: no free port" >&2
	return 1
}

port=$(free_port)
export SMTP_SINK_PORT=$port SMTP_HOST=127.0.0.1 SMTP_PORT=$port SMTP_USE_TLS=false
export MAIL_RETRY_BASE_SECONDS=1 MAIL_RETRY_MAX_SECONDS=4 MAIL_MAX_ATTEMPTS=3 REMINDER_HOUR=0
export MAIL_FROM=${MAIL_FROM:-'Scholarship Office 獎學金 <scholarships@uni.example.edu>'}
# The relay asks for AUTH with a password of this run (smtp.test.mjs checks
# that it is used and never logged).
export SMTP_USERNAME=mail-suite SMTP_PASSWORD="pw-$RANDOM$RANDOM-not-logged"

# shellcheck disable=SC2016 # $STACK_DIR expands in the inner shell
tests/with-stack.sh "$bindir" bash -c '
	node --test --test-concurrency=1 --test-reporter=spec "$@"; rc=$?
	if ls "$STACK_DIR"/asan* "$STACK_DIR"/ubsan* >/dev/null 2>&1; then
		echo "sanitizer reports:"; cat "$STACK_DIR"/asan* "$STACK_DIR"/ubsan* 2>/dev/null | head -100
		rc=1
	fi
	exit $rc' mail-suite tests/mail/*.test.mjs

#!/usr/bin/env bash
# run.sh BINDIR -- the virus-scanning suite (issue 5, item 4): starts a
# clamd of its own in a private directory, on a Unix socket only, with a
# signature database made here that detects the EICAR test file (no
# signatures can be downloaded, and the system's clamav-daemon service and
# freshclam are never used); waits until it answers PING; then runs
# tests/clamav/*.test.mjs against a throwaway stack whose API has
# CLAMAV_SOCKET set to it; stops clamd whatever happens.
#
# The tests see CLAMAV_SOCKET, CLAMD_PID_FILE (they stop clamd to test the
# scanner being down) and CLAMAV_SIGNATURE (the name clamd gives EICAR).
set -Eeuo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bindir=$(cd "${1:?usage: tests/clamav/run.sh BINDIR}" && pwd)
cd "$top"

dir=$(mktemp -d "${TMPDIR:-/tmp}/scholarship-clamd.XXXXXX")
pid=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	if [ -n "${KEEP_STACK:-}" ]; then echo "clamav: kept $dir" >&2; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! command -v clamd >/dev/null || ! command -v sigtool >/dev/null; then
	echo "clamav: clamd and sigtool are missing (make deps installs them)" >&2
	exit 1
fi

# The signature database: the MD5 of the EICAR file, named after the file
# (clamd reports it as eicar.txt.UNOFFICIAL). The string is split so that
# this script is not itself detected by a scanner.
mkdir -p "$dir/db" "$dir/tmp"
# shellcheck disable=SC2016 # literal dollars
printf '%s%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR' '-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' >"$dir/eicar.txt"
(cd "$dir" && sigtool --md5 eicar.txt >db/local.hdb)
rm -f "$dir/eicar.txt"

# No TCPSocket line: Unix socket only. StreamMaxLength is small so the
# suite can test the limit with a 3 MB file.
cat >"$dir/clamd.conf" <<CONF
DatabaseDirectory $dir/db
LocalSocket $dir/clamd.sock
LocalSocketMode 600
Foreground yes
TemporaryDirectory $dir/tmp
LogFile $dir/clamd.log
LogTime yes
LogClean yes
StreamMaxLength 2M
MaxThreads 4
SelfCheck 0
CONF

ping() { # exit 0 when clamd at $1 answers zPING with PONG
	node -e '
		const s = require("net").connect(process.argv[1]);
		let b = "";
		s.on("connect", () => s.write("zPING\0"));
		s.on("data", (d) => { b += d; });
		s.on("end", () => process.exit(b.replace(/\0/g, "") === "PONG" ? 0 : 1));
		s.on("error", () => process.exit(1));
		setTimeout(() => process.exit(1), 1000);' "$1"
}

t0=$(date +%s%N)
clamd -c "$dir/clamd.conf" </dev/null >"$dir/clamd.out" 2>&1 &
pid=$!
echo "$pid" >"$dir/clamd.pid"
ready=0
for _ in $(seq 300); do
	kill -0 "$pid" 2>/dev/null || break
	if ping "$dir/clamd.sock"; then ready=1; break; fi
	sleep 0.1
done
if [ $ready = 0 ]; then
	echo "clamav: clamd did not answer PING" >&2
	cat "$dir/clamd.out" "$dir/clamd.log" >&2 2>/dev/null || true
	exit 1
fi
echo "clamav: clamd $(clamd --version | cut -d/ -f1) answered PING after $((($(date +%s%N) - t0) / 1000000)) ms"

export CLAMAV_SOCKET="$dir/clamd.sock" CLAMD_PID_FILE="$dir/clamd.pid"
export CLAMAV_SIGNATURE=eicar.txt.UNOFFICIAL
rc=0
# shellcheck disable=SC2016 # $STACK_DIR expands in the inner shell
tests/with-stack.sh "$bindir" bash -c '
	node --test --test-concurrency=1 --test-reporter=spec tests/clamav/; rc=$?
	if ls "$STACK_DIR"/asan* "$STACK_DIR"/ubsan* >/dev/null 2>&1; then
		echo "sanitizer reports:"; cat "$STACK_DIR"/asan* "$STACK_DIR"/ubsan* 2>/dev/null | head -100
		rc=1
	fi
	exit $rc' || rc=$?
exit $rc

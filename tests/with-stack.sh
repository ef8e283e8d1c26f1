#!/usr/bin/env bash
# with-stack.sh BINDIR COMMAND [ARGS...] -- runs COMMAND against a
# throwaway stack (a fresh directory, a free port, fsync off, no demo data
# unless STACK_SEED=demo) and tears the stack down afterwards, whatever
# happens. COMMAND sees STACK_DIR, BASE_URL, STACK_BINDIR, PGHOST,
# DATABASE_URL... (everything in $STACK_DIR/stack.env).
set -Eeuo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bindir=${1:?usage: with-stack.sh BINDIR COMMAND...}
shift

free_port() {
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 20000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
	return 1
}

dir=$(mktemp -d "${TMPDIR:-/tmp}/scholarship-stack.XXXXXX")
chmod 755 "$dir"
cleanup() {
	"$top/tests/stack.sh" stop "$dir" || true
	if [ -f "$dir/pgdir" ] && [ "$(cat "$dir/pgdir")" != "$dir/pg" ]; then rm -rf "$(cat "$dir/pgdir")"; fi
	if [ -n "${KEEP_STACK:-}" ]; then echo "with-stack: kept $dir" >&2; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
port=$(free_port)
# Tests hash passwords at the minimum argon2id cost.
export PASSWORD_HASH_OPSLIMIT=${PASSWORD_HASH_OPSLIMIT:-1} PASSWORD_HASH_MEMLIMIT_KIB=${PASSWORD_HASH_MEMLIMIT_KIB:-8}
STACK_SEED=${STACK_SEED:-none} STACK_PG_FSYNC=off "$top/tests/stack.sh" start "$dir" "$port" "$bindir"
set -a
# shellcheck disable=SC1091
. "$dir/stack.env"
set +a
"$@"

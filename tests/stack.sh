#!/usr/bin/env bash
# stack.sh -- starts and stops the whole local stack in one directory:
# PostgreSQL (Unix socket), Redis (Unix socket), scholarship-api under
# spawn-fcgi, scholarship-worker and NGINX on 127.0.0.1:PORT.
#
#   stack.sh run   DIR PORT BINDIR   foreground until SIGINT/SIGTERM (make run)
#   stack.sh start DIR PORT BINDIR   start, migrate, write DIR/stack.env, return
#   stack.sh stop  DIR               stop everything started in DIR
#   stack.sh start-api|stop-api [SIG]|start-pg|stop-pg|start-redis|stop-redis DIR
#                                    one service of a started stack (tests)
#
# As root, PostgreSQL runs as the postgres user in a directory that user
# can reach (its path is recorded in DIR/pgdir); NGINX workers and the pool
# run as the invoking user. Nothing outside DIR is touched but that
# PostgreSQL directory. Environment overrides: SCHOLARSHIP_WORKERS,
# STACK_SEED (demo|none), STACK_PG_FSYNC (off for tests).
set -Eeuo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cmd=${1:?usage: stack.sh run|start|stop DIR [PORT BINDIR]}
dir=${2:?DIR missing}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
pg_bindir=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
as_root=0
[ "$(id -u)" = 0 ] && as_root=1

log() { printf 'stack: %s\n' "$*" >&2; }

pg_run() { # run a PostgreSQL server binary as the right user
	if [ $as_root = 1 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The PostgreSQL directory: DIR/pg, unless root and postgres cannot reach DIR.
pg_dir() {
	if [ -f "$dir/pgdir" ]; then cat "$dir/pgdir"; return; fi
	local p="$dir/pg"
	if [ $as_root = 1 ] && ! runuser -u postgres -- test -x "$dir" 2>/dev/null; then
		p=$(mktemp -d /tmp/scholarship-pg.XXXXXX)
	fi
	mkdir -p "$p"
	[ $as_root = 1 ] && chown postgres:postgres "$p"
	chmod 700 "$p"
	echo "$p" >"$dir/pgdir"
	echo "$p"
}

start_pg() {
	local pg fsync=${STACK_PG_FSYNC:-on}
	pg=$(pg_dir)
	if [ ! -f "$pg/data/PG_VERSION" ]; then
		pg_run "$pg_bindir/initdb" -D "$pg/data" -U postgres -A trust -E UTF8 \
			--locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 ||
			{ cat "$dir/initdb.log" >&2; return 1; }
	fi
	pg_run "$pg_bindir/pg_ctl" -D "$pg/data" -l "$pg/postgres.log" -w -t 30 \
		-o "-k $pg -c listen_addresses= -c fsync=$fsync -c max_connections=200" start >/dev/null ||
		{ cat "$pg/postgres.log" >&2; return 1; }
	PGHOST=$pg
}

setup_db() {
	export PGHOST
	if ! psql -h "$PGHOST" -U postgres -Atqc "SELECT 1 FROM pg_database WHERE datname='scholarship'" | grep -q 1; then
		psql -h "$PGHOST" -U postgres -qX -v ON_ERROR_STOP=1 -f "$top/schema/roles.sql" >/dev/null
		psql -h "$PGHOST" -U postgres -qX -v ON_ERROR_STOP=1 \
			-c "CREATE DATABASE scholarship OWNER scholarship_owner ENCODING 'UTF8'" >/dev/null
	fi
}

write_env() {
	local port=$1 bindir=$2
	[ -s "$dir/secret_key" ] || { head -c 48 /dev/urandom | base64 | tr -d '/+=\n' >"$dir/secret_key"; chmod 600 "$dir/secret_key"; }
	# Redis requires a password here too, so every run exercises AUTH
	# (and its re-sending after Redis comes back).
	# Personal data is encrypted with a key of this stack's own.
	[ -s "$dir/pii_key" ] || { head -c 32 /dev/urandom | base64 >"$dir/pii_key"; chmod 600 "$dir/pii_key"; }
	[ -s "$dir/redis_password" ] || { head -c 24 /dev/urandom | base64 | tr -d '/+=\n' >"$dir/redis_password"; chmod 600 "$dir/redis_password"; }
	mkdir -p "$dir/storage" "$dir/mail" "$dir/nginx-tmp" "$dir/run"
	cat >"$dir/stack.env" <<ENV
export STACK_DIR='$dir'
export STACK_BINDIR='$bindir'
export BASE_URL='http://127.0.0.1:$port'
export PGHOST='$PGHOST'
export PGUSER=postgres
export SECRET_KEY='$(cat "$dir/secret_key")'
export DATABASE_URL='postgresql:///scholarship?host=$PGHOST&user=scholarship_app'
export DATABASE_URL_SYNC='postgresql:///scholarship?host=$PGHOST&user=scholarship_owner'
export REDIS_URL='unix://$dir/run/redis.sock'
export PII_ENCRYPTION_KEYS='1:$(cat "$dir/pii_key")'
export REDIS_PASSWORD='$(cat "$dir/redis_password")'
export STORAGE_DIR='$dir/storage'
export MAIL_DIR='$dir/mail'
export PUBLIC_URL='http://127.0.0.1:$port'
export SCHOLARSHIP_WORKERS='${SCHOLARSHIP_WORKERS:-4}'
export SCHOLARSHIP_MAX_REQUESTS='${SCHOLARSHIP_MAX_REQUESTS:-100000}'
export SCHOLARSHIP_REQUEST_TIMEOUT='${SCHOLARSHIP_REQUEST_TIMEOUT:-30}'
export PASSWORD_HASH_OPSLIMIT='${PASSWORD_HASH_OPSLIMIT:-2}'
export PASSWORD_HASH_MEMLIMIT_KIB='${PASSWORD_HASH_MEMLIMIT_KIB:-65536}'
export ASAN_OPTIONS='${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$dir/asan'
export SCHOLARSHIP_TEST_CRASH_FILE='$dir/run/crash-on-start'
export UBSAN_OPTIONS='${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$dir/ubsan'
ENV
}

start_redis() {
	redis-server --port 0 --unixsocket "$dir/run/redis.sock" --unixsocketperm 700 \
		--dir "$dir/run" --save '' --appendonly no --daemonize no \
		--requirepass "$(cat "$dir/redis_password")" \
		--logfile "$dir/redis.log" </dev/null >/dev/null 2>&1 &
	echo $! >"$dir/run/redis.pid"
	for _ in $(seq 100); do [ -S "$dir/run/redis.sock" ] && return 0; sleep 0.05; done
	log "redis did not start"; cat "$dir/redis.log" >&2; return 1
}

start_api() {
	local bindir=$1
	rm -f "$dir/run/api.sock"
	# The socket belongs to the invoking user, as do NGINX's workers.
	# STACK_API_WRAPPER (e.g. valgrind ...) runs the pool under a tool.
	# shellcheck disable=SC2086
	spawn-fcgi -n -s "$dir/run/api.sock" -M 0660 -- ${STACK_API_WRAPPER:-} "$bindir/scholarship-api" \
		</dev/null >>"$dir/api.log" 2>&1 &
	echo $! >"$dir/run/api.pid"
	for _ in $(seq 100); do [ -S "$dir/run/api.sock" ] && return 0; sleep 0.05; done
	log "scholarship-api did not start"; tail -n 20 "$dir/api.log" >&2; return 1
}

start_worker() {
	"$1/scholarship-worker" </dev/null >>"$dir/worker.log" 2>&1 &
	echo $! >"$dir/run/worker.pid"
}

start_nginx() {
	local port=$1 user_line=""
	[ $as_root = 1 ] && user_line="user $(id -un) $(id -gn);"
	sed -e "s|@DIR@|$dir|g" -e "s|@PORT@|$port|g" -e "s|@HTML@|$top/nginx/html|g" \
		-e "s|@SNIPPETS@|$top/nginx/snippets|g" -e "s|@API_SOCK@|$dir/run/api.sock|g" \
		-e "s|@USER_LINE@|$user_line|" -e "s|@MAX_BODY@|$((${MAX_UPLOAD_MB:-10} + 1))|g" \
		"$top/nginx/local.conf.in" >"$dir/nginx.conf"
	nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/nginx-error.log" -g 'daemon off;' \
		</dev/null >>"$dir/nginx-stderr.log" 2>&1 &
	echo $! >"$dir/run/nginx.pid"
	for _ in $(seq 400); do
		curl -fsS -o /dev/null "http://127.0.0.1:$port/health" 2>/dev/null && return 0
		sleep 0.05
	done
	log "nginx did not answer /health"; tail -n 20 "$dir/nginx-error.log" "$dir/api.log" >&2; return 1
}

migrate() {
	"$1/scholarshipctl" migrate >"$dir/migrate.log" 2>&1 ||
		{ cat "$dir/migrate.log" >&2; return 1; }
}

seed() {
	local f
	for f in "$top/schema/seed/reference.sql" "$top/schema/seed/demo.sql"; do
		[ -f "$f" ] || continue
		psql -d scholarship -U scholarship_owner -qX -v ON_ERROR_STOP=1 -f "$f" >/dev/null
	done
	# The demo student's personal data goes through the import, which
	# seals it with this stack's PII key (SQL cannot).
	(cd "$top" && "$1/scholarshipctl" import-students schema/seed/demo-students.csv) \
		>>"$dir/migrate.log" 2>&1 || { tail -n 20 "$dir/migrate.log" >&2; return 1; }
}

stop_pid() { # stop_pid FILE SIGNAL: signal, wait up to 15 s, then kill
	local f=$1 sig=$2 pid
	[ -f "$f" ] || return 0
	pid=$(cat "$f")
	rm -f "$f"
	kill -0 "$pid" 2>/dev/null || return 0
	kill "-$sig" "$pid" 2>/dev/null || true
	for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null || true
}

stop_all() {
	stop_pid "$dir/run/nginx.pid" QUIT
	stop_pid "$dir/run/worker.pid" TERM
	stop_pid "$dir/run/api.pid" TERM
	stop_pid "$dir/run/redis.pid" TERM
	if [ -f "$dir/pgdir" ]; then
		local pg; pg=$(cat "$dir/pgdir")
		if [ -f "$pg/data/postmaster.pid" ]; then
			pg_run "$pg_bindir/pg_ctl" -D "$pg/data" -m fast -w stop >/dev/null 2>&1 || true
		fi
	fi
}

start_all() {
	local port=$1 bindir
	bindir=$(cd "$2" && pwd)
	start_pg
	setup_db
	write_env "$port" "$bindir"
	# shellcheck disable=SC1091
	. "$dir/stack.env"
	migrate "$bindir"
	[ "${STACK_SEED:-demo}" = none ] || seed "$bindir"
	start_redis
	start_api "$bindir"
	start_worker "$bindir"
	start_nginx "$port"
}

load_env() { # for the single-service commands below
	# shellcheck disable=SC1091
	set -a
	# shellcheck disable=SC1091
	. "$dir/stack.env"
	set +a
}

case $cmd in
start-api) load_env; start_api "$STACK_BINDIR" ;;
stop-api) stop_pid "$dir/run/api.pid" "${3:-TERM}" ;;
start-redis) load_env; start_redis ;;
stop-redis) stop_pid "$dir/run/redis.pid" TERM ;;
start-pg) start_pg ;;
stop-pg)
	pg=$(cat "$dir/pgdir")
	pg_run "$pg_bindir/pg_ctl" -D "$pg/data" -m fast -w stop >/dev/null
	;;
start)
	trap 'stop_all' ERR
	start_all "${3:?PORT}" "${4:?BINDIR}"
	;;
stop)
	stop_all
	;;
run)
	trap 'stop_all; exit 1' ERR
	start_all "${3:?PORT}" "${4:?BINDIR}" </dev/null
	trap 'echo; log "stopping"; stop_all; exit 0' INT TERM
	cat <<MSG

  Scholarship Management System is running at ${BASE_URL}/

  Demo logins (password demo-password-2026):
    super@demo.example.edu     super admin
    admin@demo.example.edu     admin
    college@demo.example.edu   college staff
    reviewer@demo.example.edu  reviewer
    student@demo.example.edu   student

  State lives in $dir (logs: api.log, worker.log, nginx-error.log).
  Press Ctrl-C to stop.

MSG
	while :; do sleep 3600 & wait $! || true; done
	;;
*)
	echo "usage: stack.sh run|start|stop DIR [PORT BINDIR]" >&2; exit 2 ;;
esac

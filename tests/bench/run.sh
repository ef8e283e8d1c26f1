#!/usr/bin/env bash
# run.sh BINDIR -- the HTTP benchmark (make bench). Starts, in one temporary
# directory:
#   - the local stack (tests/stack.sh: PostgreSQL, Redis, the scholarship-api
#     pool with SCHOLARSHIP_WORKERS=4, NGINX) with no demo data;
#   - a second NGINX with the same settings serving /ceiling (return 200)
#     and /hello (BINDIR/fcgi-hello, 4 children under spawn-fcgi);
# then measures with wrk, round-robin, every scenario BENCH_ROUNDS times:
#   nginx-return200  /ceiling        NGINX alone
#   fcgi-hello       /hello          NGINX -> bare libfcgi (the ceiling)
#   health           /health         NGINX -> scholarship-api, no I/O
#   health-ready     /health/ready   + one PostgreSQL and one Redis trip
#   auth-me          /api/v1/auth/me with a valid token: JWT check, denylist
#                    lookup (Redis), the user row (PostgreSQL)
#   unread-count     /api/v1/notifications/unread-count: auth/me's work plus
#                    the count every open page polls (index-only)
# and then logins per second at the configured (production) argon2id cost,
# with the pool's peak memory (every hash in flight holds its memory limit).
# and prints the medians and the targets (/health >= 85 % of fcgi-hello,
# /health/ready >= 30 %, p99 < 15 ms). Then applications at scale:
# `scholarshipctl seed-load` puts 10,000 students and 100,000 applications
# into the stack (its time is printed), and, round-robin with fcgi-hello
# again:
#   app-list-mine    GET /api/v1/applications as a loaded student
#   app-list-p1      GET /api/v1/applications?status=submitted&limit=20 (admin)
#   app-list-p100    the same at page 100 (cursor found by following 99 pages)
#   app-get          GET /api/v1/applications/{id} (admin)
#   create-submit    create_submit.lua: loaded students create and submit
#                    applications in fresh open periods; pairs per second
# and documents: upload throughput (MB/s, a 5 MB PDF, 4 uploads at a time)
# and downloads through X-Accel-Redirect (req/s) beside NGINX serving the
# same file statically.
# with targets (single reads >= 25 % of fcgi-hello, page 100 within 20 % of
# page 1, p99 < 20 ms). A build without the list or submit route skips
# those scenarios and says so. Last, mail: BENCH_MAIL (2000) messages
# queued with one INSERT ... SELECT generate_series and sent by one
# scholarship-worker to a local SMTP relay (tests/lib/smtp-sink.mjs, npm
# smtp-server accepting everything): messages per second from the first
# delivery to the last (target >= 200/s). BENCH_ONLY=mail runs that
# scenario alone (no fcgi-hello needed). Missing a target is not a failure:
# the script fails only when something cannot be started.
#
# Environment: BENCH_SECONDS (10) per run, BENCH_ROUNDS (3),
# BENCH_CONNECTIONS (64), BENCH_THREADS (2), BENCH_WARMUP (2 s per
# scenario, 0 for none), BENCH_LOAD_STUDENTS (10000),
# BENCH_LOAD_APPLICATIONS (100000), BENCH_MAIL (2000), BENCH_ONLY (mail:
# the mail scenario alone), BENCH_KEEP=1 keeps the directory with all logs.
# Functions run from the EXIT trap and through verdict "$@" look unreachable:
# shellcheck disable=SC2317
set -euo pipefail
export LC_ALL=C

top=$(cd "$(dirname "$0")/../.." && pwd)
bindir=$(cd "${1:?usage: run.sh BINDIR}" && pwd)
seconds=${BENCH_SECONDS:-10}
rounds=${BENCH_ROUNDS:-3}
conns=${BENCH_CONNECTIONS:-64}
threads=${BENCH_THREADS:-2}
warmup=${BENCH_WARMUP:-2}
workers=4

only=${BENCH_ONLY:-}
case $only in "" | mail) ;; *) echo "bench: BENCH_ONLY must be empty or mail" >&2; exit 2 ;; esac
for p in "$bindir/scholarship-api" "$bindir/scholarship-worker" "$bindir/fcgi-hello"; do
	[ "$only" = mail ] && [ "${p##*/}" = fcgi-hello ] && continue
	[ -x "$p" ] || { echo "bench: $p missing (make VARIANT=release progs $bindir/fcgi-hello)" >&2; exit 2; }
done
for c in wrk nginx spawn-fcgi curl ss node psql; do
	command -v "$c" >/dev/null || { echo "bench: $c not installed (make deps)" >&2; exit 2; }
done

log() { printf 'bench: %s\n' "$*" >&2; }

# ---- setup and teardown -------------------------------------------------
# Every server and wrk runs in its own session (setsid): Ctrl-C reaches only
# this script, whose trap stops them in order, instead of killing NGINX
# under a running wrk.
dir=$(mktemp -d /tmp/scholarship-bench.XXXXXX)
# PostgreSQL runs as postgres when we are root: let it traverse to DIR/stack/pg.
chmod 711 "$dir"
stack=$dir/stack
hello=$dir/hello
mkdir -p "$hello/tmp" "$dir/wrk"

stop_pidfile() { # stop_pidfile FILE SIGNAL: every pid in FILE, wait, then KILL
	local f=$1 sig=$2 pid pids=()
	[ -s "$f" ] || return 0
	while read -r pid || [ -n "$pid" ]; do # spawn-fcgi ends the file without a newline
		[[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && pids+=("$pid")
	done <"$f"
	[ ${#pids[@]} -gt 0 ] || return 0
	kill "-$sig" "${pids[@]}" 2>/dev/null || true
	for _ in $(seq 100); do
		local alive=0
		for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
		[ "$alive" = 0 ] && return 0
		sleep 0.1
	done
	kill -KILL "${pids[@]}" 2>/dev/null || true
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	[ -z "$wrk_pid" ] || kill "$wrk_pid" 2>/dev/null || true
	stop_pidfile "$hello/nginx.pid" QUIT
	stop_pidfile "$hello/nginx-master.pid" QUIT
	stop_pidfile "$hello/fcgi-hello.pid" TERM
	stop_pidfile "$dir/mail/worker.pid" TERM
	stop_pidfile "$dir/mail/sink.pid" TERM
	[ -d "$stack" ] && { "$top/tests/stack.sh" stop "$stack" || true; }
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		log "kept $dir"
	else
		[ -f "$stack/pgdir" ] && [ "$(cat "$stack/pgdir")" != "$stack/pg" ] &&
			rm -rf "$(cat "$stack/pgdir")"
		rm -rf "$dir"
	fi
	exit "$rc"
}
wrk_pid=""
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() { # a TCP port nobody listens on, other than $1
	local p
	for _ in $(seq 200); do
		p=$((20000 + RANDOM % 40000))
		[ "$p" = "${1:-}" ] && continue
		[ -z "$(ss -Htln "sport = :$p")" ] && { echo "$p"; return 0; }
	done
	log "no free port"; return 1
}

stack_port=$(free_port)
bench_port=$(free_port "$stack_port")

log "starting the stack on 127.0.0.1:$stack_port ($workers workers) in $dir"
# Logins are measured, not limited: lift the per-address sign-in limit.
RATE_LIMIT_LOGIN_IP=1000000 SCHOLARSHIP_WORKERS=$workers STACK_SEED=none STACK_PG_FSYNC=off \
	setsid -w "$top/tests/stack.sh" start "$stack" "$stack_port" "$bindir"

# ---- mail: SMTP send rate -----------------------------------------------
# mail_bench: BENCH_MAIL messages (a subject, ~1 KB of text and an HTML
# part, like a notification) queued with one INSERT ... SELECT
# generate_series; one scholarship-worker of BINDIR sends them by SMTP to
# a relay on a free loopback port (tests/lib/smtp-sink.mjs, npm
# smtp-server, accepting everything and parsing nothing). The stack's own
# worker (mail to files) is stopped first, so one worker does all of it.
# Prints messages per second from the first delivery to the last, and
# from the INSERT to the last delivery. Target: >= 200 messages/s.
# shellcheck disable=SC2016 # JavaScript template literals, not shell expansions
mail_sink_js='
const [top, port, want, out] = process.argv.slice(1);
const { writeFileSync } = await import("node:fs");
const { startSink } = await import(`file://${top}/tests/lib/smtp-sink.mjs`);
const sink = await startSink({ port: Number(port), parse: false });
writeFileSync(`${out}.ready`, "");
const end = Date.now() + 600000;
while (sink.count() < Number(want) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
const at = sink.messages.map((m) => m.at);
const ids = new Set(sink.messages.map((m) => (/^Message-ID: *(.*)$/im.exec(m.raw) || [])[1]));
writeFileSync(out, `${sink.count()} ${ids.size} ${Math.min(...at)} ${Math.max(...at)} ${sink.connections()}\n`);
await sink.close();
'
mail_bench() {
	local n=${BENCH_MAIL:-2000} port out=$dir/mail t_insert count ids first last conns
	mkdir -p "$out"
	port=$(free_port "$stack_port")
	setsid node --input-type=module -e "$mail_sink_js" "$top" "$port" "$n" "$out/result" \
		</dev/null >"$out/sink.log" 2>&1 &
	echo $! >"$out/sink.pid"
	for _ in $(seq 200); do [ -f "$out/result.ready" ] && break; sleep 0.05; done
	[ -f "$out/result.ready" ] || { log "mail: the SMTP sink did not start"; cat "$out/sink.log" >&2; exit 1; }
	stop_pidfile "$stack/run/worker.pid" TERM
	(
		set -a
		# shellcheck disable=SC1091
		. "$stack/stack.env"
		set +a
		SMTP_HOST=127.0.0.1 SMTP_PORT=$port SMTP_USE_TLS=false LOG_LEVEL=info \
			exec setsid "$bindir/scholarship-worker"
	) </dev/null >"$out/worker.log" 2>&1 &
	echo $! >"$out/worker.pid"
	for _ in $(seq 200); do grep -q 'listening on mail_outbox' "$out/worker.log" 2>/dev/null && break; sleep 0.05; done
	grep -q 'listening on mail_outbox' "$out/worker.log" || { log "mail: the worker did not start"; cat "$out/worker.log" >&2; exit 1; }
	t_insert=$(date +%s%3N)
	(
		# shellcheck disable=SC1091
		. "$stack/stack.env"
		psql -d scholarship -U scholarship_app -qX -v ON_ERROR_STOP=1 -c "INSERT INTO mail_outbox
			(to_address, subject, body_text, body_html, template_key, locale)
			SELECT 'bench' || g || '@bench.example.edu', '獎學金通知 Scholarship notice ' || g,
			repeat('Dear student, your application has been received. ', 20) || g,
			'<p>' || repeat('Dear student, your application has been received. ', 20) || g || '</p>',
			'bench', 'en' FROM generate_series(1, $n) g"
	)
	while kill -0 "$(cat "$out/sink.pid")" 2>/dev/null && [ ! -s "$out/result" ]; do sleep 0.2; done
	[ -s "$out/result" ] || { log "mail: the sink stopped early"; cat "$out/sink.log" >&2; exit 1; }
	read -r count ids first last conns <"$out/result"
	echo
	echo "Mail (SMTP to a local relay, one worker, $n messages queued in one INSERT)"
	awk -v c="$count" -v f="$first" -v l="$last" -v t="$t_insert" -v n="$n" -v u="$ids" -v k="$conns" 'BEGIN {
		r = l > f ? (c - 1) * 1000 / (l - f) : 0
		printf "  %d of %d delivered (%d distinct Message-IDs) over %d connection(s)\n", c, n, u, k
		printf "  %.0f messages/s from the first delivery to the last (%.2f s); %.2f s from the INSERT to the last\n",
			r, (l - f) / 1000, (l - t) / 1000
		printf "%-44s %10.0f  %s\n", "mail send rate >= 200 messages/s", r, (r >= 200 ? "meets" : "misses") }'
	stop_pidfile "$out/worker.pid" TERM
	grep -h '"level":"\(warn\|error\)"' "$out/worker.log" | head -3 | cut -c1-200 | sed 's/^/  worker: /' || true
}

if [ "$only" = mail ]; then
	mail_bench
	exit 0
fi

log "starting fcgi-hello ($workers children) and the bench NGINX on 127.0.0.1:$bench_port"
setsid -w spawn-fcgi -s "$hello/hello.sock" -M 0660 -F "$workers" -P "$hello/fcgi-hello.pid" \
	-- "$bindir/fcgi-hello" </dev/null >"$hello/spawn-fcgi.log" 2>&1 ||
	{ cat "$hello/spawn-fcgi.log" >&2; exit 1; }
[ "$(grep -c . "$hello/fcgi-hello.pid")" = "$workers" ] ||
	{ log "spawn-fcgi started $(grep -c . "$hello/fcgi-hello.pid") children, not $workers"; exit 1; }

user_line=""
[ "$(id -u)" = 0 ] && user_line="user $(id -un) $(id -gn);"
# The same settings as nginx/local.conf.in (workers, access log, security
# headers, FastCGI parameters), so that only the upstream differs.
cat >"$hello/nginx.conf" <<CONF
# Generated by tests/bench/run.sh: the bench's own NGINX.
$user_line
worker_processes 2;
pid $hello/nginx.pid;
error_log $hello/nginx-error.log warn;
events { worker_connections 2048; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log $hello/nginx-access.log;
    client_body_temp_path $hello/tmp/body;
    proxy_temp_path $hello/tmp/proxy;
    fastcgi_temp_path $hello/tmp/fastcgi;
    uwsgi_temp_path $hello/tmp/uwsgi;
    scgi_temp_path $hello/tmp/scgi;
    sendfile on;
    server_tokens off;
    server {
        listen 127.0.0.1:$bench_port;
        server_name localhost;
        include $top/nginx/snippets/scholarship-security-headers.conf;
        location = /ceiling {
            return 200 "ok\n";
        }
        location = /static.pdf {
            root $hello;
            default_type application/pdf;
        }
        location /hello {
            fastcgi_pass unix:$hello/hello.sock;
            include $top/nginx/snippets/scholarship-fastcgi.conf;
        }
    }
}
CONF
setsid nginx -p "$hello" -c "$hello/nginx.conf" -e "$hello/nginx-error.log" -g 'daemon off;' \
	</dev/null >"$hello/nginx-stdout.log" 2>&1 &
echo $! >"$hello/nginx-master.pid" # before NGINX writes its own pid file

bench_email=bench@bench.example.edu bench_password=bench-password-2026
token=$(
	set -a
	# shellcheck disable=SC1091
	. "$stack/stack.env"
	set +a
	cd "$top"
	printf '%s\n' "$bench_password" | "$bindir/scholarshipctl" user-add --email "$bench_email" \
		--name "Bench User" --role student >/dev/null
	"$bindir/scholarshipctl" mint-token --email "$bench_email"
)
names=(nginx-return200 fcgi-hello health health-ready auth-me unread-count)
declare -A hdr=([auth-me]="Authorization: Bearer $token" [unread-count]="Authorization: Bearer $token")
declare -A url=(
	[nginx-return200]="http://127.0.0.1:$bench_port/ceiling"
	[fcgi-hello]="http://127.0.0.1:$bench_port/hello"
	[health]="http://127.0.0.1:$stack_port/health"
	[health-ready]="http://127.0.0.1:$stack_port/health/ready"
	[auth-me]="http://127.0.0.1:$stack_port/api/v1/auth/me"
	[unread-count]="http://127.0.0.1:$stack_port/api/v1/notifications/unread-count"
)
for n in "${names[@]}"; do
	ok=0
	for _ in $(seq 100); do
		curl -fsS -o /dev/null -H "${hdr[$n]:-X-Bench: 1}" "${url[$n]}" 2>/dev/null && { ok=1; break; }
		sleep 0.05
	done
	[ $ok = 1 ] || { log "$n: ${url[$n]} does not answer 200"; tail -5 "$hello"/nginx-*.log "$stack/nginx-error.log" >&2; exit 1; }
done

# ---- measuring ----------------------------------------------------------
# parse_wrk FILE -> "req/s p50_ms p99_ms non2xx socket_errors"
parse_wrk() {
	awk '
	function ms(v) {
		if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
		if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
		if (v ~ /s$/)  return substr(v, 1, length(v) - 1) * 1000
		if (v ~ /m$/)  return substr(v, 1, length(v) - 1) * 60000
		return -1
	}
	$1 == "Requests/sec:" { rps = $2 }
	$1 == "50%" { p50 = ms($2) }
	$1 == "99%" { p99 = ms($2) }
	/Non-2xx or 3xx responses:/ { non2xx = $NF }
	/Socket errors:/ { gsub(/,/, ""); sock = $4 + $6 + $8 + $10 }
	END { printf "%.0f %.3f %.3f %d %d\n", rps, p50, p99, non2xx, sock }
	' "$1"
}

median() { # median of the arguments
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print 0; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

spread() { # (max - min) / median of the arguments, in percent: the noise
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		if (m > 0) printf "%.0f", 100 * (v[NR] - v[1]) / m; else print 0 }'
}

run_wrk() { # run_wrk SECONDS URL OUT [HEADER]; in the background so Ctrl-C stops at once
	setsid wrk -t"$threads" -c"$conns" -d"$1"s --latency -H "${4:-X-Bench: 1}" "$2" >"$3" 2>&1 </dev/null &
	wrk_pid=$!
	wait "$wrk_pid" || { log "wrk failed:"; cat "$3" >&2; exit 1; }
	wrk_pid=""
}

# measure NAME...: warm each scenario up, then run them BENCH_ROUNDS times
# round-robin (drift hits all alike), printing one line per run, and leave
# the medians in m_rps, m_p50, m_p99, the spread in s_rps and the summed
# errors in errs, keyed by name.
declare -A rps p50 p99 errs m_rps m_p50 m_p99 s_rps
measure() {
	local n r out v_rps v_p50 v_p99 v_non2xx v_sock
	if [ "$warmup" != 0 ]; then
		for n in "$@"; do run_wrk "$warmup" "${url[$n]}" "$dir/wrk/warmup-$n.txt" "${hdr[$n]:-}"; done
	fi
	for n in "$@"; do rps[$n]=""; p50[$n]=""; p99[$n]=""; errs[$n]=0; done
	for r in $(seq "$rounds"); do
		for n in "$@"; do
			out="$dir/wrk/$n-$r.txt"
			run_wrk "$seconds" "${url[$n]}" "$out" "${hdr[$n]:-}"
			read -r v_rps v_p50 v_p99 v_non2xx v_sock <<<"$(parse_wrk "$out")"
			rps[$n]+=" $v_rps"; p50[$n]+=" $v_p50"; p99[$n]+=" $v_p99"
			errs[$n]=$((errs[$n] + v_non2xx + v_sock))
			printf 'round %d  %-16s %8d req/s  p50 %7.2f ms  p99 %7.2f ms  non-2xx %d  socket errors %d\n' \
				"$r" "$n" "$v_rps" "$v_p50" "$v_p99" "$v_non2xx" "$v_sock"
			[ "$v_sock" = 0 ] || grep 'Socket errors' "$out" | sed 's/^ */          /'
		done
	done
	for n in "$@"; do
		# shellcheck disable=SC2086 # word splitting of the lists is wanted
		{ m_rps[$n]=$(median ${rps[$n]}); m_p50[$n]=$(median ${p50[$n]}); m_p99[$n]=$(median ${p99[$n]}); s_rps[$n]=$(spread ${rps[$n]}); }
	done
}

load0=$(cut -d" " -f1-3 /proc/loadavg)
log "wrk -t$threads -c$conns -d${seconds}s --latency, $rounds rounds, $(nproc) CPUs (wrk shares them)"
measure "${names[@]}"

# ---- the table ----------------------------------------------------------
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", 100 * a / b; else print "n/a" }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "n/a" && a >= b) }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
verdict() { if "$@"; then echo meets; else echo misses; fi; }

echo
echo "Medians of $rounds rounds, wrk -t$threads -c$conns -d${seconds}s, $workers FastCGI workers, $(nproc) CPUs, load before: $load0"
printf '%-16s %9s %7s %8s %8s %13s %16s\n' scenario req/s spread "p50 ms" "p99 ms" "errors (sum)" "% of fcgi-hello"
for n in "${names[@]}"; do
	ratio=""
	case $n in health | health-ready | auth-me | unread-count) ratio="$(pct "${m_rps[$n]}" "${m_rps[fcgi-hello]}") %" ;; esac
	printf '%-16s %9.0f %6s%% %8.2f %8.2f %13d %16s\n' "$n" "${m_rps[$n]}" "${s_rps[$n]}" "${m_p50[$n]}" "${m_p99[$n]}" "${errs[$n]}" "$ratio"
done

h_pct=$(pct "${m_rps[health]}" "${m_rps[fcgi-hello]}")
r_pct=$(pct "${m_rps[health-ready]}" "${m_rps[fcgi-hello]}")
echo
echo "Targets"
printf '%-44s %10s  %s\n' "/health rate >= 85 % of fcgi-hello" "$h_pct %" "$(verdict ge "$h_pct" 85)"
printf '%-44s %7.2f ms  %s\n' "/health p99 < 15 ms" "${m_p99[health]}" "$(verdict lt "${m_p99[health]}" 15)"
printf '%-44s %10s  %s\n' "/health/ready rate >= 30 % of fcgi-hello" "$r_pct %" "$(verdict ge "$r_pct" 30)"
printf '%-44s %7.2f ms  %s\n' "/health/ready p99 < 15 ms" "${m_p99[health-ready]}" "$(verdict lt "${m_p99[health-ready]}" 15)"
a_pct=$(pct "${m_rps[auth-me]}" "${m_rps[fcgi-hello]}")
printf '%-44s %10s  %s\n' "/auth/me rate >= 30 % of fcgi-hello" "$a_pct %" "$(verdict ge "$a_pct" 30)"
printf '%-44s %7.2f ms  %s\n' "/auth/me p99 < 15 ms" "${m_p99[auth-me]}" "$(verdict lt "${m_p99[auth-me]}" 15)"

# ---- logins: argon2id-bound ------------------------------------------
pool_rss_kib() { # resident memory of the pool master and its workers
	local m
	m=$(cat "$stack/run/api.pid")
	{ echo "$m"; pgrep -P "$m" || true; } | while read -r p; do
		awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null || true
	done | awk '{ s += $1 } END { print s + 0 }'
}
cat >"$dir/login.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"email":"$bench_email","password":"$bench_password"}'
LUA
login_conns=${BENCH_LOGIN_CONNECTIONS:-8}
peak=$(pool_rss_kib) idle_rss=$peak
setsid wrk -t2 -c"$login_conns" -d"$seconds"s --latency -s "$dir/login.lua" \
	"http://127.0.0.1:$stack_port/api/v1/auth/login" >"$dir/wrk/login.txt" 2>&1 </dev/null &
wrk_pid=$!
while kill -0 "$wrk_pid" 2>/dev/null; do
	now=$(pool_rss_kib)
	[ "$now" -gt "$peak" ] && peak=$now
	sleep 0.2
done
wait "$wrk_pid" || true
wrk_pid=""
read -r l_rps l_p50 l_p99 l_non2xx l_sock <<<"$(parse_wrk "$dir/wrk/login.txt")"
# shellcheck disable=SC1091
cost=$(. "$stack/stack.env"; echo "opslimit $PASSWORD_HASH_OPSLIMIT, memlimit $((PASSWORD_HASH_MEMLIMIT_KIB / 1024)) MiB")
echo
echo "Logins (POST /api/v1/auth/login, argon2id $cost, $login_conns connections, ${seconds}s)"
printf '  %.1f logins/s  p50 %.1f ms  p99 %.1f ms  non-2xx %d  socket errors %d\n' \
	"$l_rps" "$l_p50" "$l_p99" "$l_non2xx" "$l_sock"
printf '  pool resident memory: %.1f MiB idle, %.1f MiB peak (master + %d workers)\n' \
	"$(awk -v k="$idle_rss" 'BEGIN { print k / 1024 }')" "$(awk -v k="$peak" 'BEGIN { print k / 1024 }')" "$workers"

# ---- applications at scale ---------------------------------------------
# seed-load puts BENCH_LOAD_STUDENTS students and BENCH_LOAD_APPLICATIONS
# applications into the stack (reference data first; the bench admin is
# granted the LOAD scholarship), then, against fcgi-hello measured again in
# the same round-robin:
#   app-list-mine   GET /applications as a loaded student (their own)
#   app-list-p1     GET /applications?status=submitted&limit=20 as the admin
#   app-list-p100   the same at page 100 (the cursor after following 99 pages)
#   app-get         GET /applications/{id} as the admin
# and create+submit: create_submit.lua, loaded students creating and
# submitting applications in fresh open periods (no rules, no form), two
# per round, made through the API by the admin.
load_students=${BENCH_LOAD_STUDENTS:-10000}
load_apps=${BENCH_LOAD_APPLICATIONS:-100000}
base="http://127.0.0.1:$stack_port"
admin_email=bench-admin@bench.example.edu
stackctl() { # scholarshipctl with the stack's environment
	(
		set -a
		# shellcheck disable=SC1091
		. "$stack/stack.env"
		set +a
		cd "$top"
		"$bindir/scholarshipctl" "$@"
	)
}
urlencode() { # percent-encode $1 for a query string
	local s=$1 out="" c i
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case $c in [A-Za-z0-9._~-]) out+=$c ;; *) out+=$(printf '%%%02X' "'$c") ;; esac
	done
	printf '%s' "$out"
}
json_str() { # json_str KEY: the first "KEY" : "value" of standard input
	grep -o "\"$1\" *: *\"[^\"]*\"" | head -1 | sed 's/.*: *"//; s/"$//'
}
call() { # call TOKEN METHOD PATH [JSON]: the body; the status in $dir/status
	local args=(-sS -o "$dir/call.out" -w '%{http_code}' -X "$2" -H "Authorization: Bearer $1")
	[ -z "${4:-}" ] || args+=(-H 'Content-Type: application/json' --data "$4")
	curl "${args[@]}" "$base$3" >"$dir/status" || true
	cat "$dir/call.out"
}
status() { cat "$dir/status"; }

echo
echo "Applications at scale"
(
	# shellcheck disable=SC1091
	. "$stack/stack.env"
	psql -d scholarship -U scholarship_owner -qX -v ON_ERROR_STOP=1 -f "$top/schema/seed/reference.sql" >/dev/null
)
printf '%s\n' "$bench_password" | stackctl user-add --email "$admin_email" --name "Bench Admin" --role admin >/dev/null
stackctl seed-load --students "$load_students" --applications "$load_apps" --admin "$admin_email" \
	--tokens "$dir/tokens.txt" | sed 's/^/  /'
admin_token=$(stackctl mint-token --email "$admin_email")
student_token=$(head -1 "$dir/tokens.txt" | cut -d' ' -f2)
names2=()
list=$(call "$student_token" GET /api/v1/applications)
if [ "$(status)" != 200 ]; then
	echo "  GET /api/v1/applications answers $(status): this build has no list route yet; list and read scenarios skipped"
else
	page=$(call "$admin_token" GET "/api/v1/applications?status=submitted&limit=20")
	app_id=$(printf '%s' "$page" | json_str id)
	cursor=$(printf '%s' "$page" | json_str next_cursor)
	for _ in $(seq 98); do
		[ -n "$cursor" ] || break
		cursor=$(call "$admin_token" GET "/api/v1/applications?status=submitted&limit=20&cursor=$(urlencode "$cursor")" | json_str next_cursor)
	done
	if [ -z "$cursor" ] || [ -z "$app_id" ]; then
		log "could not reach page 100 of the admin's submitted applications (status $(status))"
		exit 1
	fi
	url[fcgi-hello-2]=${url[fcgi-hello]}
	url[app-list-mine]="$base/api/v1/applications"
	url[app-list-p1]="$base/api/v1/applications?status=submitted&limit=20"
	url[app-list-p100]="$base/api/v1/applications?status=submitted&limit=20&cursor=$(urlencode "$cursor")"
	url[app-get]="$base/api/v1/applications/$app_id"
	hdr[app-list-mine]="Authorization: Bearer $student_token"
	for n in app-list-p1 app-list-p100 app-get; do hdr[$n]="Authorization: Bearer $admin_token"; done
	for n in app-list-mine app-list-p1 app-list-p100 app-get; do
		curl -fsS -o /dev/null -H "${hdr[$n]}" "${url[$n]}" || { log "$n: ${url[$n]} does not answer 200"; exit 1; }
	done
	names2=(fcgi-hello-2 app-list-mine app-list-p1 app-list-p100 app-get)
	printf '  %s\n' "$(printf '%s' "$list" | grep -o '"app_no"' | wc -l) applications listed for load student 1;" \
		"page 100 of status=submitted reached by following next_cursor 99 times"
	measure "${names2[@]}"
fi

# create+submit: a scholarship and 2 * rounds + 1 periods (the first for the
# probe and the warmup) made by the admin through the API.
cs_rounds=()
opens=$(date -u -d '-1 day' +%Y-%m-%dT%H:%M:%SZ) closes=$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%SZ)
sch=$(call "$admin_token" POST /api/v1/scholarships \
	'{"code":"BENCH-CS","name":"基準測試獎學金","name_en":"Bench create and submit","status":"active","sub_type_selection":"single","sub_types":[{"code":"general","name":"一般生","name_en":"General","amount_cents":100000}]}' | json_str id)
[ "$(status)" = 201 ] || { log "creating the bench scholarship: $(status) $(cat "$dir/call.out")"; exit 1; }
periods=()
for i in $(seq 0 $((2 * rounds))); do
	pid=$(call "$admin_token" POST "/api/v1/scholarships/$sch/periods" \
		"{\"academic_year\":$((2100 + i)),\"term\":1,\"label\":\"Bench $i\",\"opens_at\":\"$opens\",\"closes_at\":\"$closes\",\"requires_reviewer_review\":false}" | json_str id)
	[ "$(status)" = 201 ] || { log "creating a bench period: $(status) $(cat "$dir/call.out")"; exit 1; }
	call "$admin_token" POST "/api/v1/periods/$pid/status" '{"status":"open"}' >/dev/null
	[ "$(status)" = 200 ] || { log "opening a bench period: $(status) $(cat "$dir/call.out")"; exit 1; }
	periods+=("$pid")
done
# The probe: the last loaded student, in the warmup period.
probe_token=$(tail -1 "$dir/tokens.txt" | cut -d' ' -f2)
probe=$(call "$probe_token" POST /api/v1/applications "{\"period_id\":\"${periods[0]}\",\"sub_types\":[\"general\"]}" | json_str id)
[ "$(status)" = 201 ] || { log "create+submit probe: create answers $(status) $(cat "$dir/call.out")"; exit 1; }
call "$probe_token" POST "/api/v1/applications/$probe/submit" >/dev/null
if [ "$(status)" != 200 ]; then
	echo "  POST /api/v1/applications/{id}/submit answers $(status): create+submit skipped"
else
	run_cs() { # run_cs SECONDS OUT PERIODS: create_submit.lua
		setsid wrk -t"$threads" -c"$conns" -d"$1"s --latency -s "$top/tests/bench/create_submit.lua" \
			"$base" -- "$dir/tokens.txt" "$3" "$threads" >"$2" 2>&1 </dev/null &
		wrk_pid=$!
		wait "$wrk_pid" || { log "wrk failed:"; cat "$2" >&2; exit 1; }
		wrk_pid=""
	}
	[ "$warmup" = 0 ] || run_cs "$warmup" "$dir/wrk/warmup-create-submit.txt" "${periods[0]}"
	cs_pairs="" cs_creates="" cs_p50="" cs_p99="" cs_failed=0 cs_exhausted=0
	for r in $(seq "$rounds"); do
		out="$dir/wrk/create-submit-$r.txt"
		run_cs "$seconds" "$out" "${periods[$((2 * r - 1))]},${periods[$((2 * r))]}"
		read -r _ v_p50 v_p99 _ v_sock <<<"$(parse_wrk "$out")"
		read -r c_n s_n f_n e_n d_n <<<"$(awk '/^create-submit:/ { print $3, $5, $7, $9, $11 }' "$out")"
		c_rate=$(awk -v n="$c_n" -v d="$d_n" 'BEGIN { printf "%.0f", n / d }')
		s_rate=$(awk -v n="$s_n" -v d="$d_n" 'BEGIN { printf "%.0f", n / d }')
		cs_pairs+=" $s_rate"; cs_creates+=" $c_rate"; cs_p50+=" $v_p50"; cs_p99+=" $v_p99"
		cs_failed=$((cs_failed + f_n + v_sock)); cs_exhausted=$((cs_exhausted + e_n))
		printf 'round %d  %-16s %8d creates/s %6d submits/s  p50 %7.2f ms  p99 %7.2f ms  failed %d  exhausted %d\n' \
			"$r" create-submit "$c_rate" "$s_rate" "$v_p50" "$v_p99" "$f_n" "$e_n"
	done
	# What the database holds: every counted submit is a submitted row.
	held=$(
		# shellcheck disable=SC1091
		. "$stack/stack.env"
		psql -d scholarship -U postgres -AtqX -c "SELECT count(*) FILTER (WHERE a.status = 'submitted') || ' submitted, ' ||
			count(*) FILTER (WHERE a.status = 'draft') || ' drafts' FROM applications a JOIN periods p ON p.id = a.period_id
			WHERE p.scholarship_id = '$sch'"
	)
	# shellcheck disable=SC2086 # word splitting of the lists is wanted
	cs_rounds=("$(median $cs_pairs)" "$(median $cs_creates)" "$(median $cs_p50)" "$(median $cs_p99)" "$(spread $cs_pairs)")
fi

if [ ${#names2[@]} -gt 0 ] || [ ${#cs_rounds[@]} -gt 0 ]; then
	echo
	echo "Medians of $rounds rounds, $load_students students and $load_apps applications loaded, same wrk settings"
	printf '%-16s %9s %7s %8s %8s %13s %16s\n' scenario req/s spread "p50 ms" "p99 ms" "errors (sum)" "% of fcgi-hello"
	for n in "${names2[@]}"; do
		ratio=""
		[ "$n" = fcgi-hello-2 ] || ratio="$(pct "${m_rps[$n]}" "${m_rps[fcgi-hello-2]}") %"
		printf '%-16s %9.0f %6s%% %8.2f %8.2f %13d %16s\n' "$n" "${m_rps[$n]}" "${s_rps[$n]}" "${m_p50[$n]}" "${m_p99[$n]}" "${errs[$n]}" "$ratio"
	done
	if [ ${#cs_rounds[@]} -gt 0 ]; then
		printf '%-16s %9.0f %6s%% %8.2f %8.2f %13d %16s\n' create-submit "${cs_rounds[0]}" "${cs_rounds[4]}" \
			"${cs_rounds[2]}" "${cs_rounds[3]}" "$cs_failed" "(pairs/s)"
		printf '  create+submit: %.0f creates/s and %.0f submits/s (median; p50/p99 over both kinds); the database holds %s in the bench periods%s\n' \
			"${cs_rounds[1]}" "${cs_rounds[0]}" "$held" \
			"$([ "$cs_exhausted" = 0 ] || echo "; WARNING: $cs_exhausted requests found no unused (student, period) pair")"
	fi
	echo
	echo "Targets"
	if [ ${#names2[@]} -gt 0 ]; then
		g_pct=$(pct "${m_rps[app-get]}" "${m_rps[fcgi-hello-2]}")
		l_pct=$(pct "${m_rps[app-list-mine]}" "${m_rps[fcgi-hello-2]}")
		p_ratio=$(awk -v a="${m_rps[app-list-p100]}" -v b="${m_rps[app-list-p1]}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print 0 }')
		l_ratio=$(awk -v a="${m_p50[app-list-p100]}" -v b="${m_p50[app-list-p1]}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print 0 }')
		printf '%-44s %10s  %s\n' "GET /applications/{id} >= 25 % of fcgi-hello" "$g_pct %" "$(verdict ge "$g_pct" 25)"
		printf '%-44s %10s  %s\n' "GET /applications (own) >= 25 % of fcgi-hello" "$l_pct %" "$(verdict ge "$l_pct" 25)"
		printf '%-44s %10s  %s\n' "page 100 / page 1 rate >= 0.80" "$p_ratio" "$(verdict ge "$p_ratio" 0.8)"
		printf '%-44s %10s  %s\n' "page 100 / page 1 p50 <= 1.20" "$l_ratio" "$(verdict lt "$l_ratio" 1.2000001)"
		for n in app-list-mine app-list-p1 app-list-p100 app-get; do
			printf '%-44s %7.2f ms  %s\n' "$n p99 < 20 ms" "${m_p99[$n]}" "$(verdict lt "${m_p99[$n]}" 20)"
		done
	fi
	[ ${#cs_rounds[@]} -eq 0 ] ||
		printf '%-44s %7.2f ms  %s\n' "create-submit p99 < 20 ms" "${cs_rounds[3]}" "$(verdict lt "${cs_rounds[3]}" 20)"
fi

# ---- documents: upload throughput, downloads through X-Accel-Redirect -----
# A period asking for one PDF kind (max_mb 10); doc_uploads loaded students
# each open an application and upload the same 5 MB PDF, doc_parallel at a
# time (curl, multipart): MB/s over the whole batch. Then the stored file
# is downloaded through the API (NGINX sends it after X-Accel-Redirect)
# beside NGINX serving the same file statically, with wrk.
echo
echo "Documents (fs storage)"
doc_uploads=${BENCH_DOC_UPLOADS:-40} doc_parallel=${BENCH_DOC_PARALLEL:-4}
head -c $((5 * 1048576 - 9)) /dev/urandom | cat <(printf '%%PDF-1.7\n') - >"$dir/doc5.pdf"
cp "$dir/doc5.pdf" "$hello/static.pdf"
dsch=$(call "$admin_token" POST /api/v1/scholarships \
	'{"code":"BENCH-DOC","name":"文件基準","name_en":"Bench documents","status":"active"}' | json_str id)
[ "$(status)" = 201 ] || { log "creating the documents scholarship: $(status)"; exit 1; }
dper=$(call "$admin_token" POST "/api/v1/scholarships/$dsch/periods" \
	"{\"academic_year\":2090,\"term\":1,\"label\":\"Bench documents\",\"opens_at\":\"$opens\",\"closes_at\":\"$closes\",\"requires_reviewer_review\":false,\"required_documents\":[{\"kind\":\"doc\",\"label\":\"文件\",\"accepted_types\":[\"application/pdf\"],\"max_mb\":10,\"max_count\":20}]}" | json_str id)
[ "$(status)" = 201 ] || { log "creating the documents period: $(status) $(cat "$dir/call.out")"; exit 1; }
call "$admin_token" POST "/api/v1/periods/$dper/status" '{"status":"open"}' >/dev/null
: >"$dir/doc-jobs.txt"
while read -r _ tok; do
	aid=$(call "$tok" POST /api/v1/applications "{\"period_id\":\"$dper\"}" | json_str id)
	[ "$(status)" = 201 ] || { log "documents: creating an application answers $(status)"; exit 1; }
	printf '%s %s\n' "$tok" "$aid" >>"$dir/doc-jobs.txt"
done < <(sed -n "2,$((doc_uploads + 1))p" "$dir/tokens.txt")
upload_one() { # upload_one TOKEN APPLICATION: prints the HTTP status
	curl -sS -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $1" \
		-F kind=doc -F "file=@$dir/doc5.pdf;type=application/pdf" "$base/api/v1/applications/$2/documents"
}
export -f upload_one
export dir base
t0=$(date +%s.%N)
# shellcheck disable=SC2016 # $0 and $1 are the inner bash's
xargs -P "$doc_parallel" -L 1 bash -c 'upload_one "$0" "$1"' <"$dir/doc-jobs.txt" >"$dir/doc-status.txt"
t1=$(date +%s.%N)
ok=$(grep -c '^201$' "$dir/doc-status.txt" || true)
awk -v n="$ok" -v all="$doc_uploads" -v t="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" -v p="$doc_parallel" \
	'BEGIN { printf "  upload: %d of %d uploads of a 5 MB PDF stored in %.2f s, %d at a time: %.1f MB/s, %.1f uploads/s\n", n, all, t, p, n * 5 / t, n / t }'
read -r tok aid < <(head -1 "$dir/doc-jobs.txt")
doc_id=$(call "$tok" GET "/api/v1/applications/$aid/documents" | json_str id)
if [ "$ok" != "$doc_uploads" ] || [ -z "$doc_id" ]; then
	log "documents: some uploads failed ($(sort "$dir/doc-status.txt" | uniq -c | tr '\n' ' '))"
	exit 1
fi
url[doc-static]="http://127.0.0.1:$bench_port/static.pdf"
url[doc-accel]="$base/api/v1/documents/$doc_id/content"
hdr[doc-accel]="Authorization: Bearer $tok"
cmp -s <(curl -fsS -H "${hdr[doc-accel]}" "${url[doc-accel]}") "$dir/doc5.pdf" ||
	{ log "documents: the downloaded file differs from the uploaded one"; exit 1; }
measure doc-static doc-accel
printf '  %-14s %9s %7s %8s %8s %13s %12s\n' scenario req/s spread "p50 ms" "p99 ms" "errors (sum)" "MB/s"
for n in doc-static doc-accel; do
	printf '  %-14s %9.0f %6s%% %8.2f %8.2f %13d %12.0f\n' "$n" "${m_rps[$n]}" "${s_rps[$n]}" "${m_p50[$n]}" \
		"${m_p99[$n]}" "${errs[$n]}" "$(awk -v r="${m_rps[$n]}" 'BEGIN { print r * 5 }')"
done
printf '  downloads through the API (auth, scope, audit row, X-Accel-Redirect) at %s %% of NGINX serving the file statically\n' \
	"$(pct "${m_rps[doc-accel]}" "${m_rps[doc-static]}")"

mail_bench

# ---- what the servers said ----------------------------------------------
echo
echo "Server logs during the run"
for f in "$hello/nginx-error.log" "$stack/nginx-error.log" "$stack/api.log"; do
	n=$(grep -Eic '\[(warn|error|crit|alert|emerg)\]|"level":"(warn|error)"' "$f" 2>/dev/null || true)
	printf '  %-28s %6d warn/error lines\n' "${f#"$dir"/}" "${n:-0}"
	[ "${n:-0}" = 0 ] || grep -Ei '\[(warn|error|crit|alert|emerg)\]|"level":"(warn|error)"' "$f" | head -3 | cut -c1-200 | sed 's/^/      /'
done
for f in "$hello/nginx-access.log" "$stack/nginx-access.log"; do
	printf '  %-28s' "${f#"$dir"/}"
	awk '{ s[$9]++ } END { for (k in s) printf " %s:%d", k, s[k]; print "" }' "$f"
done
[ "${BENCH_KEEP:-0}" = 1 ] && echo "  (raw wrk output and logs in $dir)"
exit 0

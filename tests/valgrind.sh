#!/usr/bin/env bash
# valgrind.sh BINDIR -- the worker's request loop under valgrind (memcheck).
# One worker that is recycled after VG_REQUESTS requests, so it leaves
# through exit() and valgrind checks its heap; a mix of routes and bad
# input is sent, then every valgrind log must show no errors and nothing
# definitely or indirectly lost. Not part of `make check` (slow).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bindir=$(cd "${1:?usage: valgrind.sh BINDIR}" && pwd)
n=${VG_REQUESTS:-300}
export SCHOLARSHIP_WORKERS=1 SCHOLARSHIP_MAX_REQUESTS=$n SCHOLARSHIP_REQUEST_TIMEOUT=60
export VG_WRAPPER="/usr/bin/valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --track-fds=no --log-file=VGLOG.%p"
# shellcheck disable=SC2016 # the inner script expands its own variables
exec "$top/tests/with-stack.sh" "$bindir" bash -c '
	set -euo pipefail
	n='"$n"'
	# the wrapper'"'"'s log path must be absolute: rewrite it for this stack
	tests/stack.sh stop-api "$STACK_DIR"
	STACK_API_WRAPPER="${VG_WRAPPER//VGLOG/$STACK_DIR/valgrind}" tests/stack.sh start-api "$STACK_DIR"
	for i in $(seq 100); do curl -fsS -o /dev/null "$BASE_URL/health" 2>/dev/null && break; sleep 0.2; done
	printf "valgrind-pass-1\n" | "$STACK_BINDIR/scholarshipctl" user-add --email vg@test.example.edu \
		--name VG --role student >/dev/null
	login() {
		curl -s -X POST -H "Content-Type: application/json" \
			-d "{\"email\":\"vg@test.example.edu\",\"password\":\"valgrind-pass-1\"}" \
			"$BASE_URL/api/v1/auth/login" | sed -n "s/.*\"access_token\":\"\([^\"]*\)\".*/\1/p"
	}
	# tests/valgrind.sql: a student record for vg@ and an open period, so
	# that the application routes run too.
	psql -qAtX -v ON_ERROR_STOP=1 -d scholarship -f schema/seed/reference.sql >/dev/null
	pid=$(psql -qAtX -v ON_ERROR_STOP=1 -d scholarship -f tests/valgrind.sql | tail -1)
	apps() { # apps TOKEN: create, a bad and a good edit, a good and a refused upload, submit, lists, read, withdraw, notifications
		local a id
		a=$(curl -s -X POST -H "Authorization: Bearer $1" -H "Content-Type: application/json" \
			-d "{\"period_id\":\"$pid\"}" "$BASE_URL/api/v1/applications")
		id=$(printf "%s" "$a" | sed -n "s/^{\"id\" : \"\([^\"]*\)\".*/\1/p")
		for body in "{\"answers\":{\"phone\":\"x\",\"no\":1}}" "{\"answers\":{\"phone\":\"0912345678\"}}"; do
			curl -s -o /dev/null -X PATCH -H "Authorization: Bearer $1" -H "If-Match: *" \
				-H "Content-Type: application/json" -d "$body" "$BASE_URL/api/v1/applications/$id"
		done
		curl -s -o /dev/null -H "Authorization: Bearer $1" -F kind=doc \
			-F "file=@$STACK_DIR/vg.pdf;type=application/pdf" "$BASE_URL/api/v1/applications/$id/documents"
		curl -s -o /dev/null -H "Authorization: Bearer $1" -F kind=doc \
			-F "file=@$STACK_DIR/vg.txt;filename=x.pdf" "$BASE_URL/api/v1/applications/$id/documents"
		curl -s -o /dev/null -H "Authorization: Bearer $1" "$BASE_URL/api/v1/applications/$id/documents"
		curl -s -o /dev/null -X POST -H "Authorization: Bearer $1" "$BASE_URL/api/v1/applications/$id/submit"
		curl -s -o /dev/null -H "Authorization: Bearer $1" "$BASE_URL/api/v1/applications?q=B99&limit=5"
		curl -s -o /dev/null -H "Authorization: Bearer $1" "$BASE_URL/api/v1/applications/$id"
		curl -s -o /dev/null -X POST -H "Authorization: Bearer $1" "$BASE_URL/api/v1/applications/$id/withdraw"
		# the submit wrote an in-app notification (and a mail from its template)
		curl -s -o /dev/null -H "Authorization: Bearer $1" "$BASE_URL/api/v1/notifications?limit=5"
		curl -s -o /dev/null -H "Authorization: Bearer $1" "$BASE_URL/api/v1/notifications?unread=maybe"
		curl -s -o /dev/null -H "Authorization: Bearer $1" "$BASE_URL/api/v1/notifications/unread-count"
		curl -s -o /dev/null -X POST -H "Authorization: Bearer $1" "$BASE_URL/api/v1/notifications/read-all"
	}
	printf "%%PDF-1.4\nvalgrind\n" >"$STACK_DIR/vg.pdf"
	printf "not a pdf\n" >"$STACK_DIR/vg.txt"
	sent=0
	while [ $sent -lt $((n + 5)) ]; do
		tok=$(login)
		apps "$tok"
		sent=$((sent + 14))
		curl -s -o /dev/null -H "Authorization: Bearer $tok" "$BASE_URL/api/v1/auth/me"
		curl -s -o /dev/null -H "Authorization: Bearer forged.$tok" "$BASE_URL/api/v1/auth/me"
		curl -s -o /dev/null "$BASE_URL/api/v1/reference/colleges"
		sent=$((sent + 4))
		curl -s -o /dev/null "$BASE_URL/health"
		curl -s -o /dev/null "$BASE_URL/health/ready"
		curl -s -o /dev/null "$BASE_URL/api/v1/nothing"
		curl -s -o /dev/null -X POST -H "Content-Type: application/json" -d "{\"a\":[1,{\"b\":2}]}" "$BASE_URL/api/v1/_test/echo"
		curl -s -o /dev/null -X POST -H "Content-Type: application/json" -d "{bad" "$BASE_URL/api/v1/_test/echo"
		curl -s -o /dev/null "$BASE_URL/metrics"
		sent=$((sent + 6))
	done
	sleep 2
	tests/stack.sh stop-api "$STACK_DIR"
	sleep 1
	logs=$(ls "$STACK_DIR"/valgrind.* 2>/dev/null || true)
	[ -n "$logs" ] || { echo "valgrind: no logs"; exit 1; }
	if grep -lE "ERROR SUMMARY: [1-9]|definitely lost: [1-9]|indirectly lost: [1-9]|Invalid (read|write)|uninitialised" $logs; then
		cat $logs; echo "valgrind: FAILED"; exit 1
	fi
	submitted=$(psql -qAtX -d scholarship -c "SELECT count(*) FROM application_status_history WHERE to_status = '"'"'submitted'"'"'")
	[ "$submitted" -gt 0 ] || { echo "valgrind: the application routes never got as far as a submit"; exit 1; }
	docs=$(psql -qAtX -d scholarship -c "SELECT count(*) FROM documents")
	[ "$docs" -gt 0 ] || { echo "valgrind: no upload was stored"; exit 1; }
	notes=$(psql -qAtX -d scholarship -c "SELECT count(*) FROM notifications WHERE read_at IS NOT NULL")
	[ "$notes" -gt 0 ] || { echo "valgrind: no notification was written and read"; exit 1; }
	echo "valgrind: $(echo $logs | wc -w) process logs clean after $sent requests ($submitted applications submitted, $docs documents uploaded, $notes notifications read)"
'

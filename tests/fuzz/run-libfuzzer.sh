#!/usr/bin/env bash
# run-libfuzzer.sh SECONDS -- build every tests/fuzz/fuzz_*.c with libFuzzer
# (clang -fsanitize=fuzzer,address,undefined) into build/fuzz/, and run each
# for SECONDS over a scratch copy of its seed corpus, so new inputs found
# during the run never land in the repository. A crash leaves its input in
# build/fuzz/artifacts/ and makes the script exit non-zero; replay one with
#   build/fuzz/fuzz_NAME build/fuzz/artifacts/NAME-crash-...
# `make fuzz` runs this with FUZZ_SECONDS (default 60); FUZZ_ONLY=NAME runs
# just tests/fuzz/fuzz_NAME.c (`make fuzz FUZZ_ONLY=multipart FUZZ_SECONDS=600`).
set -euo pipefail

secs=${1:?usage: run-libfuzzer.sh SECONDS}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
out=build/fuzz
mkdir -p "$out/artifacts"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/scholarship-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# shellcheck disable=SC2207
deps=($(pkg-config --cflags --libs fcgi libpq hiredis libcjson libjwt libcurl openssl libsodium))
cflags=(-std=gnu11 -g -O1 -fno-omit-frame-pointer
	"-fsanitize=fuzzer,address,undefined" -fno-sanitize-recover=undefined
	-Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE -DHIREDIS_V1=0 -DSCH_TEST_BUILD=1 -Ilib)

# http inputs carry 16 KiB headers and 256+ params; multipart ones reach
# the 8 KiB header-block limit; json bodies are small.
max_len() {
	case $1 in
	http) echo 40000 ;;
	multipart) echo 20000 ;;
	*) echo 8192 ;;
	esac
}

export ASAN_OPTIONS="detect_leaks=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
failed=()
for src in tests/fuzz/fuzz_${FUZZ_ONLY:-*}.c; do
	name=$(basename "$src" .c)
	name=${name#fuzz_}
	echo "== fuzz_$name: build"
	clang "${cflags[@]}" -o "$out/fuzz_$name" "$src" lib/*.c "${deps[@]}" -lm
	mkdir -p "$scratch/$name"
	cp tests/fuzz/corpus/"$name"/* "$scratch/$name"/ 2>/dev/null || true
	echo "== fuzz_$name: ${secs}s"
	if ! "$out/fuzz_$name" -max_total_time="$secs" -max_len="$(max_len "$name")" \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$out/artifacts/$name-" "$scratch/$name" 2>"$out/fuzz_$name.log"; then
		failed+=("$name")
		tail -n 60 "$out/fuzz_$name.log"
	fi
	grep -E '^(stat::number_of_executed_units|stat::new_units_added|#[0-9]+ +DONE)' \
		"$out/fuzz_$name.log" || true
done

if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz: failed: ${failed[*]} (inputs in $out/artifacts/)"
	exit 1
fi
echo "fuzz: all targets ran ${secs}s without a crash"

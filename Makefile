# Makefile -- the one hand-written build for the Scholarship Management System.
#
# ./configure (run by this file when config.mk is missing) finds the
# libraries; this file builds three variants of the same sources:
#   build/release  the installed programs (-O2)
#   build/asan     what `make check` tests: ASan + UBSan, test-only routes
#   build/test     test-only routes without sanitizers, for valgrind
# `make run` and `make check` first run `make deps`, which installs every
# missing Debian and npm package, so a fresh Debian 12 machine needs nothing
# else.

PREFIX   ?= /usr/local
DESTDIR  ?=
VARIANT  ?= release
B        := build/$(VARIANT)

# Debian packages the build, the local stack and the tests need (one list).
DEB_PACKAGES := build-essential autoconf automake pkgconf \
	libfcgi-dev spawn-fcgi libpq-dev postgresql redis-server \
	libhiredis-dev libcjson-dev libjwt-dev libcurl4-openssl-dev \
	libssl-dev libsodium-dev check nginx curl wrk prometheus \
	chromium valgrind clang libclang-rt-14-dev clang-format clamav clamav-daemon

NO_CONFIG_GOALS := deps clean distclean format help
ifneq ($(filter-out $(NO_CONFIG_GOALS),$(or $(MAKECMDGOALS),all)),)
include config.mk
endif

WARN     := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter
BASE_CFLAGS := -std=gnu11 -g $(WARN) -D_GNU_SOURCE -Ilib $(DEP_CFLAGS)
ifeq ($(VARIANT),release)
VCFLAGS  := -O2 -D_FORTIFY_SOURCE=2 -fstack-protector-strong
VLDFLAGS :=
else ifeq ($(VARIANT),asan)
VCFLAGS  := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined -DSCH_TEST_BUILD=1
VLDFLAGS := -fsanitize=address,undefined
else ifeq ($(VARIANT),test)
VCFLAGS  := -O1 -DSCH_TEST_BUILD=1
VLDFLAGS :=
else
$(error VARIANT must be release, asan or test)
endif
ALL_CFLAGS := $(BASE_CFLAGS) $(VCFLAGS) -DSCH_DATADIR=\"$(PREFIX)/share/scholarship\" $(CFLAGS)
ALL_LDFLAGS := $(VLDFLAGS) $(LDFLAGS)

LIB_SRCS  := $(wildcard lib/*.c)
LIB_OBJS  := $(LIB_SRCS:%.c=$(B)/%.o)
LIBA      := $(B)/libscholarship.a
API_OBJS  := $(B)/app/scholarship-api.o $(B)/app/api_routes.o $(B)/app/openapi.o
PROGS     := $(B)/scholarship-api $(B)/scholarship-worker $(B)/scholarshipctl
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_OBJS := $(UNIT_SRCS:%.c=$(B)/%.o)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_DRIVERS := $(FUZZ_SRCS:tests/fuzz/%.c=$(B)/%)
HELLO     := $(B)/fcgi-hello

.PHONY: all progs unit fuzz-drivers check check-valgrind run bench fuzz deps \
	install clean distclean format ui help

all: progs ui

progs: $(PROGS)

$(B)/%.o: %.c config.mk
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Iapp -MMD -MP -c -o $@ $<

$(B)/app/openapi.o: app/openapi.S app/openapi.json
	@mkdir -p $(@D)
	$(CC) -c -o $@ $<

$(LIBA): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(B)/scholarship-api: $(API_OBJS) $(LIBA)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(DEP_LIBS) -lm
$(B)/scholarship-worker: $(B)/app/scholarship-worker.o $(LIBA)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(DEP_LIBS) -lm
$(B)/scholarshipctl: $(B)/app/scholarshipctl.o $(LIBA)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(DEP_LIBS) -lm

$(B)/unit-tests: $(UNIT_OBJS) $(LIBA)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(DEP_LIBS) $(CHECK_LIBS) -lm
$(B)/tests/unit/%.o: tests/unit/%.c config.mk
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -MMD -MP -c -o $@ $<
unit: $(B)/unit-tests

# Fuzz targets: a plain driver that replays the corpus (make check) here;
# libFuzzer builds for long runs under `make fuzz`.
$(B)/fuzz_%: $(B)/tests/fuzz/fuzz_%.o $(B)/tests/fuzz/driver.o $(LIBA)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(DEP_LIBS) -lm
fuzz-drivers: $(FUZZ_DRIVERS)

$(HELLO): tests/bench/fcgi-hello.c config.mk
	@mkdir -p $(@D)
	$(CC) -O2 -o $@ $< $(DEP_CFLAGS) $(DEP_LIBS)

config.mk: config.mk.in configure.ac
	@$(MAKE) --no-print-directory deps
	autoreconf -fi && ./configure -q

# UI libraries come from npm and are copied into the served tree, never
# committed (nginx/html/vendor is ignored by git).
ui: node_modules/.package-lock.json
	@mkdir -p nginx/html/vendor
	@cp node_modules/preact/dist/preact.module.js node_modules/htm/dist/htm.module.js \
		nginx/html/vendor/
	@# CSP forbids inline import maps: point hooks at preact by path instead.
	@sed 's|from"preact"|from"./preact.module.js"|g' \
		node_modules/preact/hooks/dist/hooks.module.js >nginx/html/vendor/hooks.module.js

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# ---- the two commands -------------------------------------------------
run: deps
	@$(MAKE) --no-print-directory VARIANT=release progs ui
	@tests/stack.sh run var 8080 build/release

check: deps
	@$(MAKE) --no-print-directory VARIANT=asan progs unit fuzz-drivers ui
	@$(MAKE) --no-print-directory VARIANT=release progs
	@tests/run-all.sh build/asan

check-valgrind: deps
	@$(MAKE) --no-print-directory VARIANT=test progs unit
	@tests/valgrind.sh build/test

bench: deps
	@$(MAKE) --no-print-directory VARIANT=release progs ui build/release/fcgi-hello
	@tests/bench/run.sh build/release

fuzz: deps
	@tests/fuzz/run-libfuzzer.sh $(or $(FUZZ_SECONDS),60)

# ---- packages -----------------------------------------------------------
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	done); \
	command -v node >/dev/null || missing="$$missing nodejs npm"; \
	if [ -n "$$(echo $$missing)" ]; then \
		echo "deps: installing$$(echo ' '$$missing)"; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	fi
	@if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then \
		npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.package-lock.json; \
	fi

# ---- install --------------------------------------------------------------
install: progs ui
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin \
		$(DESTDIR)$(PREFIX)/share/scholarship/schema/migrations \
		$(DESTDIR)$(PREFIX)/share/scholarship/schema/seed \
		$(DESTDIR)$(PREFIX)/share/scholarship/html \
		$(DESTDIR)/etc/nginx/sites-available $(DESTDIR)/etc/nginx/snippets \
		$(DESTDIR)/lib/systemd/system
	install -m 755 $(B)/scholarship-api $(B)/scholarship-worker $(DESTDIR)$(PREFIX)/sbin/
	install -m 755 $(B)/scholarshipctl $(DESTDIR)$(PREFIX)/bin/
	install -m 644 schema/roles.sql $(DESTDIR)$(PREFIX)/share/scholarship/schema/
	install -m 644 schema/migrations/*.sql $(DESTDIR)$(PREFIX)/share/scholarship/schema/migrations/
	@# demo.sql is for `make run` only and is never installed.
	for f in $(filter-out schema/seed/demo.sql,$(wildcard schema/seed/*.sql)); do \
		install -m 644 $$f $(DESTDIR)$(PREFIX)/share/scholarship/schema/seed/; done
	cp -R nginx/html/. $(DESTDIR)$(PREFIX)/share/scholarship/html/
	sed 's|/usr/local/|$(PREFIX)/|g' nginx/scholarship.conf >$(DESTDIR)/etc/nginx/sites-available/scholarship
	install -m 644 nginx/snippets/*.conf $(DESTDIR)/etc/nginx/snippets/
	for f in $(wildcard systemd/*.service systemd/*.timer); do \
		sed 's|/usr/local/|$(PREFIX)/|g' $$f >$(DESTDIR)/lib/systemd/system/$${f##*/}; done
	install -d $(DESTDIR)/usr/lib/sysusers.d $(DESTDIR)/usr/lib/tmpfiles.d $(DESTDIR)/etc/scholarship
	install -m 644 systemd/sysusers.d/scholarship.conf $(DESTDIR)/usr/lib/sysusers.d/
	install -m 644 systemd/tmpfiles.d/scholarship.conf $(DESTDIR)/usr/lib/tmpfiles.d/
	install -m 600 .env.production.example $(DESTDIR)/etc/scholarship/scholarship.env.example
	@if [ -z "$(DESTDIR)" ] && command -v systemd-sysusers >/dev/null; then \
		systemd-sysusers scholarship.conf && systemd-tmpfiles --create scholarship.conf; fi

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build

distclean: clean
	rm -rf config.mk config.log config.status configure autom4te.cache aclocal.m4 \
		node_modules nginx/html/vendor

-include $(shell find build -name '*.d' 2>/dev/null)

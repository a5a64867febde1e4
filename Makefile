# linehook: one non-recursive Makefile for both binaries, the tests and the stack.
# `make help` lists the targets.

BUILD ?= build
SAN ?= 0
CC ?= cc

WARN := -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion \
        -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla -Werror
CFLAGS_BASE := -O2 -g -D_GNU_SOURCE $(WARN) -I. -I/usr/include/mariadb -MMD -MP
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

BINS := $(BUILD)/webhooks-api $(BUILD)/delivery-worker $(BUILD)/unit-tests

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

# The OpenAPI document is embedded in the binary, merged from openapi/*.json.
$(BUILD)/gen/openapi.c: $(wildcard openapi/*.json) scripts/openapi-embed.py
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
	@clang-format --dry-run --Werror $(COMMON_SRC) $(API_SRC) $(WORKER_SRC) $(UNIT_SRC) common/*.h $(shell find fcgi-app -name "*.h") delivery-worker/*.h

clean:
	rm -rf $(BUILD)

help:
	@echo 'make run     install missing packages, build, start the stack in the foreground (Ctrl-C stops it)'
	@echo 'make start   the same stack in the background; writes $$WH_VAR/demo.env'
	@echo 'make stop    stop the background stack'
	@echo 'make test    install missing packages, build, run every suite on a private stack'
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

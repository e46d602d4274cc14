# sealcam — one plain Makefile.
#
#   make                 build libraries, programs, unit tests and benchmarks
#   make test            install missing deps, build, run every test
#   make demo            install missing deps, build, run the whole system
#   make SANITIZE=address,undefined test     the same under ASan+UBSan (CI)
#   make CC=clang        clang builds too
#   make fuzz            libFuzzer harnesses (clang) into build-fuzz/
#
# Build trees are kept apart per configuration so switching never mixes
# objects: build/ (default), build-san/ (sanitizers), build-fuzz/.

CC       ?= cc
SANITIZE ?=
ifeq ($(SANITIZE),)
BUILD    ?= build
else
BUILD    ?= build-san
endif

PKGS     := libsodium libavformat libavcodec libavutil libswscale libavdevice \
            libmicrohttpd jansson libcurl sqlite3 libpq libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN     := -Wall -Wextra -Werror -Wformat=2 -Wstrict-prototypes \
            -Wmissing-prototypes -Wno-missing-field-initializers
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 $(WARN) -D_FORTIFY_SOURCE=2 -fstack-protector-strong \
            -fno-strict-aliasing -Isrc/lib -Isrc/vision $(PKG_CFLAGS)
LDLIBS   += $(PKG_LIBS) -lpthread -lm
ifneq ($(SANITIZE),)
CFLAGS   += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=$(SANITIZE)
endif
# Hot pixel and tensor loops: let the compiler vectorise them.
VISION_CFLAGS := -O3

LIB_SRC    := $(wildcard src/lib/*.c)
VISION_SRC := $(wildcard src/vision/*.c)
SERVER_SRC := $(wildcard src/server/*.c)
AGENT_SRC  := $(wildcard src/agent/*.c)
CLI_SRC    := $(wildcard src/cli/*.c)
UNIT_SRC   := $(wildcard tests/unit/*.c)
BENCH_SRC  := $(wildcard bench/*.c)
TOOL_SRC   := $(wildcard tests/tools/*.c)
FUZZ_SRC   := $(wildcard tests/fuzz/*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIBSEALCAM := $(BUILD)/libsealcam.a
LIBVISION  := $(BUILD)/libsealvision.a
LIBS       := $(LIBVISION) $(LIBSEALCAM)

PROGS := $(if $(SERVER_SRC),$(BUILD)/sealcamd) \
         $(if $(AGENT_SRC),$(BUILD)/sealcam-agent) \
         $(if $(CLI_SRC),$(BUILD)/sealcam)
UNITS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
BENCHES := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
# Helper programs the e2e tests run (not tests themselves).
TOOLS := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(TOOL_SRC))

.PHONY: all deps test demo fuzz fuzz-if-wanted clean check-src
# Keep objects of pattern-built programs; rebuilding them every time is waste.
.SECONDARY:
all: $(PROGS) $(UNITS) $(BENCHES) $(TOOLS)

$(BUILD)/obj/src/vision/%.o: src/vision/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(VISION_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIBSEALCAM): $(call obj,$(LIB_SRC))
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^
$(LIBVISION): $(call obj,$(VISION_SRC))
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/sealcamd: $(call obj,$(SERVER_SRC)) $(LIBS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
# The agent's modules also form an archive so its unit tests
# (tests/unit/agent_*.c) can link the module they test without main.c.
AGENT_LIB := $(BUILD)/libsealagent.a
$(AGENT_LIB): $(call obj,$(filter-out src/agent/main.c,$(AGENT_SRC)))
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^
$(BUILD)/sealcam-agent: $(BUILD)/obj/src/agent/main.o $(AGENT_LIB) $(LIBS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/tests/agent_%: $(BUILD)/obj/tests/unit/agent_%.o $(AGENT_LIB) $(LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/sealcam: $(call obj,$(CLI_SRC)) $(LIBS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
# tests/unit/cli_<module>.c tests one CLI module, src/cli/<module>.c, alone
# (the shorter stem makes make prefer this rule for cli_* names).
$(BUILD)/tests/cli_%: $(BUILD)/obj/tests/unit/cli_%.o $(BUILD)/obj/src/cli/%.o $(LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
# Unit tests of sealcamd's modules (tests/unit/server_*.c) link its objects.
SERVER_MODS := $(call obj,$(filter-out src/server/main.c,$(SERVER_SRC)))
$(BUILD)/tests/server_%: $(BUILD)/obj/tests/unit/server_%.o $(SERVER_MODS) $(LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/tools/%: $(BUILD)/obj/tests/tools/%.o $(LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)


# --- setup and test entry points ---------------------------------------
# deps runs first and in its own make so pkg-config sees what it installed.
deps:
	@scripts/deps.sh

test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory fuzz-if-wanted
	@BUILD=$(BUILD) SANITIZE=$(SANITIZE) tests/run.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) scripts/demo.sh

check-src:
	@scripts/check-src.sh

# libFuzzer needs clang; its own tree so the sanitizer runtimes match.
FUZZ_BUILD := build-fuzz
FUZZ_CFLAGS := -O1 -g -std=gnu11 $(WARN) -Isrc/lib -Isrc/vision \
	$(shell pkg-config --cflags libsodium jansson 2>/dev/null) \
	-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all \
	-DSEALCAM_FUZZ
FUZZ_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm
FUZZERS := $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/%,$(FUZZ_SRC))
fuzz: $(FUZZERS)
fuzz-if-wanted:
	@if [ "$${FUZZ_SECONDS:-0}" != 0 ] && [ -n "$(FUZZ_SRC)" ]; then \
		$(MAKE) --no-print-directory fuzz; fi
$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@
$(FUZZ_BUILD)/%: $(FUZZ_BUILD)/obj/tests/fuzz/%.o $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(LIB_SRC))
	clang -fsanitize=fuzzer,address,undefined -o $@ $^ $(FUZZ_LIBS)

clean:
	rm -rf build build-san build-fuzz

-include $(shell find $(BUILD)/obj $(FUZZ_BUILD)/obj -name '*.d' 2>/dev/null)

# build.mk: every build rule. Run through the top Makefile, which makes sure
# config.mk (from ./configure) exists first. Objects are built next to their
# sources and the programs are left at the top.
# Portable to GNU make and bmake: suffix rules and explicit link lines only.

CONFIG_MK = config.mk
include $(CONFIG_MK)

DESTDIR =
BINDIR = $(PREFIX)/bin
SBINDIR = $(PREFIX)/sbin
# agentd finds its helpers next to itself, else in ../libexec/mesos from its directory.
LIBEXECDIR = $(PREFIX)/libexec/mesos
PLUGINDIR = $(PREFIX)/lib/mesos/plugins
INCDIR = $(PREFIX)/include/mesos
MANDIR = $(PREFIX)/share/man

# Every object depends on every header: simple, portable, never stale.
HDRS = agent.h alloc.h buf.h compat.h conn.h ctl.h flags.h http.h id.h json.h \
	launcher.h log.h loop.h map.h master.h net.h proto.h res.h xmem.h \
	config.h tests/check.h plugin.h plugins/framework.h alloc_int.h \
	agent_int.h checkpoint.h executor.h fetch.h health.h isolate.h executor_relay.h

COMMON_OBJS = log.o xmem.o buf.o compat.o loop.o net.o conn.o proto.o res.o \
	flags.o json.o http.o id.o map.o
ALLOC_OBJS = alloc.o alloc_sort.o alloc_pair.o alloc_pass.o alloc_conf.o
MESOSD_OBJS = mesosd.o master.o master_agent.o master_cli.o master_framework.o \
	master_task.o master_registry.o master_http.o $(ALLOC_OBJS) plugin.o
AGENTD_OBJS = agentd.o agent.o agent_task.o agent_update.o agent_files.o agent_gc.o \
	agent_executor.o agent_spawner.o spawner.o launcher.o checkpoint.o syncer.o health.o fetch.o \
	isolate.o
# The supervisor and the fetcher take only what they use: one supervisor runs per task.
HELPER_OBJS = log.o xmem.o buf.o compat.o loop.o net.o conn.o proto.o res.o json.o
EXECUTOR_OBJS = executor.o executor_relay.o spawner.o launcher.o health.o isolate.o
FETCHER_OBJS = fetcher.o fetch.o launcher.o
MESOSCTL_OBJS = mesosctl.o ctl.o ctl_state.o ctl_run.o ctl_cli.o ctl_teardown.o ctl_roles.o ctl_app.o
PLUGHOST_OBJS = plughost.o

PROGS = mesosd agentd mesosctl mesos-plughost mesos-executor mesos-fetcher
HELPERS = mesos-executor mesos-fetcher
# Examples stand alone: libc only, none of the project's code (examples/executor.c).
EXAMPLES = examples/executor

TESTS = tests/test_buf tests/test_loop tests/test_conn tests/test_proto \
	tests/test_res tests/test_flags tests/test_json tests/test_http \
	tests/test_alloc tests/test_launcher tests/test_checkpoint tests/test_fetch \
	tests/test_isolate tests/test_health tests/test_marathon_app tests/test_executor_relay \
	tests/test_spawner tests/test_syncer
TEST_OBJS = tests/test_buf.o tests/test_loop.o tests/test_conn.o \
	tests/test_proto.o tests/test_res.o tests/test_flags.o \
	tests/test_json.o tests/test_http.o tests/test_alloc.o \
	tests/test_launcher.o tests/test_checkpoint.o tests/test_fetch.o \
	tests/test_isolate.o tests/test_health.o tests/test_executor_relay.o tests/test_spawner.o \
	tests/test_syncer.o
TOOLS = tests/peer tests/httpd tests/fw
TOOL_OBJS = tests/peer.o tests/httpd.o tests/fw.o
# Plugins the integration tests load (tests/t_plugin*.sh).
TEST_PLUGINS = tests/plugins/crasher.so tests/plugins/looper.so tests/plugins/badabi.so \
	tests/plugins/messenger.so

BENCH = bench/loadagents bench/alloc_bench bench/plugin_bench bench/launch_bench \
	bench/marathon_fake
BENCH_OBJS = bench/loadagents.o bench/alloc_bench.o bench/plugin_bench.o bench/launch_bench.o
BENCH_PLUGINS = bench/plugin_bench_fw.so

# ---- plugins ---------------------------------------------------------------
# Frameworks are dlopen()ed plugins: plugins/NAME.c -> plugins/NAME.so.
# List each one here as plugins/NAME.so; the .c.so rule below builds it.
PLUGINS = plugins/hello.so plugins/marathon.so
# Marathon is a folder of its own, linked with the project's HTTP server
# and codecs; plugins/marathon/loop_driver.c stands in for loop.c. Hidden
# visibility keeps these copies from ever binding to the host's symbols.
MARATHON_SRCS = plugins/marathon/marathon.c plugins/marathon/app.c \
	plugins/marathon/constraints.c plugins/marathon/queue.c plugins/marathon/store.c \
	plugins/marathon/rest.c plugins/marathon/deployments.c plugins/marathon/events.c \
	plugins/marathon/health.c plugins/marathon/versions.c plugins/marathon/loop_driver.c
MARATHON_SHARED = json.c http.c conn.c net.c buf.c xmem.c log.c compat.c res.c proto.c \
	map.c id.c
MARATHON_CFLAGS = -fvisibility=hidden
# Its unit tests link every file of it but the plugin's entry point, from source (loop_driver.c
# stands in for loop.c there too).
MARATHON_TEST_SRCS = plugins/marathon/app.c plugins/marathon/constraints.c \
	plugins/marathon/queue.c plugins/marathon/store.c plugins/marathon/rest.c \
	plugins/marathon/deployments.c plugins/marathon/events.c plugins/marathon/health.c \
	plugins/marathon/versions.c plugins/marathon/loop_driver.c
# ---------------------------------------------------------------------------

ALL_OBJS = $(COMMON_OBJS) $(MESOSD_OBJS) $(AGENTD_OBJS) $(MESOSCTL_OBJS) \
	$(TEST_OBJS) $(TOOL_OBJS) $(BENCH_OBJS) $(PLUGHOST_OBJS) executor.o executor_relay.o fetcher.o

# Programs get the static flag; plugins must not.
LINK = $(CC) $(CFLAGS) $(LDFLAGS) $(LDFLAGS_STATIC)
# The plugin host dlopen()s plugins, so it is never static.
LINK_DYN = $(CC) $(CFLAGS) $(LDFLAGS)

.SUFFIXES:
.SUFFIXES: .c .o .so

.c.o:
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

.c.so:
	$(CC) $(CPPFLAGS) $(CFLAGS) $(PIC_CFLAGS) $(LDFLAGS) $(SHARED_LDFLAGS) -o $@ $<

.PHONY: all tests plugins check bench fuzz install uninstall clean distclean run

all: $(PROGS) $(PLUGINS) $(EXAMPLES)

plugins: $(PLUGINS)

$(ALL_OBJS) $(PLUGINS) $(TEST_PLUGINS) $(BENCH_PLUGINS): $(HDRS)

mesosd: $(MESOSD_OBJS) $(COMMON_OBJS)
	$(LINK) -o $@ $(MESOSD_OBJS) $(COMMON_OBJS) $(LIBS_DL) $(LIBS_PTHREAD) $(LIBS)

agentd: $(AGENTD_OBJS) $(COMMON_OBJS)
	$(LINK) -o $@ $(AGENTD_OBJS) $(COMMON_OBJS) $(LIBS_PTHREAD) $(LIBS)

mesosctl: $(MESOSCTL_OBJS) $(COMMON_OBJS)
	$(LINK) -o $@ $(MESOSCTL_OBJS) $(COMMON_OBJS) $(LIBS)

mesos-plughost: $(PLUGHOST_OBJS) $(COMMON_OBJS)
	$(LINK_DYN) -o $@ $(PLUGHOST_OBJS) $(COMMON_OBJS) $(LIBS_DL) $(LIBS)

mesos-executor: $(EXECUTOR_OBJS) $(HELPER_OBJS)
	$(LINK) -o $@ $(EXECUTOR_OBJS) $(HELPER_OBJS) $(LIBS)

mesos-fetcher: $(FETCHER_OBJS) $(HELPER_OBJS)
	$(LINK) -o $@ $(FETCHER_OBJS) $(HELPER_OBJS) $(LIBS)

examples/executor: examples/executor.c
	$(LINK) -o $@ examples/executor.c $(LIBS)

# ---- unit tests and test tools ---------------------------------------------
tests: $(TESTS) $(TOOLS) $(TEST_PLUGINS)

tests/test_buf: tests/test_buf.o $(COMMON_OBJS)
	$(LINK) -o $@ tests/test_buf.o $(COMMON_OBJS) $(LIBS)

tests/test_loop: tests/test_loop.o $(COMMON_OBJS)
	$(LINK) -o $@ tests/test_loop.o $(COMMON_OBJS) $(LIBS)

tests/test_conn: tests/test_conn.o $(COMMON_OBJS)
	$(LINK) -o $@ tests/test_conn.o $(COMMON_OBJS) $(LIBS)

tests/test_proto: tests/test_proto.o $(COMMON_OBJS)
	$(LINK) -o $@ tests/test_proto.o $(COMMON_OBJS) $(LIBS)

tests/test_res: tests/test_res.o $(COMMON_OBJS)
	$(LINK) -o $@ tests/test_res.o $(COMMON_OBJS) $(LIBS)

tests/test_flags: tests/test_flags.o $(COMMON_OBJS)
	$(LINK) -o $@ tests/test_flags.o $(COMMON_OBJS) $(LIBS)

tests/test_json: tests/test_json.o $(COMMON_OBJS)
	$(LINK) -o $@ tests/test_json.o $(COMMON_OBJS) $(LIBS)

tests/test_http: tests/test_http.o $(COMMON_OBJS)
	$(LINK) -o $@ tests/test_http.o $(COMMON_OBJS) $(LIBS)

tests/test_alloc: tests/test_alloc.o $(ALLOC_OBJS) $(COMMON_OBJS)
	$(LINK) -o $@ tests/test_alloc.o $(ALLOC_OBJS) $(COMMON_OBJS) $(LIBS_DL) $(LIBS_PTHREAD) $(LIBS)

tests/test_launcher: tests/test_launcher.o launcher.o $(COMMON_OBJS)
	$(LINK) -o $@ tests/test_launcher.o launcher.o $(COMMON_OBJS) $(LIBS)

tests/test_checkpoint: tests/test_checkpoint.o checkpoint.o $(COMMON_OBJS)
	$(LINK) -o $@ tests/test_checkpoint.o checkpoint.o $(COMMON_OBJS) $(LIBS)

tests/test_fetch: tests/test_fetch.o fetch.o launcher.o $(COMMON_OBJS)
	$(LINK) -o $@ tests/test_fetch.o fetch.o launcher.o $(COMMON_OBJS) $(LIBS)

tests/test_isolate: tests/test_isolate.o isolate.o $(COMMON_OBJS)
	$(LINK) -o $@ tests/test_isolate.o isolate.o $(COMMON_OBJS) $(LIBS)

tests/test_health: tests/test_health.o health.o $(COMMON_OBJS)
	$(LINK) -o $@ tests/test_health.o health.o $(COMMON_OBJS) $(LIBS)

tests/test_executor_relay: tests/test_executor_relay.o executor_relay.o $(COMMON_OBJS)
	$(LINK) -o $@ tests/test_executor_relay.o executor_relay.o $(COMMON_OBJS) $(LIBS)

tests/test_spawner: tests/test_spawner.o spawner.o $(COMMON_OBJS)
	$(LINK) -o $@ tests/test_spawner.o spawner.o $(COMMON_OBJS) $(LIBS)

tests/test_syncer: tests/test_syncer.o syncer.o $(COMMON_OBJS)
	$(LINK) -o $@ tests/test_syncer.o syncer.o $(COMMON_OBJS) $(LIBS_PTHREAD) $(LIBS)

tests/httpd: tests/httpd.o checkpoint.o $(COMMON_OBJS)
	$(LINK) -o $@ tests/httpd.o checkpoint.o $(COMMON_OBJS) $(LIBS)

tests/fw: tests/fw.o $(COMMON_OBJS)
	$(LINK) -o $@ tests/fw.o $(COMMON_OBJS) $(LIBS)

tests/peer: tests/peer.o $(COMMON_OBJS)
	$(LINK) -o $@ tests/peer.o $(COMMON_OBJS) $(LIBS)

check: all tests
	sh tests/run.sh

# ---- benchmarks ------------------------------------------------------------
bench/loadagents: bench/loadagents.o $(COMMON_OBJS)
	$(LINK) -o $@ bench/loadagents.o $(COMMON_OBJS) $(LIBS)

bench/alloc_bench: bench/alloc_bench.o $(ALLOC_OBJS) $(COMMON_OBJS)
	$(LINK) -o $@ bench/alloc_bench.o $(ALLOC_OBJS) $(COMMON_OBJS) $(LIBS_DL) $(LIBS_PTHREAD) $(LIBS)

bench/launch_bench: bench/launch_bench.o $(COMMON_OBJS)
	$(LINK) -o $@ bench/launch_bench.o $(COMMON_OBJS) $(LIBS)

bench/plugin_bench: bench/plugin_bench.o $(COMMON_OBJS)
	$(LINK) -o $@ bench/plugin_bench.o $(COMMON_OBJS) $(LIBS)

tests/test_marathon_app: tests/test_marathon_app.c $(MARATHON_TEST_SRCS) $(MARATHON_SHARED) \
		plugins/marathon/mt.h $(HDRS)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) $(LDFLAGS_STATIC) -o $@ tests/test_marathon_app.c \
		$(MARATHON_TEST_SRCS) $(MARATHON_SHARED) $(LIBS)

# The plugin linked into a stand-in master, for its REST API with 10,000 tasks.
bench/marathon_fake: bench/marathon_fake.c $(MARATHON_SRCS) $(MARATHON_SHARED) \
		plugins/marathon/mt.h $(HDRS)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ bench/marathon_fake.c $(MARATHON_SRCS) \
		$(MARATHON_SHARED) $(LIBS)

plugins/marathon.so: $(MARATHON_SRCS) $(MARATHON_SHARED) plugins/marathon/mt.h $(HDRS)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(PIC_CFLAGS) $(MARATHON_CFLAGS) $(LDFLAGS) \
		$(SHARED_LDFLAGS) -o $@ $(MARATHON_SRCS) $(MARATHON_SHARED) $(LIBS)

bench: all $(BENCH) $(BENCH_PLUGINS)
	sh bench/run.sh

run: all
	sh local-cluster.sh

# ---- fuzzing (libFuzzer: clang only) -----------------------------------------
# make fuzz [FUZZ_SECONDS=N]: each parser of peer input (json, http, proto,
# res) built with libFuzzer, ASan and UBSan, and run N seconds from scratch.
FUZZ_CC = clang
FUZZ_SECONDS = 30
FUZZ_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -I.
FUZZERS = tests/fuzz_json tests/fuzz_http tests/fuzz_proto tests/fuzz_res

tests/fuzz_json: tests/fuzz_json.c json.c buf.c xmem.c log.c compat.c $(HDRS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ tests/fuzz_json.c json.c buf.c xmem.c log.c compat.c

tests/fuzz_http: tests/fuzz_http.c http.c json.c conn.c loop.c net.c buf.c xmem.c log.c compat.c $(HDRS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -pthread -o $@ tests/fuzz_http.c http.c json.c conn.c loop.c net.c \
		buf.c xmem.c log.c compat.c

tests/fuzz_proto: tests/fuzz_proto.c proto.c buf.c xmem.c log.c compat.c $(HDRS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ tests/fuzz_proto.c proto.c buf.c xmem.c log.c compat.c

tests/fuzz_res: tests/fuzz_res.c res.c proto.c json.c log.c compat.c buf.c xmem.c $(HDRS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ tests/fuzz_res.c res.c proto.c json.c log.c compat.c buf.c \
		xmem.c -lm

fuzz: $(FUZZERS)
	for f in $(FUZZERS); do \
		echo "fuzz: $$f for $(FUZZ_SECONDS) s"; \
		./$$f -max_total_time=$(FUZZ_SECONDS) > $$f.log 2>&1 || { tail -n 40 $$f.log; exit 1; }; \
		tail -n 1 $$f.log; \
	done

# ---- install ---------------------------------------------------------------
# Plugins, the plugin header and man pages are each installed only if present.
install: all
	mkdir -p $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR)
	cp mesosd agentd mesos-plughost $(DESTDIR)$(SBINDIR)/
	chmod 755 $(DESTDIR)$(SBINDIR)/mesosd $(DESTDIR)$(SBINDIR)/agentd \
		$(DESTDIR)$(SBINDIR)/mesos-plughost
	cp mesosctl $(DESTDIR)$(BINDIR)/
	chmod 755 $(DESTDIR)$(BINDIR)/mesosctl
	mkdir -p $(DESTDIR)$(LIBEXECDIR)
	cp $(HELPERS) $(DESTDIR)$(LIBEXECDIR)/
	chmod 755 $(DESTDIR)$(LIBEXECDIR)/mesos-executor $(DESTDIR)$(LIBEXECDIR)/mesos-fetcher
	for f in plugins/*.so; do \
		if [ -f "$$f" ]; then \
			mkdir -p $(DESTDIR)$(PLUGINDIR) && \
			cp "$$f" $(DESTDIR)$(PLUGINDIR)/ && \
			chmod 755 $(DESTDIR)$(PLUGINDIR)/"$${f#plugins/}" || exit 1; \
		fi; \
	done
	if [ -f plugins/framework.h ]; then \
		mkdir -p $(DESTDIR)$(INCDIR) && \
		cp plugins/framework.h $(DESTDIR)$(INCDIR)/ && \
		chmod 644 $(DESTDIR)$(INCDIR)/framework.h; \
	fi
	for m in mesosd.8 agentd.8 mesosctl.1 docs/mesosd.8 docs/agentd.8 docs/mesosctl.1; do \
		if [ -f "$$m" ]; then \
			sec=$${m##*.}; \
			mkdir -p $(DESTDIR)$(MANDIR)/man$$sec && \
			cp "$$m" $(DESTDIR)$(MANDIR)/man$$sec/ && \
			chmod 644 $(DESTDIR)$(MANDIR)/man$$sec/"$${m##*/}" || exit 1; \
		fi; \
	done

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/mesosd $(DESTDIR)$(SBINDIR)/agentd
	rm -f $(DESTDIR)$(SBINDIR)/mesos-plughost
	rm -f $(DESTDIR)$(BINDIR)/mesosctl
	rm -f $(DESTDIR)$(LIBEXECDIR)/mesos-executor $(DESTDIR)$(LIBEXECDIR)/mesos-fetcher
	rmdir $(DESTDIR)$(LIBEXECDIR) 2>/dev/null || true
	rm -f $(DESTDIR)$(PLUGINDIR)/*.so
	rm -f $(DESTDIR)$(INCDIR)/framework.h
	rm -f $(DESTDIR)$(MANDIR)/man8/mesosd.8 $(DESTDIR)$(MANDIR)/man8/agentd.8
	rm -f $(DESTDIR)$(MANDIR)/man1/mesosctl.1
	rmdir $(DESTDIR)$(PLUGINDIR) $(DESTDIR)$(PREFIX)/lib/mesos $(DESTDIR)$(INCDIR) 2>/dev/null || true

# ---- cleaning --------------------------------------------------------------
clean:
	rm -f *.o tests/*.o tests/fuzz_*.log bench/*.o plugins/*.o plugins/*.so tests/plugins/*.so bench/*.so
	rm -f $(PROGS) $(TESTS) $(TOOLS) $(BENCH) $(EXAMPLES) $(FUZZERS)

distclean: clean
	rm -f config.mk config.h config.log

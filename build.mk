# build.mk: every build rule. The top Makefile runs it inside build/ (after
# making sure ./configure has run), so objects land in build/ and never
# beside the sources; VPATH finds each source in its folder, which is why
# every .c file in the tree has a name of its own. Programs are left at the
# top ($(TOP)), test and bench tools in tests/ and bench/.
# Portable to GNU make and bmake: suffix rules, VPATH and explicit link
# lines only.

TOP = ..
CONFIG_MK = $(TOP)/config.mk
include $(CONFIG_MK)

# Where the sources are. The plugins' folders are compiled from their
# paths (one command per plugin), so plugins/marathon and plugins/common
# are not here.
VPATH = $(TOP):$(TOP)/lib:$(TOP)/alloc:$(TOP)/master:$(TOP)/agent:$(TOP)/sup:$(TOP)/ctl:$(TOP)/plugins:$(TOP)/tests:$(TOP)/bench:$(TOP)/lb
# The card's files and each program's folder are reached as "folder/x.h"
# from the top; lib/'s headers by their bare names.
INCLUDES = -I$(TOP) -I$(TOP)/lib

DESTDIR =
BINDIR = $(PREFIX)/bin
SBINDIR = $(PREFIX)/sbin
# agentd finds its helpers next to itself, else in ../libexec/mesos from its directory.
LIBEXECDIR = $(PREFIX)/libexec/mesos
PLUGINDIR = $(PREFIX)/lib/mesos/plugins
INCDIR = $(PREFIX)/include/mesos
MANDIR = $(PREFIX)/share/man

# Every object depends on every header: simple, portable, never stale.
HDRS = $(TOP)/proto.h $(TOP)/alloc.h $(TOP)/config.h \
	$(TOP)/lib/attrs.h $(TOP)/lib/buf.h $(TOP)/lib/compat.h $(TOP)/lib/conn.h $(TOP)/lib/flags.h \
	$(TOP)/lib/http.h $(TOP)/lib/http_client.h $(TOP)/lib/id.h $(TOP)/lib/json.h \
	$(TOP)/lib/http_msg.h $(TOP)/lib/http_async.h \
	$(TOP)/lib/log.h $(TOP)/lib/loop.h $(TOP)/lib/map.h $(TOP)/lib/native.h $(TOP)/lib/net.h \
	$(TOP)/lib/proc.h $(TOP)/lib/res.h $(TOP)/lib/xmem.h $(TOP)/lib/cgroup.h \
	$(TOP)/lib/sha256.h $(TOP)/lib/cred.h $(TOP)/lib/http_auth.h $(TOP)/lib/conncap.h $(TOP)/lib/resolve.h \
	$(TOP)/alloc/alloc_int.h \
	$(TOP)/master/master.h $(TOP)/master/master_plugins.h \
	$(TOP)/agent/agent.h $(TOP)/agent/agent_int.h $(TOP)/agent/checkpoint.h $(TOP)/agent/syncer.h \
	$(TOP)/sup/sup.h $(TOP)/sup/sup_int.h $(TOP)/sup/sup_relay.h $(TOP)/sup/sup_health.h \
	$(TOP)/sup/fetch.h $(TOP)/sup/isolate.h $(TOP)/sup/launcher.h $(TOP)/sup/spawner.h \
	$(TOP)/ctl/ctl.h $(TOP)/plugins/framework.h $(TOP)/plugins/plughost.h $(TOP)/plugins/plughost_link.h $(TOP)/tests/check.h \
	$(TOP)/lb/lb.h

# ---- what each program is made of -----------------------------------------
# lib/ (lib/README) and the protocol codec, linked as one archive, LIB: each program
# takes from it only the files it uses (one supervisor runs per task: it stays small).
LIB_OBJS = log.o xmem.o buf.o compat.o proc.o cgroup.o loop.o net.o conn.o conncap.o proto.o res.o attrs.o \
	flags.o json.o http.o http_msg.o http_client.o http_async.o id.o map.o \
	sha256.o cred.o http_auth.o resolve.o
LIB = lib.a
AR = ar
ALLOC_OBJS = alloc.o alloc_sort.o alloc_cand.o alloc_account.o alloc_pair.o alloc_pass.o \
	alloc_conf.o
MASTER_OBJS = mesosd.o master.o master_offer.o master_agent.o master_cli.o master_framework.o \
	master_task.o master_registry.o master_http.o master_plugins.o master_auth.o master_acl.o \
	$(ALLOC_OBJS) master_web.o master_history.o web_assets.o
# The web page's files, embedded into mesosd as web_assets.c (web/embed.sh).
WEB = $(TOP)/web/index.html $(TOP)/web/app.js $(TOP)/web/style.css
AGENT_OBJS = agentd.o agent.o agent_task.o agent_update.o agent_journal.o agent_recover.o \
	agent_files.o agent_gc.o agent_executor.o agent_spawner.o agent_isolation.o checkpoint.o syncer.o \
	spawner.o launcher.o fetch.o isolate.o
SUP_OBJS = sup.o sup_task.o sup_watch.o sup_relay.o spawner.o launcher.o sup_health.o isolate.o
FETCHER_OBJS = fetcher.o fetch.o launcher.o
CTL_OBJS = mesosctl.o ctl.o ctl_state.o ctl_run.o ctl_cli.o ctl_teardown.o ctl_roles.o ctl_app.o \
	ctl_rest.o ctl_job.o ctl_lb.o
PLUGHOST_OBJS = plughost.o plughost_driver.o
LB_OBJS = lb.o lb_table.o lb_follow.o lb_side.o lb_tcp.o lb_http.o lb_stats.o lb_haproxy.o \
	lb_worker.o

PROGS = $(TOP)/mesosd $(TOP)/agentd $(TOP)/mesosctl $(TOP)/mesos-plughost \
	$(TOP)/mesos-executor $(TOP)/mesos-fetcher $(TOP)/mesos-lb
# Examples stand alone: libc only, none of the project's code (examples/executor.c).
EXAMPLES = $(TOP)/examples/executor

UNIT_TESTS = test_buf test_loop test_conn test_proto test_res test_flags test_json test_http \
	test_http_client test_alloc test_launcher test_checkpoint test_fetch test_isolate \
	test_sup_health test_sup_relay test_spawner test_syncer test_lb_table test_cgroup \
	test_sha256 test_auth test_resolve
TESTS = $(TOP)/tests/test_buf $(TOP)/tests/test_loop $(TOP)/tests/test_conn \
	$(TOP)/tests/test_proto $(TOP)/tests/test_res $(TOP)/tests/test_flags \
	$(TOP)/tests/test_json $(TOP)/tests/test_http $(TOP)/tests/test_http_client \
	$(TOP)/tests/test_alloc \
	$(TOP)/tests/test_launcher $(TOP)/tests/test_checkpoint $(TOP)/tests/test_fetch \
	$(TOP)/tests/test_isolate $(TOP)/tests/test_sup_health $(TOP)/tests/test_marathon_app \
	$(TOP)/tests/test_sup_relay $(TOP)/tests/test_spawner $(TOP)/tests/test_syncer \
	$(TOP)/tests/test_jobs_cron $(TOP)/tests/test_jobs_launch $(TOP)/tests/test_lb_table $(TOP)/tests/test_cgroup \
	$(TOP)/tests/test_sha256 $(TOP)/tests/test_auth $(TOP)/tests/test_resolve
TOOLS = $(TOP)/tests/peer $(TOP)/tests/httpd $(TOP)/tests/fw $(TOP)/bench/lbload \
	$(TOP)/bench/sharing $(TOP)/tests/sbswap $(TOP)/tests/swarm
# Plugins the integration tests load (tests/t_plugin*.sh).
TEST_PLUGINS = $(TOP)/tests/plugins/crasher.so $(TOP)/tests/plugins/looper.so \
	$(TOP)/tests/plugins/badabi.so $(TOP)/tests/plugins/messenger.so

BENCH = $(TOP)/bench/loadagents $(TOP)/bench/auth_bench $(TOP)/bench/alloc_bench $(TOP)/bench/plugin_bench \
	$(TOP)/bench/launch_bench $(TOP)/bench/marathon_fake $(TOP)/bench/lbload \
	$(TOP)/bench/isohog
# `make bench-sharing`: static partitions against sharing (bench/sharing.sh).
BENCH_SHARING = $(TOP)/bench/sharing
SHARING_OBJS = sharing.o sharing_trace.o sharing_replay.o sharing_report.o
BENCH_PLUGINS = $(TOP)/bench/plugin_bench_fw.so

# ---- plugins ---------------------------------------------------------------
# Frameworks are dlopen()ed plugins: plugins/NAME.c -> plugins/NAME.so.
# List each one here as $(TOP)/plugins/NAME.so; the .c.so rule below builds it.
PLUGINS = $(TOP)/plugins/hello.so $(TOP)/plugins/marathon.so $(TOP)/plugins/jobs.so
# What the plugins with a REST API share (plugins/common/, pc.h):
# plugins/common/loop_driver.c stands in for loop.c there.
PC = $(TOP)/plugins/common
PC_SRCS = $(PC)/loop_driver.c $(PC)/pc_store.c $(PC)/pc_journal.c $(PC)/pc_sse.c $(PC)/pc_place.c \
	$(PC)/pc_offer.c $(PC)/pc_rest.c $(PC)/pc_json.c $(PC)/pc_reconcile.c $(PC)/pc_commit.c
PC_HDRS = $(PC)/pc.h
# Marathon is a folder of its own, linked with the project's HTTP server
# and codecs. Hidden visibility keeps these copies from ever binding to
# the host's symbols.
MARATHON = $(TOP)/plugins/marathon
# Issue 19's files (the app schema's other fields, groups), in both lists below.
MARATHON_MORE = $(MARATHON)/fields.c $(MARATHON)/view.c $(MARATHON)/groups.c \
	$(MARATHON)/readiness.c $(MARATHON)/gversions.c
MARATHON_SRCS = $(MARATHON)/marathon.c $(MARATHON)/app.c $(MARATHON)/constraints.c \
	$(MARATHON)/queue.c $(MARATHON)/store.c $(MARATHON)/rest.c $(MARATHON)/deployments.c \
	$(MARATHON)/events.c $(MARATHON)/health.c $(MARATHON)/versions.c $(MARATHON_MORE) $(PC_SRCS)
MARATHON_SHARED = $(TOP)/lib/json.c $(TOP)/lib/http.c $(TOP)/lib/conn.c $(TOP)/lib/net.c \
	$(TOP)/lib/buf.c $(TOP)/lib/xmem.c $(TOP)/lib/log.c $(TOP)/lib/compat.c $(TOP)/lib/res.c \
	$(TOP)/lib/attrs.c $(TOP)/proto.c $(TOP)/lib/map.c $(TOP)/lib/id.c $(TOP)/lib/sha256.c \
	$(TOP)/lib/cred.c $(TOP)/lib/http_auth.c $(TOP)/lib/http_client.c $(TOP)/lib/http_msg.c \
	$(TOP)/lib/http_async.c $(TOP)/lib/resolve.c $(TOP)/lib/conncap.c
MARATHON_CFLAGS = -fvisibility=hidden
# Its unit tests link every file of it but the plugin's entry point, from source (loop_driver.c
# stands in for loop.c there too).
MARATHON_TEST_SRCS = $(MARATHON)/app.c $(MARATHON)/constraints.c $(MARATHON)/queue.c \
	$(MARATHON)/store.c $(MARATHON)/rest.c $(MARATHON)/deployments.c $(MARATHON)/events.c \
	$(MARATHON)/health.c $(MARATHON)/versions.c $(MARATHON_MORE) $(PC_SRCS)
# The jobs plugin (plugins/jobs/, jb.h), built as Marathon is: the same lib/ files and
# hidden visibility. Its unit tests link all of it.
JOBS = $(TOP)/plugins/jobs
JOBS_SRCS = $(JOBS)/jobs.c $(JOBS)/job.c $(JOBS)/cron.c $(JOBS)/tz.c $(JOBS)/sched.c \
	$(JOBS)/run.c $(JOBS)/launch.c $(JOBS)/jstore.c $(JOBS)/jrest.c $(JOBS)/jevents.c $(PC_SRCS)
# ---------------------------------------------------------------------------

# Programs get the static flag; plugins must not.
LINK = $(CC) $(CFLAGS) $(LDFLAGS) $(LDFLAGS_STATIC)
# The plugin host dlopen()s plugins: static only with --enable-static-plughost.
LINK_DYN = $(CC) $(CFLAGS) $(LDFLAGS) $(LDFLAGS_PLUGHOST)
COMPILE = $(CC) $(INCLUDES) $(CPPFLAGS) $(CFLAGS)

.SUFFIXES:
.SUFFIXES: .c .o .so

.c.o:
	$(COMPILE) -c -o $@ $<

.c.so:
	$(COMPILE) $(PIC_CFLAGS) $(LDFLAGS) $(SHARED_LDFLAGS) -o $@ $<

.PHONY: all tests plugins check bench bench-sharing fuzz install install-service uninstall clean distclean run soak

all: $(PROGS) $(PLUGINS) $(EXAMPLES)

plugins: $(PLUGINS)

$(LIB_OBJS) $(MASTER_OBJS) $(AGENT_OBJS) $(SUP_OBJS) $(FETCHER_OBJS) $(CTL_OBJS) \
	$(PLUGHOST_OBJS) $(LB_OBJS) $(PLUGINS) $(TEST_PLUGINS) $(BENCH_PLUGINS): $(HDRS)

$(LIB): $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $(LIB_OBJS)

web_assets.c: $(TOP)/web/embed.sh $(WEB)
	sh $(TOP)/web/embed.sh $(WEB) > web_assets.tmp
	mv web_assets.tmp $@

$(TOP)/mesosd: $(MASTER_OBJS) $(LIB)
	$(LINK) -o $@ $(MASTER_OBJS) $(LIB) $(LIBS_DL) $(LIBS_PTHREAD) $(LIBS)

$(TOP)/agentd: $(AGENT_OBJS) $(LIB)
	$(LINK) -o $@ $(AGENT_OBJS) $(LIB) $(LIBS_PTHREAD) $(LIBS)

$(TOP)/mesosctl: $(CTL_OBJS) $(LIB)
	$(LINK) -o $@ $(CTL_OBJS) $(LIB) $(LIBS)

$(TOP)/mesos-plughost: $(PLUGHOST_OBJS) $(LIB)
	$(LINK_DYN) -o $@ $(PLUGHOST_OBJS) $(LIB) $(LIBS_DL) $(LIBS_PTHREAD) $(LIBS)

$(TOP)/mesos-executor: $(SUP_OBJS) $(LIB)
	$(LINK) $(LDFLAGS_BINDNOW) -o $@ $(SUP_OBJS) $(LIB) $(LIBS)

$(TOP)/mesos-fetcher: $(FETCHER_OBJS) $(LIB)
	$(LINK) -o $@ $(FETCHER_OBJS) $(LIB) $(LIBS)

$(TOP)/mesos-lb: $(LB_OBJS) $(LIB)
	$(LINK) -o $@ $(LB_OBJS) $(LIB) $(LIBS_PTHREAD) $(LIBS)

$(TOP)/examples/executor: $(TOP)/examples/executor.c
	$(LINK) -o $@ $(TOP)/examples/executor.c $(LIBS)

# ---- unit tests and test tools ---------------------------------------------
# t_bench.sh checks that launch_bench cannot mislead: it is built with the tests; t_split.sh
# poses as large agents with loadagents.
tests: $(TESTS) $(TOOLS) $(TEST_PLUGINS) $(TOP)/bench/launch_bench $(TOP)/bench/loadagents

TEST_OBJS = test_buf.o test_loop.o test_conn.o test_proto.o test_res.o test_flags.o \
	test_json.o test_http.o test_http_client.o test_alloc.o test_launcher.o test_checkpoint.o \
	test_fetch.o test_isolate.o test_sup_health.o test_sup_relay.o test_spawner.o test_syncer.o \
	test_cgroup.o test_sha256.o test_auth.o test_resolve.o \
	peer.o httpd.o fw.o test_lb_table.o sbswap.o swarm.o
$(TEST_OBJS): $(HDRS)

$(TOP)/tests/test_buf: test_buf.o $(LIB)
	$(LINK) -o $@ test_buf.o $(LIB) $(LIBS)

$(TOP)/tests/test_auth: test_auth.o $(LIB)
	$(LINK) -o $@ test_auth.o $(LIB) $(LIBS)

$(TOP)/tests/test_sha256: test_sha256.o $(LIB)
	$(LINK) -o $@ test_sha256.o $(LIB) $(LIBS)

$(TOP)/tests/test_loop: test_loop.o $(LIB)
	$(LINK) -o $@ test_loop.o $(LIB) $(LIBS)

$(TOP)/tests/test_conn: test_conn.o $(LIB)
	$(LINK) -o $@ test_conn.o $(LIB) $(LIBS)

$(TOP)/tests/test_proto: test_proto.o $(LIB)
	$(LINK) -o $@ test_proto.o $(LIB) $(LIBS)

$(TOP)/tests/test_res: test_res.o $(LIB)
	$(LINK) -o $@ test_res.o $(LIB) $(LIBS)

$(TOP)/tests/test_flags: test_flags.o $(LIB)
	$(LINK) -o $@ test_flags.o $(LIB) $(LIBS)

$(TOP)/tests/test_json: test_json.o $(LIB)
	$(LINK) -o $@ test_json.o $(LIB) $(LIBS)

$(TOP)/tests/test_http: test_http.o $(LIB)
	$(LINK) -o $@ test_http.o $(LIB) $(LIBS)

$(TOP)/tests/test_http_client: test_http_client.o $(LIB)
	$(LINK) -o $@ test_http_client.o $(LIB) $(LIBS)

$(TOP)/tests/test_alloc: test_alloc.o $(ALLOC_OBJS) $(LIB)
	$(LINK) -o $@ test_alloc.o $(ALLOC_OBJS) $(LIB) $(LIBS_DL) $(LIBS_PTHREAD) $(LIBS)

$(TOP)/tests/test_launcher: test_launcher.o launcher.o $(LIB)
	$(LINK) -o $@ test_launcher.o launcher.o $(LIB) $(LIBS)

$(TOP)/tests/test_checkpoint: test_checkpoint.o checkpoint.o $(LIB)
	$(LINK) -o $@ test_checkpoint.o checkpoint.o $(LIB) $(LIBS)

$(TOP)/tests/test_fetch: test_fetch.o fetch.o launcher.o $(LIB)
	$(LINK) -o $@ test_fetch.o fetch.o launcher.o $(LIB) $(LIBS)

$(TOP)/tests/test_isolate: test_isolate.o isolate.o $(LIB)
	$(LINK) -o $@ test_isolate.o isolate.o $(LIB) $(LIBS)

$(TOP)/tests/test_sup_health: test_sup_health.o sup_health.o $(LIB)
	$(LINK) -o $@ test_sup_health.o sup_health.o $(LIB) $(LIBS)

$(TOP)/tests/test_sup_relay: test_sup_relay.o sup_relay.o $(LIB)
	$(LINK) -o $@ test_sup_relay.o sup_relay.o $(LIB) $(LIBS)

$(TOP)/tests/test_spawner: test_spawner.o spawner.o $(LIB)
	$(LINK) -o $@ test_spawner.o spawner.o $(LIB) $(LIBS)

$(TOP)/tests/test_resolve: test_resolve.o $(LIB)
	$(LINK) -o $@ test_resolve.o $(LIB) $(LIBS_PTHREAD) $(LIBS)
$(TOP)/tests/test_syncer: test_syncer.o syncer.o $(LIB)
	$(LINK) -o $@ test_syncer.o syncer.o $(LIB) $(LIBS_PTHREAD) $(LIBS)

# mesos-lb's table with all of lb/ but its main (the test stands in for lb_changed).
LB_TEST_OBJS = lb_table.o lb_follow.o lb_side.o lb_tcp.o lb_http.o lb_stats.o lb_worker.o
$(TOP)/tests/test_lb_table: test_lb_table.o $(LB_TEST_OBJS) $(LIB)
	$(LINK) -o $@ test_lb_table.o $(LB_TEST_OBJS) $(LIB) $(LIBS_PTHREAD) $(LIBS)
$(TOP)/tests/test_cgroup: test_cgroup.o $(LIB)
	$(LINK) -o $@ test_cgroup.o $(LIB) $(LIBS)

$(TOP)/tests/httpd: httpd.o checkpoint.o $(LIB)
	$(LINK) -o $@ httpd.o checkpoint.o $(LIB) $(LIBS)

$(TOP)/tests/fw: fw.o $(LIB)
	$(LINK) -o $@ fw.o $(LIB) $(LIBS)

$(TOP)/tests/peer: peer.o $(LIB)
	$(LINK) -o $@ peer.o $(LIB) $(LIBS)
$(TOP)/tests/swarm: swarm.o $(LIB)
	$(LINK) -o $@ swarm.o $(LIB) $(LIBS)
$(TOP)/tests/sbswap: sbswap.o
	$(LINK) -o $@ sbswap.o

$(TOP)/tests/test_marathon_app: $(TOP)/tests/test_marathon_app.c $(MARATHON_TEST_SRCS) \
		$(MARATHON_SHARED) $(MARATHON)/mt.h $(PC_HDRS) $(HDRS)
	$(COMPILE) $(LDFLAGS) $(LDFLAGS_STATIC) -o $@ $(TOP)/tests/test_marathon_app.c \
		$(MARATHON_TEST_SRCS) $(MARATHON_SHARED) $(LIBS_PTHREAD) $(LIBS)

$(TOP)/tests/test_jobs_cron: $(TOP)/tests/test_jobs_cron.c $(JOBS_SRCS) $(MARATHON_SHARED) \
		$(JOBS)/jb.h $(PC_HDRS) $(HDRS)
	$(COMPILE) $(LDFLAGS) $(LDFLAGS_STATIC) -o $@ $(TOP)/tests/test_jobs_cron.c $(JOBS_SRCS) \
		$(MARATHON_SHARED) $(LIBS_PTHREAD) $(LIBS)

$(TOP)/tests/test_jobs_launch: $(TOP)/tests/test_jobs_launch.c $(JOBS_SRCS) $(MARATHON_SHARED) \
		$(JOBS)/jb.h $(PC_HDRS) $(HDRS)
	$(COMPILE) $(LDFLAGS) $(LDFLAGS_STATIC) -o $@ $(TOP)/tests/test_jobs_launch.c $(JOBS_SRCS) \
		$(MARATHON_SHARED) $(LIBS_PTHREAD) $(LIBS)

check: all tests
	cd $(TOP) && sh tests/run.sh

# ---- benchmarks ------------------------------------------------------------
BENCH_OBJS = loadagents.o auth_bench.o alloc_bench.o plugin_bench.o launch_bench.o lbload.o isohog.o
$(BENCH_OBJS): $(HDRS)

# mesos-lb's load generator: its tests drive it too (TOOLS).
$(TOP)/bench/lbload: lbload.o $(LIB)
	$(LINK) -o $@ lbload.o $(LIB) $(LIBS)

# The memory hog and cpu spinner bench/isolation.sh runs as tasks.
$(TOP)/bench/isohog: isohog.o $(LIB)
	$(LINK) -o $@ isohog.o $(LIB) $(LIBS)

$(TOP)/bench/loadagents: loadagents.o $(LIB)
	$(LINK) -o $@ loadagents.o $(LIB) $(LIBS)

$(TOP)/bench/auth_bench: auth_bench.o $(LIB)
	$(LINK) -o $@ auth_bench.o $(LIB) $(LIBS)

$(TOP)/bench/alloc_bench: alloc_bench.o $(ALLOC_OBJS) $(LIB)
	$(LINK) -o $@ alloc_bench.o $(ALLOC_OBJS) $(LIB) $(LIBS_DL) $(LIBS_PTHREAD) $(LIBS)

$(TOP)/bench/launch_bench: launch_bench.o $(LIB)
	$(LINK) -o $@ launch_bench.o $(LIB) $(LIBS)

$(SHARING_OBJS): $(HDRS) $(TOP)/bench/sharing.h
$(BENCH_SHARING): $(SHARING_OBJS) $(LIB)
	$(LINK) -o $@ $(SHARING_OBJS) $(LIB) $(LIBS) -lm

$(TOP)/bench/plugin_bench: plugin_bench.o $(LIB)
	$(LINK) -o $@ plugin_bench.o $(LIB) $(LIBS)

# The plugin linked into a stand-in master, for its REST API with 10,000 tasks.
$(TOP)/bench/marathon_fake: $(TOP)/bench/marathon_fake.c $(MARATHON_SRCS) $(MARATHON_SHARED) \
		$(MARATHON)/mt.h $(PC_HDRS) $(HDRS)
	$(COMPILE) $(LDFLAGS) -o $@ $(TOP)/bench/marathon_fake.c $(MARATHON_SRCS) \
		$(MARATHON_SHARED) $(LIBS_PTHREAD) $(LIBS)

$(TOP)/plugins/marathon.so: $(MARATHON_SRCS) $(MARATHON_SHARED) $(MARATHON)/mt.h $(PC_HDRS) $(HDRS)
	$(COMPILE) $(PIC_CFLAGS) $(MARATHON_CFLAGS) $(LDFLAGS) \
		$(SHARED_LDFLAGS) -o $@ $(MARATHON_SRCS) $(MARATHON_SHARED) $(LIBS_PTHREAD) $(LIBS)

$(TOP)/plugins/jobs.so: $(JOBS_SRCS) $(MARATHON_SHARED) $(JOBS)/jb.h $(PC_HDRS) $(HDRS)
	$(COMPILE) $(PIC_CFLAGS) $(MARATHON_CFLAGS) $(LDFLAGS) \
		$(SHARED_LDFLAGS) -o $@ $(JOBS_SRCS) $(MARATHON_SHARED) $(LIBS_PTHREAD) $(LIBS)

bench: all $(BENCH) $(BENCH_PLUGINS)
	cd $(TOP) && sh bench/run.sh

# Every section at a small size (CI): a bench that no longer measures fails here.
bench-smoke: all $(BENCH) $(BENCH_PLUGINS)
	cd $(TOP) && BENCH_SMOKE=1 sh bench/run.sh > bench/smoke.out && sh bench/check_format.sh bench/smoke.out

bench-sharing: all $(BENCH_SHARING)
	cd $(TOP) && sh bench/sharing.sh

run: all
	cd $(TOP) && sh examples/local-cluster.sh

# A bounded chaos run (tests/soak.sh): SOAK_SECONDS (default 600), SOAK_SEED to repeat one.
soak: all
	cd $(TOP) && SOAK_SECONDS=$(SOAK_SECONDS) SOAK_SEED=$(SOAK_SEED) sh tests/soak.sh

# ---- fuzzing (libFuzzer: clang only) -----------------------------------------
# make fuzz [FUZZ_SECONDS=N]: each parser of peer input (json, http, proto,
# res) built with libFuzzer, ASan and UBSan, and run N seconds from scratch.
FUZZ_CC = clang
FUZZ_SECONDS = 30
FUZZ_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined $(INCLUDES)
FUZZERS = $(TOP)/tests/fuzz_json $(TOP)/tests/fuzz_http $(TOP)/tests/fuzz_proto \
	$(TOP)/tests/fuzz_res $(TOP)/tests/fuzz_sha256
L = $(TOP)/lib

$(TOP)/tests/fuzz_sha256: $(TOP)/tests/fuzz_sha256.c $(L)/sha256.c $(HDRS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(TOP)/tests/fuzz_sha256.c $(L)/sha256.c

$(TOP)/tests/fuzz_json: $(TOP)/tests/fuzz_json.c $(L)/json.c $(L)/buf.c $(L)/xmem.c $(L)/log.c \
		$(L)/compat.c $(HDRS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(TOP)/tests/fuzz_json.c $(L)/json.c $(L)/buf.c $(L)/xmem.c \
		$(L)/log.c $(L)/compat.c

$(TOP)/tests/fuzz_http: $(TOP)/tests/fuzz_http.c $(L)/http.c $(L)/http_client.c $(L)/json.c \
		$(L)/http_msg.c $(L)/conn.c $(L)/loop.c $(L)/net.c $(L)/buf.c $(L)/xmem.c $(L)/log.c \
		$(L)/compat.c $(L)/conncap.c $(L)/map.c $(HDRS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -pthread -o $@ $(TOP)/tests/fuzz_http.c $(L)/http.c \
		$(L)/http_client.c $(L)/json.c $(L)/conn.c $(L)/loop.c $(L)/net.c $(L)/buf.c \
		$(L)/xmem.c $(L)/log.c $(L)/compat.c $(L)/http_msg.c $(L)/conncap.c $(L)/map.c

$(TOP)/tests/fuzz_proto: $(TOP)/tests/fuzz_proto.c $(TOP)/proto.c $(L)/buf.c $(L)/xmem.c \
		$(L)/log.c $(L)/compat.c $(L)/sha256.c $(L)/id.c $(HDRS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(TOP)/tests/fuzz_proto.c $(TOP)/proto.c $(L)/buf.c \
		$(L)/xmem.c $(L)/log.c $(L)/compat.c $(L)/sha256.c $(L)/id.c

$(TOP)/tests/fuzz_res: $(TOP)/tests/fuzz_res.c $(L)/res.c $(L)/attrs.c $(L)/json.c $(L)/log.c \
		$(L)/compat.c $(L)/buf.c $(L)/xmem.c $(HDRS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(TOP)/tests/fuzz_res.c $(L)/res.c $(L)/attrs.c \
		$(L)/json.c $(L)/log.c $(L)/compat.c $(L)/buf.c $(L)/xmem.c -lm

fuzz: $(FUZZERS)
	for f in $(FUZZERS); do \
		echo "fuzz: $$f for $(FUZZ_SECONDS) s"; \
		$$f -max_total_time=$(FUZZ_SECONDS) > $$f.log 2>&1 || { tail -n 40 $$f.log; exit 1; }; \
		tail -n 1 $$f.log; \
	done

# ---- install ---------------------------------------------------------------
# Plugins, the plugin header and man pages are each installed only if present.
install: all
	mkdir -p $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR)
	cd $(TOP) && cp mesosd agentd mesos-plughost mesos-lb $(DESTDIR)$(SBINDIR)/
	chmod 755 $(DESTDIR)$(SBINDIR)/mesosd $(DESTDIR)$(SBINDIR)/agentd \
		$(DESTDIR)$(SBINDIR)/mesos-plughost $(DESTDIR)$(SBINDIR)/mesos-lb
	cd $(TOP) && cp mesosctl $(DESTDIR)$(BINDIR)/
	chmod 755 $(DESTDIR)$(BINDIR)/mesosctl
	mkdir -p $(DESTDIR)$(LIBEXECDIR)
	cd $(TOP) && cp mesos-executor mesos-fetcher $(DESTDIR)$(LIBEXECDIR)/
	chmod 755 $(DESTDIR)$(LIBEXECDIR)/mesos-executor $(DESTDIR)$(LIBEXECDIR)/mesos-fetcher
	cd $(TOP) && for f in plugins/*.so; do \
		if [ -f "$$f" ]; then \
			mkdir -p $(DESTDIR)$(PLUGINDIR) && \
			cp "$$f" $(DESTDIR)$(PLUGINDIR)/ && \
			chmod 755 $(DESTDIR)$(PLUGINDIR)/"$${f#plugins/}" || exit 1; \
		fi; \
	done
	mkdir -p $(DESTDIR)$(INCDIR)
	cp $(TOP)/plugins/framework.h $(DESTDIR)$(INCDIR)/
	chmod 644 $(DESTDIR)$(INCDIR)/framework.h
	cd $(TOP) && for m in docs/mesosd.8 docs/agentd.8 docs/mesosctl.1 docs/mesos-lb.8; do \
		sec=$${m##*.}; \
		mkdir -p $(DESTDIR)$(MANDIR)/man$$sec && \
		cp "$$m" $(DESTDIR)$(MANDIR)/man$$sec/ && \
		chmod 644 $(DESTDIR)$(MANDIR)/man$$sec/"$${m##*/}" || exit 1; \
	done
	sh $(TOP)/dist/install.sh install "$(DESTDIR)" $(PREFIX) $(SERVICE)

# The service files alone (SERVICE=systemd|initd|openrc|freebsd|openbsd|all; default: this system's).
install-service:
	sh $(TOP)/dist/install.sh install "$(DESTDIR)" $(PREFIX) $(SERVICE)

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/mesosd $(DESTDIR)$(SBINDIR)/agentd
	rm -f $(DESTDIR)$(SBINDIR)/mesos-plughost $(DESTDIR)$(SBINDIR)/mesos-lb
	rm -f $(DESTDIR)$(BINDIR)/mesosctl
	rm -f $(DESTDIR)$(LIBEXECDIR)/mesos-executor $(DESTDIR)$(LIBEXECDIR)/mesos-fetcher
	rmdir $(DESTDIR)$(LIBEXECDIR) 2>/dev/null || true
	rm -f $(DESTDIR)$(PLUGINDIR)/*.so
	rm -f $(DESTDIR)$(INCDIR)/framework.h
	rm -f $(DESTDIR)$(MANDIR)/man8/mesosd.8 $(DESTDIR)$(MANDIR)/man8/agentd.8
	rm -f $(DESTDIR)$(MANDIR)/man8/mesos-lb.8
	rm -f $(DESTDIR)$(MANDIR)/man1/mesosctl.1
	sh $(TOP)/dist/install.sh uninstall "$(DESTDIR)" $(PREFIX) $(SERVICE)
	rmdir $(DESTDIR)$(PLUGINDIR) $(DESTDIR)$(PREFIX)/lib/mesos $(DESTDIR)$(INCDIR) 2>/dev/null || true

# ---- cleaning --------------------------------------------------------------
clean:
	rm -f *.o $(LIB) web_assets.c
	cd $(TOP) && rm -f plugins/*.so tests/plugins/*.so bench/*.so tests/fuzz_*.log
	rm -f $(PROGS) $(TESTS) $(TOOLS) $(BENCH) $(BENCH_SHARING) $(EXAMPLES) $(FUZZERS)

distclean: clean
	cd $(TOP) && rm -f config.mk config.h config.log

# tests/t_cross_smoke.sh: a smoke cluster of a cross build (.ci/cross runs
# it for armhf): a master, an agent, a task whose output is read back, all
# under qemu-user. Where the kernel hands foreign binaries to qemu
# (binfmt_misc) they run as they are; elsewhere (a container, CI) each
# program is reached through a small script that execs it under qemu, and
# the agent finds its helpers there (--launcher_dir). The task's shell is
# the host's either way. Skipped outside a cross build.
. "$(dirname "$0")/lib.sh"
plan 3

if [ -z "${CROSS_QEMU:-}" ]; then
	skip_rest "not a cross build (.ci/cross sets CROSS_QEMU)"
	exit 0
fi
if ! command -v "$CROSS_QEMU" > /dev/null; then
	skip_rest "$CROSS_QEMU not installed (Debian: qemu-user)"
	exit 0
fi
# qemu finds the target's libc here; emulation is several times slower.
QEMU_LD_PREFIX=${CROSS_SYSROOT:-}
export QEMU_LD_PREFIX
LIB_START_TIMEOUT_S=60
# Seconds the task may take under emulation.
T=60

AGENT_FLAGS=
how="binfmt_misc"
if [ ! -f "/proc/sys/fs/binfmt_misc/$CROSS_QEMU" ]; then
	# lib.sh starts "$TOP/mesosd" and friends: TOP becomes a folder of
	# scripts that run the real programs under qemu; exec keeps each pid.
	real=$TOP
	TOP=$TMP/under-qemu
	mkdir -p "$TOP/tests"
	for prog in mesosd agentd mesosctl mesos-executor mesos-fetcher; do
		printf '#!/bin/sh\nexec %s %s/%s "$@"\n' "$CROSS_QEMU" "$real" "$prog" > "$TOP/$prog"
		chmod 755 "$TOP/$prog"
	done
	AGENT_FLAGS=--launcher_dir=$TOP
	how="scripts calling $CROSS_QEMU (no binfmt_misc entry)"
fi

start_master || exit 1
# shellcheck disable=SC2086
start_agent a1 $AGENT_FLAGS --resources="cpus:1;mem:256;disk:100;ports:[31000-31009]" > /dev/null || exit 1
pass "master and agent run under $CROSS_QEMU, through $how"
check "a task runs to TASK_FINISHED" ctl --timeout=${T}secs run --name=smoke \
    --command='echo cross smoke $((6 * 7))'
id=$(ctl tasks | sed -n 's/^\(smoke-[0-9a-f]*\) .*/\1/p' | head -n 1)
check "its stdout is read back" sh -c "'$TOP/mesosctl' --master=$MASTER cat '$id' stdout | grep -q '^cross smoke 42$'"

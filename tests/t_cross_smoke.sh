# tests/t_cross_smoke.sh: a smoke cluster of a cross build (.ci/cross runs
# it for armhf): a master, an agent, a task whose output is read back, all
# under qemu-user. The agent execs mesos-executor and the task's shell, so
# the kernel must hand foreign binaries to qemu (binfmt_misc): skipped
# where it does not, and outside a cross build.
. "$(dirname "$0")/lib.sh"
plan 3

if [ -z "${CROSS_QEMU:-}" ]; then
	skip_rest "not a cross build (.ci/cross sets CROSS_QEMU)"
	exit 0
fi
if [ ! -f "/proc/sys/fs/binfmt_misc/$CROSS_QEMU" ]; then
	skip_rest "no binfmt_misc entry for $CROSS_QEMU: agentd's exec of mesos-executor needs one (Debian: qemu-user-binfmt)"
	exit 0
fi
# qemu finds the target's libc here; emulation is several times slower.
QEMU_LD_PREFIX=${CROSS_SYSROOT:-}
export QEMU_LD_PREFIX
LIB_START_TIMEOUT_S=60
# Seconds the task may take under emulation.
T=60

start_master || exit 1
start_agent a1 --resources="cpus:1;mem:256;disk:100;ports:[31000-31009]" > /dev/null || exit 1
pass "master and agent run under $CROSS_QEMU"
check "a task runs to TASK_FINISHED" ctl --timeout=${T}secs run --name=smoke \
    --command='echo cross smoke $((6 * 7))'
id=$(ctl tasks | sed -n 's/^\(smoke-[0-9a-f]*\) .*/\1/p' | head -n 1)
check "its stdout is read back" sh -c "'$TOP/mesosctl' --master=$MASTER cat '$id' stdout | grep -q '^cross smoke 42$'"

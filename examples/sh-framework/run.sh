#!/bin/sh
# examples/sh-framework/run.sh: run framework.awk against a master.
#
#   sh run.sh HOST:PORT command=CMD [instances=N] [failover=SECONDS] [name=NAME]
#             [cpus=0.1] [mem=32] [state=FILE] [user=USER] [principal=P]
#
# framework.awk speaks the protocol on its stdin and stdout; this script
# joins those to a TCP connection with the first tool it finds: nc, socat,
# busybox nc, or bash's /dev/tcp. CONNECT='your-tool' overrides the choice:
# it is run as `$CONNECT HOST PORT` with the protocol on its stdin/stdout.
# Exit status: framework.awk's (0 when every task finished). TERM or INT
# leaves without tearing the framework down: run it again (same state=)
# within failover= seconds and it takes its tasks back.
#
# Authentication: principal= (or $MESOS_PRINCIPAL) with the secret in
# $MESOS_SECRET. Each connection gets a fresh nonce from /dev/urandom, made
# here before the stream starts, and framework.awk has each proof computed by
# `mesosctl auth-proof` ($MESOSCTL, else mesosctl on PATH, else the one
# built at the top of this tree).
here=$(cd "$(dirname "$0")" && pwd)

usage () {
	echo "usage: sh run.sh HOST:PORT command=CMD [instances=N] [failover=S] [name=NAME] ..." >&2
	exit 2
}

[ "$#" -ge 1 ] || usage
case "$1" in
*:*) host=${1%:*}; port=${1##*:} ;;
*) usage ;;
esac
shift

# Each NAME=VALUE argument becomes "-v NAME=VALUE" for awk, spaces and all
# (after $MESOS_PRINCIPAL's, so that principal= wins).
n=$#
if [ -n "$MESOS_PRINCIPAL" ]; then
	set -- "$@" -v "principal=$MESOS_PRINCIPAL"
fi
while [ "$n" -gt 0 ]; do
	case "$1" in
	[a-z]*=*) set -- "$@" -v "$1" ;;
	*) usage ;;
	esac
	shift
	n=$((n - 1))
done

# The handshake's nonce: 32 random bytes as 64 hex digits.
nonce=$(od -An -tx1 -N32 /dev/urandom 2>/dev/null | tr -d ' \n')
if [ -n "$MESOSCTL" ]; then
	ctl_path=$MESOSCTL
elif command -v mesosctl > /dev/null 2>&1; then
	ctl_path=$(command -v mesosctl)
else
	ctl_path=$here/../../mesosctl
fi
case "$ctl_path" in
*\'*) echo "run.sh: the path to mesosctl may not hold a quote: $ctl_path" >&2; exit 2 ;;
esac
set -- "$@" -v "nonce=$nonce" -v "prover='$ctl_path' auth-proof"

# The connectors: each is called as `tcp_X HOST PORT`.
tcp_nc () { exec nc "$1" "$2"; }
tcp_socat () { exec socat - "TCP:$1:$2"; }
tcp_busybox () { exec busybox nc "$1" "$2"; }
tcp_bash () {
	# The reader is killed when the writer ends (or bash is told to stop), so the socket closes.
	exec bash -c 'exec 3<>"/dev/tcp/$0/$1" || exit 1; cat <&3 & r=$!; trap "kill $r" TERM
		cat >&3; kill $r 2>/dev/null' "$1" "$2"
}

if [ -n "$CONNECT" ]; then
	connect=$CONNECT
elif command -v nc > /dev/null 2>&1; then
	connect=tcp_nc
elif command -v socat > /dev/null 2>&1; then
	connect=tcp_socat
elif command -v busybox > /dev/null 2>&1 && busybox nc --help > /dev/null 2>&1; then
	connect=tcp_busybox
elif command -v bash > /dev/null 2>&1; then
	connect=tcp_bash
else
	echo "run.sh: no TCP tool found (nc, socat, busybox nc or bash); set CONNECT" >&2
	exit 2
fi

# mawk fills its whole input buffer before it looks at a line unless told otherwise.
awk_flags=
case "$(awk -W version 2>&1 < /dev/null | head -n 1)" in
mawk*) awk_flags="-W interactive" ;;
esac

dir=$(mktemp -d "${TMPDIR:-/tmp}/sh-framework.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
mkfifo "$dir/in" "$dir/out" || exit 1

# Both sides open "in" first, then "out", so neither open waits for the other forever.
$connect "$host" "$port" > "$dir/in" < "$dir/out" &
cpid=$!
# shellcheck disable=SC2086
LC_ALL=C awk $awk_flags -f "$here/framework.awk" "$@" < "$dir/in" > "$dir/out" &
apid=$!
# TERM or INT: leave without tearing the framework down; run again within
# its failover time, it picks its tasks up.
trap 'kill "$apid" 2>/dev/null' INT TERM
wait "$apid"
rc=$?
while kill -0 "$apid" 2>/dev/null; do
	wait "$apid"
	rc=$?
done
kill "$cpid" 2>/dev/null
wait "$cpid" 2>/dev/null
exit "$rc"

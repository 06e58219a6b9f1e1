# tests/t_sandbox_race.sh: sandbox reads cannot be raced out of the sandbox
# (issue #17). A task of nobody swaps a directory of its sandbox for a
# symlink to a root-only directory and back, as fast as it can (tests/sbswap),
# while the test reads a file through that directory N times: no read may
# return the file outside. Before, the path was resolved and then opened,
# with O_NOFOLLOW guarding only its last component.
. "$(dirname "$0")/lib.sh"
plan 6

need_nobody "a task of another user (the attacker)"
# Reads through the swapped directory.
N=500
# Seconds the task swaps for: longer than the reads take on a loaded
# machine (cleanup ends it sooner).
SWAP_S=300
PEER=$TOP/tests/peer

# Deep below the swapped directory: the old resolution took longer after it.
DEEP=1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16
mkdir -p "$TMP/outside/$DEEP"
echo OUTSIDE-SECRET > "$TMP/outside/$DEEP/secret"
chmod 700 "$TMP/outside"
start_master || exit 1
start_agent a1 --resources="cpus:1;mem:256" > /dev/null || exit 1
"$TOP/mesosctl" "--master=$MASTER" run --name=swap --user=nobody --resources="cpus:1;mem:32" \
    --command="mkdir -p d/$DEEP && echo inside > d/$DEEP/secret && ln -s '$TMP/outside' d_link && '$TOP/tests/sbswap' d d_link $SWAP_S" \
    > "$TMP/swap.out" 2>&1 &
lib_track_pid $!
check "the swapping task runs" wait_for 10 grep -q TASK_RUNNING "$TMP/swap.out" || exit 1
T=$(sed -n 's/^task \([^ ]*\) submitted.*/\1/p' "$TMP/swap.out" | head -n 1)
swapping () {
	test -e "$TMP"/a1/slaves/*/frameworks/*/executors/"$T"/runs/latest/d.parked
}
check "it swaps" wait_for 10 swapping || exit 1

set -- --send "HELLO version=1 kind=cli"
i=0
while [ $i -lt $N ]; do
	set -- "$@" --send "READ_FILE task_id=$T path=d/$DEEP/secret length=100"
	i=$((i + 1))
done
# A burst of N reads may be served within one of the swapper's states (the
# master hands them over in a few writes, the agent reads them in one turn):
# up to BURSTS bursts, until reads have met both the directory and the link.
BURSTS=5
: > "$TMP/reads.out"
burst=0
while [ $burst -lt $BURSTS ]; do
	"$PEER" 127.0.0.1 "$MASTER_PORT" --timeout 30000 --lines $((N + 1)) "$@" >> "$TMP/reads.out" 2>&1
	burst=$((burst + 1))
	grep -q '^FILE_DATA .*data=inside' "$TMP/reads.out" &&
	    grep -q '^FILE_ERROR .*outside%20the%20sandbox' "$TMP/reads.out" && break
done
OUT=$(grep -c '^FILE_DATA .*OUTSIDE-SECRET' "$TMP/reads.out")
IN=$(grep -c '^FILE_DATA .*data=inside' "$TMP/reads.out")
echo "# $OUT of $((N * burst)) reads ($burst burst(s)) returned the file outside the sandbox, $IN the one inside" >&2
sed -n 's/^FILE_ERROR .*reason=\([^ ]*\).*/refused: \1/p' "$TMP/reads.out" | sort | uniq -c |
    sed 's/^ */# /' >&2
check "every read was answered" test "$(grep -c '^FILE_' "$TMP/reads.out")" -eq $((N * burst))
check "some reads found the file inside" test "$IN" -gt 0
check "no read returned anything outside the sandbox" test "$OUT" -eq 0
check "a read through the link is refused as outside" grep -q '^FILE_ERROR .*outside%20the%20sandbox' "$TMP/reads.out"

cleanup

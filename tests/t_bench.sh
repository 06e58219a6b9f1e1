# tests/t_bench.sh: the benchmarks cannot mislead. A launch run whose tasks
# all fail prints no figure and exits non-zero (it printed a better rate
# than an honest run); too few samples print no p99, and every figure names
# its sample count; bench/run.sh clears MESOS_* (a variable left in the
# environment would change what agentd does); a figure line that is not
# "name value unit" fails the format check CI runs on make bench-smoke.
. "$(dirname "$0")/lib.sh"
plan 10

start_master || exit 1
start_agent a1 --resources="cpus:4;mem:4096;disk:100" > /dev/null || exit 1

if "$TOP/bench/launch_bench" "$MASTER" 20 4 2 no-such-user-x9 > "$TMP/fail.out" 2> "$TMP/fail.err"; then
	fail "a launch run whose tasks all failed exits non-zero"
else
	pass "a launch run whose tasks all failed exits non-zero"
fi
check "and prints no figure" test ! -s "$TMP/fail.out"
check "it says why" grep -q '20 of 20 tasks failed' "$TMP/fail.err"

"$TOP/bench/launch_bench" "$MASTER" 50 4 2 "$(id -un)" > "$TMP/few.out" 2> "$TMP/few.err"
check "an honest run names what it counts and its settings" grep -q '^launch_w4_b2_launches_per_s [0-9]' "$TMP/few.out"
check "50 samples: the p50 names its sample count, and no p99 is printed" \
    sh -c "grep -q '^launch_w4_b2_to_running_p50_n50 ' '$TMP/few.out' && ! grep -q p99 '$TMP/few.out'"

# In rounds beside raw spawns: both rates from the same moments, the raw one and the ratio printed.
"$TOP/bench/launch_bench" "$MASTER" 40 4 2 "$(id -un)" 4 > "$TMP/rounds.out" 2> "$TMP/rounds.err"
check "in 4 rounds, all 40 tasks ran and the raw spawn rate is printed" \
    sh -c "grep -q '^launch_w4_b2_tasks 40 ' '$TMP/rounds.out' && grep -q '^raw_spawn_w4_per_s [0-9]' '$TMP/rounds.out'"
check "and the launches' ratio to it" grep -q '^launch_w4_b2_launches_vs_raw_spawn [0-9.]* ratio' "$TMP/rounds.out"

# The footprint section starts an agent: with MESOS_ISOLATION left over it would not start.
(cd "$TOP" && MESOS_ISOLATION=no-such/isolator sh bench/run.sh footprint) > "$TMP/bench.out" 2> "$TMP/bench.err"
check "bench/run.sh clears MESOS_* before it starts daemons" grep -q '^agentd_idle_rss [0-9]' "$TMP/bench.out"

printf 'good_figure 12 ms\nbroken_figure  ms\n' > "$TMP/figures"
check "a figure with no value fails the format check" sh -c "! sh '$TOP/bench/check_format.sh' '$TMP/figures'"
printf '# machine: x\ngood_figure 12.5 ms\nratio_figure 0.71 ratio\n' > "$TMP/figures"
check "well-formed figures pass it" sh "$TOP/bench/check_format.sh" "$TMP/figures"

[ "$LIB_FAILED" -eq 0 ]

# tests/t_sharing.sh: the tool behind `make bench-sharing`, without a
# cluster: the kept trace is what its generator writes for seed 15, each
# mode's agents (static: every agent reserved whole to one role), a bad
# trace refused with its line, and the report from two small replays'
# records: the figures, their ratios, the services' time short from the
# tasks' timestamps, and an HTML page with its plots.
. "$(dirname "$0")/lib.sh"
plan 32
S=$TOP/bench/sharing

check "the kept trace is gen 15's" sh -c "'$S' gen 15 | cmp - '$TOP/bench/sharing.trace'"
"$S" agents "$TOP/bench/sharing.trace" static > "$TMP/static.agents"
check "static: a third of the agents reserved to services" \
    test "$(grep -c 'cpus(services):8;mem(services):16384 rack:r' "$TMP/static.agents")" = 8
check "and nothing left unreserved" sh -c "! grep -q '(\*)' '$TMP/static.agents'"
check "sharing: none reserved" sh -c "'$S' agents '$TOP/bench/sharing.trace' sharing | grep -c 'cpus(\*):8;mem(\*):16384' | grep -qx 24"

printf 'duration 10\nagents 2 4 1000 1\nrole svc marathon 1 1\nrole b jobs 1 1\napp web 1 100\nscale 0 web 2\nrun 1 b j1 4 1 100 2\nbogus 3\n' > "$TMP/bad.trace"
check "a bad trace is refused" sh -c "! '$S' report '$TMP/bad.trace' '$TMP' 2> '$TMP/bad.err'"
check "saying its line" grep -q "bad.trace:8: cannot read 'bogus 3'" "$TMP/bad.err"

# Two replays of a 10 s trace on 8 cpus: static holds 4 of them (half used),
# sharing 6; its job ends in 4 s instead of 8. The app web is asked for 2
# at 0, 1 at 5 (a scale-down owes nothing) and 3 at 6: static runs its tasks
# from 0.5 and 1.5 (the second killed at 5.2), then from 6.4 and 6.9: 2 short
# for 0.5 s, 1 for 1 s, then 2 for 0.4 s and 1 for 0.5 s (3.3 instance-s),
# reached in 1.5 s and 0.9 s. Sharing runs them from 0.25 (both), 6.2 and
# 6.3: 1.0 instance-s, reached in 0.25 s and 0.3 s, launched (staged) in
# 0.2 s and 0.25 s. A batch slot freed at 3 s is launched on again at 3.5 s
# static, 3.02 s sharing; batch tasks take 0.1 s, and 0.05 and 0.08 s, to run. Sharing leaves one cpu
# of 8 where no batch task fits, and its 2 idle cpus are where no task as
# large as the largest fits, 0.8 of them on agents short of its memory only
# (the A record's newer fields; static's records are the older, shorter
# kind); at 0.5 s no batch task has been submitted,
# after 1 s some wait: of 10 samples' idle, 1 with no work waiting.
sed '$d' "$TMP/bad.trace" > "$TMP/ok.trace"
mkdir -p "$TMP/out"
for m in static sharing; do
	if [ "$m" = static ]; then used=2 done=9; else used=4 done=5; fi
	i=0
	while [ "$i" -lt 10 ]; do
		echo "T $i.5 8 2000"
		echo "R $i.5 svc 2 200 0 0"
		echo "R $i.5 b $used 400 0 0"
		echo "S $i.5 2 2 0"
		if [ "$m" = static ]; then echo "A $i.5 4 1000 0 0"; else echo "A $i.5 2 400 1 0 2 400 0.8"; fi
		i=$((i + 1))
	done > "$TMP/out/$m.samples"
	echo "Q 0 0" >> "$TMP/out/$m.samples"
	printf 'U 0.000 web 2\nU 5.000 web 1\nU 6.000 web 3\n' >> "$TMP/out/$m.samples"
	if [ "$m" = static ]; then
		printf 'I web 0.4 0.5 -1\nI web 1.4 1.5 5.2\nI web 6.3 6.4 -1\nI web 6.8 6.9 -1\n'
	else
		printf 'I web 0.2 0.25 -1\nI web 0.2 0.25 5.1\nI web 6.1 6.2 -1\nI web 6.25 6.3 -1\n'
	fi >> "$TMP/out/$m.samples"
	if [ "$m" = static ]; then
		printf 'X b ag2 1.0 1.1 3.0\nX b ag2 3.5 3.6 5.0\nX svc ag2 0.1 0.2 -1\n'
	else
		printf 'X b ag1 1.0 1.05 3.0\nX b ag1 3.02 3.1 5.0\nX svc ag1 0.1 0.2 -1\n'
	fi >> "$TMP/out/$m.samples"
	echo "J b j1 4 1.000 $done.000 1" >> "$TMP/out/$m.samples"
done
check "report" sh -c "'$S' report '$TMP/ok.trace' '$TMP/out' > '$TMP/figures'"
check "every line a figure" sh "$TOP/bench/check_format.sh" "$TMP/figures"
check "cpu utilization: 50% static" grep -qx 'sharing_cpu_util_static 50.0 %' "$TMP/figures"
check "75% sharing" grep -qx 'sharing_cpu_util_sharing 75.0 %' "$TMP/figures"
check "the ratio" grep -qx 'sharing_cpu_util_ratio 1.50 x' "$TMP/figures"
check "over the day too" grep -qx 'sharing_cpu_util_day_ratio 1.50 x' "$TMP/figures"
check "completion: 8 s against 4 s" sh -c "grep -qx 'sharing_batch_completion_mean_static 8.0 s' '$TMP/figures' && grep -qx 'sharing_batch_completion_mean_ratio 0.50 x' '$TMP/figures'"
check "services short: 3.3 instance-s static" grep -qx 'sharing_services_short_instance_seconds_static 3.30 s' "$TMP/figures"
check "1.0 sharing" grep -qx 'sharing_services_short_instance_seconds_sharing 1.00 s' "$TMP/figures"
check "two scale-ups, the scale-down not counted" grep -qx 'sharing_services_scaleups_sharing 2 count' "$TMP/figures"
check "reached in 1.2 s on average static" grep -qx 'sharing_services_reach_mean_static 1.200 s' "$TMP/figures"
check "at most 0.3 s sharing" grep -qx 'sharing_services_reach_max_sharing 0.300 s' "$TMP/figures"
check "launched in 0.225 s on average sharing" grep -qx 'sharing_services_launched_mean_sharing 0.225 s' "$TMP/figures"
check "the mean's ratio" grep -qx 'sharing_services_reach_mean_ratio 0.23 x' "$TMP/figures"
check "a cpu in fragments: 12.5%" grep -qx 'sharing_cpu_fragments_day_sharing 12.5 %' "$TMP/figures"
check "idle with no batch work waiting: 2.5%" grep -qx 'sharing_cpu_idle_no_work_day_sharing 2.5 %' "$TMP/figures"
check "idle while some waits: 22.5%" grep -qx 'sharing_cpu_idle_waiting_day_sharing 22.5 %' "$TMP/figures"
check "all of it in small pieces" grep -qx 'sharing_cpu_idle_small_day_sharing 22.5 %' "$TMP/figures"
check "9% short of memory only" grep -qx 'sharing_cpu_idle_mem_short_day_sharing 9.0 %' "$TMP/figures"
check "older A records read, their small pieces unknown" sh -c "grep -qx 'sharing_cpu_idle_small_day_static 0.0 %' '$TMP/figures' && grep -qx 'sharing_cpu_idle_waiting_day_static 45.0 %' '$TMP/figures'"
check "turnover 0.5 s static" grep -qx 'sharing_turnover_p50_static 0.500 s' "$TMP/figures"
check "20 ms sharing" grep -qx 'sharing_turnover_p50_sharing 0.020 s' "$TMP/figures"
check "batch launch 65 ms sharing" grep -qx 'sharing_batch_launch_mean_sharing 0.065 s' "$TMP/figures"
check "the 100 ms poll kept" grep -qx 'sharing_services_short_polled_sharing 0.0 s' "$TMP/figures"
check "an HTML page" grep -q '^<!DOCTYPE html>' "$TMP/out/sharing.html"
check "with six plots" test "$(grep -c '^<svg ' "$TMP/out/sharing.html")" = 6

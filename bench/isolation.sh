#
# bench/isolation.sh: what isolation holds, and what it costs, sourced by
# bench/run.sh (section isolation). For each mode this machine offers
# (posix/cpu,posix/mem always; cgroups/cpu,cgroups/mem,cgroups/pids where
# agentd may make cgroups), on an agent of ISO_CPUS cpus:
#   - memory: bench/isohog touching fresh memory as fast as one core can in
#     a task of ISO_MEM_MB, ISO_MEM_RUNS times: the worst peak resident as a
#     multiple of mem, and the time from its passing mem (or, held by the
#     kernel, from its last chunk) to the task's TASK_FAILED with the memory
#     reason; and how fast it grew;
#   - cpu: two tasks of cpus 1.5 and 0.5, each spinning on every cpu for
#     ISO_SPIN_S: the ratio of the cpu time they got (the aim: 3);
#   - overhead: ISO_TASKS sleeping tasks (mem 16): agentd's memory per
#     task, each task's supervisor's, and the cpu it spends watching an idle
#     task (posix/mem looks often at a small task: it could fill its memory
#     quickly).
# Prints `name value unit` lines; a measurement that did not happen (the
# hog not killed for its memory, say) prints none.
#
# Sourced by bench/run.sh (its TMP, PIDS, start_master, start_bench_agent,
# stop_pids, rss_kib, cpu_ticks).
ISO_CPUS=2
ISO_MEM_MB=256
ISO_MEM_RUNS=${ISO_MEM_RUNS:-3}
ISO_SPIN_S=${ISO_SPIN_S:-8}
ISO_SPIN_LEAD_S=3       # the spinners' common start, after both tasks are launched
ISO_TASKS=${ISO_TASKS:-50}
ISO_IDLE_S=${ISO_IDLE_S:-5}            # how long the idle tasks' supervisors are watched for their cpu
ISO_CGROUPS=cgroups/cpu,cgroups/mem,cgroups/pids
ISO_MB=1048576

iso_ctl () {
	"$TOP/mesosctl" --master="127.0.0.1:$MASTER_PORT" "$@"
}

# iso_sandbox AGENT TASK: the task's sandbox.
iso_sandbox () {
	echo "$TMP"/"$1"/slaves/*/frameworks/*/executors/"$2"/runs/latest
}

iso_task_of () {
	sed -n 's/^task \([^ ]*\) submitted.*/\1/p' "$1" | head -n 1
}

# iso_memory MODE AGENT: the hog's runs; the worst of them printed.
iso_memory () {
	im_worst=
	im_kill=
	im_rate=
	im_i=0
	while [ "$im_i" -lt "$ISO_MEM_RUNS" ]; do
		im_i=$((im_i + 1))
		iso_ctl run --name=hog --resources="cpus:1;mem:$ISO_MEM_MB" \
		    --command="exec '$TOP/bench/isohog' mem hog.rec $((ISO_MEM_MB * ISO_MB))" > "$TMP/iso-hog.out" 2>&1
		im_task=$(iso_task_of "$TMP/iso-hog.out")
		if ! grep -q 'TASK_FAILED REASON_CONTAINER_LIMITATION_MEMORY' "$TMP/iso-hog.out"; then
			echo "bench: isolation $1: the hog was not killed for its memory:" >&2
			cat "$TMP/iso-hog.out" >&2
			return 1
		fi
		im_end=$(grep -ah "task_id=$im_task .*state=TASK_FAILED" "$TMP/$2"/meta/slaves/*/task.updates |
		    sed -n 's/.* timestamp=\([0-9.]*\).*/\1/p' | head -n 1)
		im_rec=$(cat "$(iso_sandbox "$2" "$im_task")/hog.rec" 2>/dev/null)
		if [ -z "$im_end" ] || [ -z "$im_rec" ]; then
			echo "bench: isolation $1: no record of the hog's end" >&2
			return 1
		fi
		# peak start cross last: a multiple of mem, ms from passing mem (or the last chunk) to the end.
		read -r im_mult im_ms im_mbs <<EOF
$(echo "$im_rec $im_end" | awk -v mem=$((ISO_MEM_MB * ISO_MB)) '{
    from = $3 > 0 ? $3 : $4
    printf "%.2f %.0f %.0f", $1 / mem, ($5 - from) * 1000, $1 / 1048576 / ($4 - $2) }')
EOF
		echo "bench: isolation $1: hog run $im_i: peak ${im_mult}x mem, ended ${im_ms} ms after, at ${im_mbs} MB/s" >&2
		im_worst=$(awk -v a="$im_mult" -v b="${im_worst:-0}" 'BEGIN { print (a > b) ? a : b }')
		im_kill=$(awk -v a="$im_ms" -v b="${im_kill:-0}" 'BEGIN { print (a > b) ? a : b }')
		im_rate=$im_mbs
	done
	echo "isolation_${1}_mem_peak_multiple $im_worst x"
	echo "isolation_${1}_mem_kill_ms $im_kill ms"
	echo "isolation_${1}_mem_hog_rate $im_rate MB/s"
}

# iso_spin_cmd START END: a task spinning on every cpu from START to END, each spinner's cpu ms in spinN.
iso_spin_cmd () {
	isc_cmd=
	isc_i=0
	while [ "$isc_i" -lt "$ISO_CPUS" ]; do
		isc_i=$((isc_i + 1))
		isc_cmd="$isc_cmd'$TOP/bench/isohog' spin $1 $2 > spin$isc_i & "
	done
	echo "${isc_cmd}wait"
}

iso_spin_ms () {
	cat "$(iso_sandbox "$1" "$2")"/spin* 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'
}

# iso_cpu MODE AGENT: two spinning tasks of cpus 1.5 and 0.5; the ratio of their cpu time.
iso_cpu () {
	ic_start=$(($(date +%s) + ISO_SPIN_LEAD_S))
	ic_end=$((ic_start + ISO_SPIN_S))
	iso_ctl run --name=big --resources="cpus:1.5;mem:32" --command="$(iso_spin_cmd "$ic_start" "$ic_end")" \
	    > "$TMP/iso-big.out" 2>&1 &
	ic_big=$!
	iso_ctl run --name=small --resources="cpus:0.5;mem:32" --command="$(iso_spin_cmd "$ic_start" "$ic_end")" \
	    > "$TMP/iso-small.out" 2>&1 &
	ic_small=$!
	PIDS="$PIDS $ic_big $ic_small"
	wait "$ic_big" "$ic_small"
	ic_b=$(iso_spin_ms "$2" "$(iso_task_of "$TMP/iso-big.out")")
	ic_s=$(iso_spin_ms "$2" "$(iso_task_of "$TMP/iso-small.out")")
	if ! grep -q TASK_FINISHED "$TMP/iso-big.out" || ! grep -q TASK_FINISHED "$TMP/iso-small.out" ||
	    [ "$ic_b" -le 0 ] || [ "$ic_s" -le 0 ]; then
		echo "bench: isolation $1: the spinners did not both run (${ic_b} ms, ${ic_s} ms)" >&2
		return 1
	fi
	echo "bench: isolation $1: cpus 1.5 got $ic_b ms, cpus 0.5 got $ic_s ms of cpu in ${ISO_SPIN_S} s" >&2
	echo "isolation_${1}_cpu_share_ratio $(awk -v b="$ic_b" -v s="$ic_s" 'BEGIN { printf "%.2f", b / s }') x"
}

# iso_ticks PID...: their cpu time together, in clock ticks (Linux), else nothing.
iso_ticks () {
	it_sum=0
	for it_p in "$@"; do
		it_t=$(cpu_ticks "$it_p")
		[ -n "$it_t" ] || return 0
		it_sum=$((it_sum + it_t))
	done
	echo "$it_sum"
}

# iso_overhead MODE AGENT AGENT_PID: ISO_TASKS sleeping tasks; agentd's and each supervisor's memory.
iso_overhead () {
	io_before=$(rss_kib "$3")
	# mesosctl itself in the background: a backgrounded function's shell ignores SIGINT.
	"$TOP/mesosctl" --master="127.0.0.1:$MASTER_PORT" run --name=idle --instances="$ISO_TASKS" --resources="cpus:0.01;mem:16" \
	    --command='echo $PPID > sup; exec sleep 600' > "$TMP/iso-idle.out" 2>&1 &
	io_run=$!
	PIDS="$PIDS $io_run"
	io_n=0
	while [ "$(cat "$TMP/$2"/slaves/*/frameworks/*/executors/idle-*/runs/latest/sup 2>/dev/null | wc -l)" -lt "$ISO_TASKS" ] &&
	    [ "$io_n" -lt 600 ]; do
		sleep 0.1
		io_n=$((io_n + 1))
	done
	sleep 1
	io_after=$(rss_kib "$3")
	io_rss=0
	io_count=0
	io_sups=$(cat "$TMP/$2"/slaves/*/frameworks/*/executors/idle-*/runs/latest/sup 2>/dev/null)
	for p in $io_sups; do
		io_r=$(rss_kib "$p")
		[ -n "$io_r" ] || continue
		io_rss=$((io_rss + io_r))
		io_count=$((io_count + 1))
	done
	# What watching an idle task costs: its supervisor's cpu over ISO_IDLE_S.
	io_t0=$(iso_ticks $io_sups)
	sleep "$ISO_IDLE_S"
	io_t1=$(iso_ticks $io_sups)
	kill -INT "$io_run" 2>/dev/null
	wait "$io_run" 2>/dev/null
	if [ "$io_count" -lt "$ISO_TASKS" ]; then
		echo "bench: isolation $1: only $io_count of $ISO_TASKS tasks ran" >&2
		return 1
	fi
	echo "isolation_${1}_agentd_rss_per_task $(awk -v a="$io_after" -v b="$io_before" -v n="$ISO_TASKS" \
	    'BEGIN { printf "%.1f", (a - b) / n }') KiB"
	echo "isolation_${1}_supervisor_rss $((io_rss / io_count)) KiB"
	if [ -n "$io_t0" ] && [ -n "$io_t1" ]; then
		echo "isolation_${1}_supervisor_cpu_idle $(awk -v a="$io_t0" -v b="$io_t1" -v n="$io_count" \
		    -v s="$ISO_IDLE_S" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (b - a) * 1000 / hz / s / n }') ms/s"
	fi
}

iso_modes=posix
if "$TOP/agentd" --help 2>/dev/null | grep -q "isolation on this machine: $ISO_CGROUPS"; then
	iso_modes="posix cgroups"
else
	echo "bench: isolation: cgroups are not usable here: posix only" >&2
fi
echo "bench: isolation: load $(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null)" >&2
for iso_mode in $iso_modes; do
	case $iso_mode in
	posix) iso_flag=posix/cpu,posix/mem ;;
	*) iso_flag=$ISO_CGROUPS ;;
	esac
	start_master
	iso_resources=$BENCH_AGENT_RESOURCES
	BENCH_AGENT_RESOURCES="cpus:$ISO_CPUS;mem:4096;disk:10000;ports:[31000-31100]"
	start_bench_agent "iso$iso_mode" --isolation="$iso_flag" --quiet
	BENCH_AGENT_RESOURCES=$iso_resources
	iso_memory "$iso_mode" "iso$iso_mode"
	iso_cpu "$iso_mode" "iso$iso_mode"
	iso_overhead "$iso_mode" "iso$iso_mode" "$AGENT_PID"
	stop_pids "$AGENT_PID"
	stop_master
done

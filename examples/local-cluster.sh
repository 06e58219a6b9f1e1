#!/bin/sh
#
# examples/local-cluster.sh: a master and two agents on this machine, in the
# foreground, for trying things out (`make run`), with Marathon (the master's
# plugin, on :8080) and mesos-lb beside it. Ctrl-C stops them all.
# State and logs live in ./.cluster/. MESOS_PORT changes the master's port.
#

cd "$(dirname "$0")/.." || exit 1

port=${MESOS_PORT:-5050}
default_port=5050
dir=.cluster
# Seconds each daemon gets to show it is up, and to stop on TERM.
start_timeout_s=10
stop_timeout_s=5

for prog in mesosd agentd mesosctl mesos-lb; do
	if [ ! -x "./$prog" ]; then
		echo "local-cluster.sh: ./$prog is not built; run make first" >&2
		exit 1
	fi
done

mkdir -p "$dir/master" "$dir/agent1" "$dir/agent2" || exit 1

pids=
names=

alive () {
	kill -0 "$1" 2>/dev/null
}

stop_all () {
	trap '' INT TERM
	for p in $pids; do
		kill -TERM "$p" 2>/dev/null
	done
	n=0
	while [ "$n" -lt "$stop_timeout_s" ]; do
		left=
		for p in $pids; do
			alive "$p" && left=1
		done
		[ -z "$left" ] && break
		sleep 1
		n=$((n + 1))
	done
	for p in $pids; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	echo "cluster stopped; state and logs are in $dir/"
}

# wait_log NAME PATTERN: until NAME's log has PATTERN, or give up.
wait_log () {
	n=0
	while ! grep -q -- "$2" "$dir/$1.log" 2>/dev/null; do
		if [ "$n" -ge "$start_timeout_s" ] || ! alive "$3"; then
			echo "local-cluster.sh: $1 did not come up; the end of $dir/$1.log:" >&2
			tail -n 20 "$dir/$1.log" >&2
			stop_all
			exit 1
		fi
		sleep 1
		n=$((n + 1))
	done
}

# launch NAME PROGRAM ARGS...: start one daemon with its log in .cluster/.
launch () {
	name=$1
	shift
	"$@" > "$dir/$name.log" 2>&1 &
	pid=$!
	pids="$pids $pid"
	names="$names $name:$pid"
}

trap 'stop_all; exit 0' INT TERM

master=127.0.0.1:$port
# Marathon (services, :8080) and the jobs plugin (batch and cron, :9000) are
# the plugins to try; hello (the example for plugin authors) needs a conf.
# The jobs plugin runs in role batch and keeps its jobs in .cluster/jobs.
mkdir -p "$dir/conf" "$dir/jobs" || exit 1
printf 'role=batch\nweight=1\nstate_dir=%s/jobs\nhttp_ip=127.0.0.1\n' "$dir" > "$dir/conf/jobs.conf"
# Everything listens on loopback only: nothing here asks for credentials.
# No state_dir: Marathon keeps its apps under the master's work dir ($dir/master/marathon).
printf 'http_ip=127.0.0.1\n' > "$dir/conf/marathon.conf"
launch master ./mesosd --ip=127.0.0.1 "--port=$port" "--work_dir=$dir/master" \
	--plugins_enabled=marathon,jobs "--plugin_conf=$dir/conf"
wait_log master "listening on 127.0.0.1:$port" "$pid"

# As root, agentd runs tasks as the framework's user and refuses root itself;
# this throwaway cluster lets root run them, as a new user trying it expects.
root_tasks=
[ "$(id -u)" = 0 ] && root_tasks=--allow_root_tasks
launch agent1 ./agentd $root_tasks "--master=$master" "--work_dir=$dir/agent1" \
	--attributes=rack:r1 "--resources=cpus:2;mem:1024;disk:2048;ports:[31000-31999]"
agent1_pid=$pid
# agent1 holds its tasks with cgroups where this machine lets it, agent2 the
# portable way everywhere: both isolation modes to try (rack r1, rack r2).
launch agent2 ./agentd $root_tasks "--master=$master" "--work_dir=$dir/agent2" \
	--isolation=posix/cpu,posix/mem --attributes=rack:r2 "--resources=cpus:2;mem:1024;disk:2048;ports:[32000-32999]"
wait_log agent1 "registered with master as" "$agent1_pid"
wait_log agent2 "registered with master as" "$pid"

# The load balancer: apps' service ports (10000 and up), virtual hosts on
# :$lb_http_port, its stats on :$lb_stats_port; none of them needs root.
lb_http_port=8000
lb_stats_port=9090
launch lb ./mesos-lb --marathon=http://127.0.0.1:8080 --ip=127.0.0.1 \
	"--http_port=$lb_http_port" "--stats_port=$lb_stats_port"
wait_log lb "following its events" "$pid"

ctl=./mesosctl
[ "$port" != "$default_port" ] && ctl="./mesosctl --master=$master"

cat <<EOF

A master and two agents are running, with Marathon, jobs and a load balancer:
  master    $master   (http://$master/master/state)
  web page  http://$master/   (open it in a browser)
  agent1    rack:r1   cpus:2 mem:1024 disk:2048 ports:[31000-31999]
  agent2    rack:r2   cpus:2 mem:1024 disk:2048 ports:[32000-32999]
  marathon  http://127.0.0.1:8080/v2/apps   (services)
  jobs      http://127.0.0.1:9000/v1/jobs   (batch and cron, Metronome's API)
  mesos-lb  service ports on 127.0.0.1, virtual hosts on :$lb_http_port,
            ./mesosctl lb (stats on :$lb_stats_port)
Logs are in $dir/*.log. In another terminal, try:
  $ctl agents
  $ctl run --name=hello --command='echo hi'
  $ctl tasks
  $ctl cat TASK stdout
  $ctl app add app.json; curl 127.0.0.1:SERVICE_PORT/   (the README's first app)
  curl -X POST -H 'Content-Type: application/json' 127.0.0.1:9000/v1/jobs \\
      -d '{"id":"hello","run":{"cmd":"echo hello","cpus":0.1,"mem":32,"disk":0}}'
  $ctl job run hello --wait
Press Ctrl-C to stop the cluster.
EOF

# Stay in the foreground; if a daemon dies on its own, say so and stop the rest.
while :; do
	for entry in $names; do
		if ! alive "${entry#*:}"; then
			echo "local-cluster.sh: ${entry%%:*} exited; the end of $dir/${entry%%:*}.log:" >&2
			tail -n 20 "$dir/${entry%%:*}.log" >&2
			stop_all
			exit 1
		fi
	done
	sleep 1
done

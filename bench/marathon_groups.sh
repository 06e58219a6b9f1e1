# bench/marathon_groups.sh: Marathon's groups at scale, sourced by
# bench/run.sh (section marathon_groups) and using its helpers
# (start_master, stop_master, wait_line, rss_kib, stop_pids, fail_section,
# PIDS, TMP, TOP, MASTER_PORT):
#   marathon_groups_post_<A>apps_<G>groups     the one POST /v2/groups of a
#                                              tree of G groups of A/G apps each
#   marathon_groups_<A>apps_running            from that POST until every app
#                                              runs its task
#   marathon_groups_rss_<A>apps                the plugin host's memory then
#   marathon_groups_get_tree_<A>apps           GET /v2/groups of the whole tree
# on MG_AGENTS agents of 127.0.0.1, the plugin keeping its state on disk
# (state_dir) as in use. No figure when what it measures did not happen.

MG_APPS=${MG_APPS:-1000}
MG_GROUPS=${MG_GROUPS:-100}
MG_AGENTS=${MG_AGENTS:-10}
MG_WAIT_S=${MG_WAIT_S:-180}

# mg_running: apps with a running task, as GET /v2/apps counts them.
mg_running () {
	curl -s "$MGAPI/v2/apps" | tr ',' '\n' | grep -c '^"tasksRunning":1$'
}

# mg_tree: the group tree's JSON: /bench/gN groups of MG_APPS/MG_GROUPS apps each.
mg_tree () {
	per=$((MG_APPS / MG_GROUPS))
	printf '{"id":"/bench","groups":['
	g=0
	while [ "$g" -lt "$MG_GROUPS" ]; do
		[ "$g" -gt 0 ] && printf ','
		printf '{"id":"g%d","apps":[' "$g"
		a=0
		while [ "$a" -lt "$per" ]; do
			[ "$a" -gt 0 ] && printf ','
			printf '{"id":"app%d","cmd":"sleep 600","cpus":0.01,"mem":32,"portDefinitions":[]}' "$a"
			a=$((a + 1))
		done
		printf ']}'
		g=$((g + 1))
	done
	printf ']}'
}

echo "bench: marathon_groups, $MG_APPS apps in $MG_GROUPS groups posted as one tree on $MG_AGENTS agents" >&2
rm -rf "$TMP/master" "$TMP/mgplugins" "$TMP/mgstate"
mkdir -p "$TMP/mgplugins"
cp plugins/marathon.so "$TMP/mgplugins/"
mkdir -p "$TMP/mgstate"
printf 'http_port=0\nhttp_ip=127.0.0.1\nstate_dir=%s\n' "$TMP/mgstate" > "$TMP/mgplugins/marathon.conf"
start_master --plugins="$TMP/mgplugins"
if wait_line "$TMP/master.log" 'plugin marathon: info: registered as framework' 10; then
	MGAPI=http://127.0.0.1:$(sed -n 's/.*REST API listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/master.log" | tail -n 1)
	i=0
	MG_PIDS=
	while [ "$i" -lt "$MG_AGENTS" ]; do
		mkdir -p "$TMP/mga$i"
		"$TOP/agentd" --master="127.0.0.1:$MASTER_PORT" --work_dir="$TMP/mga$i" --hostname="mga$i" \
		    --resources="cpus:1000;mem:1000000;disk:1000;ports:[31000-32000]" \
		    --log_level=warning > "$TMP/mga$i.log" 2>&1 &
		PIDS="$PIDS $!"
		MG_PIDS="$MG_PIDS $!"
		i=$((i + 1))
	done
	sleep 2
	mg_tree > "$TMP/mgtree.json"
	mg_start=$(date +%s%N)
	mg_status=$(curl -s -o "$TMP/mgpost" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	    --data-binary "@$TMP/mgtree.json" "$MGAPI/v2/groups")
	mg_posted=$(date +%s%N)
	if [ "$mg_status" != 201 ]; then
		fail_section marathon_groups "POST /v2/groups answered $mg_status: $(head -c 200 "$TMP/mgpost")"
	else
		echo "marathon_groups_post_${MG_APPS}apps_${MG_GROUPS}groups $(echo "$mg_start $mg_posted" | awk '{ printf "%.2f", ($2 - $1) / 1e9 }') s"
		polls=$((MG_WAIT_S * 10))
		while [ "$polls" -gt 0 ] && [ "$(mg_running)" -lt "$MG_APPS" ]; do
			sleep 0.1
			polls=$((polls - 1))
		done
		if [ "$polls" -gt 0 ]; then
			echo "marathon_groups_${MG_APPS}apps_running $(echo "$mg_start $(date +%s%N)" | awk '{ printf "%.2f", ($2 - $1) / 1e9 }') s"
			MGHOST=$("$TOP/mesosctl" --master="127.0.0.1:$MASTER_PORT" frameworks | awk '$6 == "marathon" { print $7 }' | head -n 1)
			[ -n "$MGHOST" ] && echo "marathon_groups_rss_${MG_APPS}apps $(rss_kib "$MGHOST") KiB"
			t=$(curl -s -o /dev/null -w '%{time_total}' "$MGAPI/v2/groups")
			echo "marathon_groups_get_tree_${MG_APPS}apps $(echo "$t" | awk '{ printf "%.1f", $1 * 1000 }') ms"
		else
			fail_section marathon_groups "$(mg_running) of $MG_APPS apps running after $MG_WAIT_S s"
		fi
	fi
	# shellcheck disable=SC2086
	stop_pids $MG_PIDS
else
	fail_section marathon_groups "the plugin did not register"
fi
stop_master

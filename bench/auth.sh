# bench/auth.sh: make bench's auth section, sourced by bench/run.sh (its
# start_master, stop_master, wait_line, rss_kib, fail_section, TMP, PIDS).
# Handshakes a second with and without authentication, and the master's
# memory holding AUTH_AGENTS agents authenticated against as many plain.

AUTH_HANDSHAKES=${AUTH_HANDSHAKES:-5000}
AUTH_AGENTS=${AUTH_AGENTS:-1000}
# Seconds the simulated agents stay connected: long enough to weigh the master.
AUTH_HOLD_S=${AUTH_HOLD_S:-8}

printf 'bench bench-secret\n' > "$TMP/auth.creds"

# auth_rss NAME [PRINCIPAL SECRET]: the master's RSS with AUTH_AGENTS agents registered.
auth_rss () {
	ar_name=$1
	shift
	"$TOP/bench/loadagents" "127.0.0.1:$MASTER_PORT" "$AUTH_AGENTS" "$AUTH_HOLD_S" "$@" \
	    > "$TMP/auth_load.out" 2> "$TMP/auth_load.err" &
	ar_pid=$!
	if wait_line "$TMP/auth_load.err" 'all .* agents registered' 30; then
		echo "$ar_name $(rss_kib "$MASTER_PID") KiB"
	else
		cat "$TMP/auth_load.err" >&2
		fail_section auth "not every simulated agent registered ($ar_name)"
	fi
	wait "$ar_pid"
}

echo "bench: $AUTH_HANDSHAKES handshakes, $AUTH_AGENTS agents, without and with authentication" >&2
start_master
"$TOP/bench/auth_bench" "127.0.0.1:$MASTER_PORT" "$AUTH_HANDSHAKES" handshakes_plain ||
    fail_section auth "plain handshakes failed"
auth_rss "mesosd_rss_${AUTH_AGENTS}_agents_plain"
stop_master
start_master "--credentials=$TMP/auth.creds" --authenticate_agents
"$TOP/bench/auth_bench" "127.0.0.1:$MASTER_PORT" "$AUTH_HANDSHAKES" handshakes_authenticated \
    bench bench-secret || fail_section auth "authenticated handshakes failed"
auth_rss "mesosd_rss_${AUTH_AGENTS}_agents_authenticated" bench bench-secret
stop_master

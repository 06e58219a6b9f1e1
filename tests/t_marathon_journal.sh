# tests/t_marathon_journal.sh: Marathon keeps its state by default (no
# state_dir in its conf: WORK_DIR/marathon) in a journal (pc_journal.c).
# A kill -9 of its plugin host in the middle of a burst of POSTs loses no
# app it answered 201 for; a torn record at the journal's end is ignored;
# the old whole-file state (marathon.json) is taken over on first start.
# A group's versions (issue 19) survive the kill too, and a PUT of one
# rolls the group back. Group commit (issue 18): POSTs arriving together
# share fsyncs (fewer commits than POSTs), and a POST to an app writes a
# bounded number of records however many apps there are.
. "$(dirname "$0")/lib.sh"

# Seconds a plugin may take to start or come back.
T=15
APPS=150

. "$(dirname "$0")/lib_marathon.sh"
plan 22
marathon_plugin_dir
SDIR=$TMP/master/marathon
mkdir -p "$SDIR"
# Today's format, as a plugin before the journal left it.
printf '{"apps":[{"id":"/old","cmd":"sleep 100","instances":0}],"tasks":[]}\n' > "$SDIR/marathon.json"
# shellcheck disable=SC2086
start_master $PLUGIN_FLAGS || exit 1
check "the REST API listens" wait_for $T log_has 'REST API listening on 127.0.0.1:' || exit 1
api_url
check "the old state file is taken over" sh -c "curl -s '$API/v2/apps/old' | grep -q '\"id\":\"/old\"' &&
    test ! -e '$SDIR/marathon.json' && test -e '$SDIR/marathon.journal.1'"
check "an empty group is created" sh -c "test \"\$(curl -s -o /dev/null -w '%{http_code}' -X POST \
    -H 'Content-Type: application/json' --data '{\"id\":\"/empty\"}' '$API/v2/groups')\" = 201"
V1=$(curl -s "$API/v2/groups/empty/versions" | sed -n 's/^\["\([^"]*\)"\]$/\1/p')
check "its first version is listed" test -n "$V1"
check "the group changed is 200" test "$(req PUT /v2/groups/empty \
    '{"apps":[{"id":"g1","cmd":"sleep 100","instances":0}]}')" = 200

# counter NAME: a counter of GET /metrics.
counter () {
	curl -s "$API/metrics" | sed -n "s/.*\"marathon\.store\.$1\.counter\":{\"count\":\([0-9]*\)}.*/\1/p"
}
PAR=16
i=0
while [ "$i" -lt "$PAR" ]; do
	[ "$i" -gt 0 ] && printf 'next\n'
	printf 'url = "%s/v2/apps"\nrequest = "POST"\nheader = "Content-Type: application/json"\n' "$API"
	printf 'data = "{\\"id\\":\\"par%d\\",\\"cmd\\":\\"sleep 100\\",\\"instances\\":0}"\n' "$i"
	printf 'output = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n'
	i=$((i + 1))
done > "$TMP/par"
C0=$(counter commits)
curl -s --parallel --parallel-max "$PAR" -K "$TMP/par" > "$TMP/par_codes" 2>/dev/null
C1=$(counter commits)
check "$PAR POSTs at once all answered 201" test "$(grep -c '^201$' "$TMP/par_codes")" -eq "$PAR"
check "and shared fsyncs ($C0 -> $C1 commits)" test "$((C1 - C0))" -lt "$PAR"
R0=$(counter records)
req POST /v2/apps '{"id":"one-more","cmd":"sleep 100","instances":0}' > /dev/null
R1=$(counter records)
# Its definition, its versions, its deployment begun and ended: not one record per app.
check "one POST among $((PAR + 2)) apps writes at most 4 records ($((R1 - R0)))" test "$((R1 - R0))" -le 4

# The burst: each 201 noted; the host killed -9 midway.
(
	i=0
	while [ "$i" -lt "$APPS" ]; do
		code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		    --data "{\"id\":\"a$i\",\"cmd\":\"sleep 100\",\"instances\":0}" "$API/v2/apps")
		[ "$code" = 201 ] && echo "a$i" >> "$TMP/acked"
		i=$((i + 1))
	done
) &
BURST=$!
lib_track_pid "$BURST"
some_acked () {
	test "$(wc -l < "$TMP/acked")" -ge $((APPS / 3))
}
check "a third of the burst is acknowledged" wait_for $T some_acked
HPID=$(ctl frameworks | awk '$6 == "marathon" { print $7 }' | head -n 1)
kill -KILL "$HPID" 2>/dev/null
wait "$BURST" 2>/dev/null
check "the plugin comes back" wait_for $T log_has 'plugin marathon: info: registered again as framework'
api_url
check "its REST API is back" wait_for $T sh -c "curl -s '$API/ping' | grep -q pong"
all_there () {
	while read -r id; do
		curl -s -o /dev/null -w '%{http_code}\n' "$API/v2/apps/$id" | grep -q 200 || return 1
	done < "$TMP/acked"
}
check "every acknowledged app is there" all_there
check "the empty group survived" test "$(req GET /v2/groups/empty)" = 200
check "as it was" body_has '"id":"/empty"'
check "its two versions, newest first" sh -c "curl -s '$API/v2/groups/empty/versions' |
    grep -q '^\[\"[^\"]*\",\"$V1\"\]$'"
check "the first version, without the app" sh -c "curl -s '$API/v2/groups/empty/versions/$V1' |
    grep -q '^{\"id\":\"/empty\",\"apps\":\[\],'"
check "the root's versions too" sh -c "curl -s '$API/v2/groups/versions' | grep -q '\"$V1\"'"
check "a rollback to it is 200" test "$(req PUT /v2/groups/empty "{\"version\":\"$V1\"}")" = 200
check "the app it did not have is gone" test "$(req GET /v2/apps/empty/g1)" = 404

# A torn record at the end (a write cut short) is ignored, the rest kept.
stop_pid "$MASTER_PID"
J=$(ls "$SDIR"/marathon.journal.* | sort -t. -k3 -n | tail -n 1)
printf 'P app%%20/torn {"id":"/torn"' >> "$J"
# shellcheck disable=SC2086
start_master $PLUGIN_FLAGS || exit 1
check "the plugin starts again" wait_for $T log_has 'REST API listening on 127.0.0.1:'
api_url
check "every app is still there" all_there
check "the torn one is not" test "$(req GET /v2/apps/torn)" = 404

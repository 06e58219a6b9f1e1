# tests/t_marathon_clients.sh: Marathon's client libraries against the
# plugin (issue 19): Debian's python3-marathon runs a scripted session of
# every call it offers that this Marathon supports (tests/marathon_client.py:
# apps, tasks, versions, deployments, queue, groups, info, metrics, events)
# without an error, and npm's marathon-node the same (tests/marathon_client.js),
# installed beforehand into build/marathon-node (or $MARATHON_NODE_DIR; .ci/run
# installs it). Each is skipped where it is missing (python3-marathon or
# marathon-node not installed).
. "$(dirname "$0")/lib.sh"
# Checks: the cluster's 2, python3-marathon's 40 calls and its session, marathon-node's 33 and its session.
PY_CHECKS=41
NODE_CHECKS=34
plan $((2 + PY_CHECKS + NODE_CHECKS))

T=15

# Debian's package is for Debian's interpreter: a python3 earlier on PATH may not see it.
PY=
for p in python3 /usr/bin/python3; do
	if command -v "$p" > /dev/null 2>&1 && "$p" -c 'import marathon' > /dev/null 2>&1; then
		PY=$p
		break
	fi
done
# Installed beforehand (.ci/run does it): a test reaches nothing but loopback.
NODE_DIR=${MARATHON_NODE_DIR:-$TOP/build/marathon-node}
NODE=
if command -v node > /dev/null 2>&1 && [ -d "$NODE_DIR/node_modules/marathon-node" ]; then
	NODE=node
fi
if [ -z "$PY" ] && [ -z "$NODE" ]; then
	skip_rest "python3-marathon is not installed (apt-get install python3-marathon), and marathon-node is not in $NODE_DIR (npm install --prefix $NODE_DIR marathon-node)"
	exit 0
fi
. "$(dirname "$0")/lib_marathon.sh"
marathon_cluster
if [ -n "$PY" ]; then
	"$PY" "$TOP/tests/marathon_client.py" "$API" > "$TMP/py.out" 2> "$TMP/py.err"
	RC=$?
	cat "$TMP/py.out"
	check "python3-marathon's session ends without an error" sh -c "test $RC -eq 0 || { cat '$TMP/py.err' >&2; exit 1; }"
else
	skip -n "$PY_CHECKS" "python3-marathon is not installed (apt-get install python3-marathon)"
fi
if [ -n "$NODE" ]; then
	NODE_PATH="$NODE_DIR/node_modules" node "$TOP/tests/marathon_client.js" "$API" > "$TMP/js.out" 2> "$TMP/js.err"
	RC=$?
	cat "$TMP/js.out"
	check "marathon-node's session ends without an error" sh -c "test $RC -eq 0 || { cat '$TMP/js.err' >&2; exit 1; }"
else
	skip -n "$NODE_CHECKS" "marathon-node is not in $NODE_DIR (npm install --prefix $NODE_DIR marathon-node)"
fi

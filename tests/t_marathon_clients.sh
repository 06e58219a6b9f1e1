# tests/t_marathon_clients.sh: Marathon's client libraries against the
# plugin (issue 19): Debian's python3-marathon runs a scripted session of
# every call it offers that this Marathon supports (tests/marathon_client.py:
# apps, tasks, versions, deployments, queue, groups, info, metrics, events)
# without an error. Skipped where python3-marathon is not installed.
. "$(dirname "$0")/lib.sh"

T=15

# Debian's package is for Debian's interpreter: a python3 earlier on PATH may not see it.
PY=
for p in python3 /usr/bin/python3; do
	if command -v "$p" > /dev/null 2>&1 && "$p" -c 'import marathon' > /dev/null 2>&1; then
		PY=$p
		break
	fi
done
if [ -z "$PY" ]; then
	skip "python3-marathon is not installed (apt-get install python3-marathon)"
	exit 0
fi
. "$(dirname "$0")/lib_marathon.sh"
marathon_plugin_dir
# shellcheck disable=SC2086
start_master $PLUGIN_FLAGS || exit 1
start_agent a1 --resources="cpus:4;mem:2048;disk:1000;ports:[31000-31100]" > /dev/null || exit 1
check "the REST API listens" wait_for $T log_has 'REST API listening on 127.0.0.1:' || exit 1
api_url
check "registers" wait_for $T log_has 'plugin marathon: info: registered as framework'
"$PY" "$TOP/tests/marathon_client.py" "$API" > "$TMP/py.out" 2> "$TMP/py.err"
RC=$?
cat "$TMP/py.out"
check "python3-marathon's session ends without an error" sh -c "test $RC -eq 0 || { cat '$TMP/py.err' >&2; exit 1; }"

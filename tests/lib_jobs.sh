# tests/lib_jobs.sh: what the jobs plugin's tests (t_jobs*.sh) share. Source
# it after lib.sh; it brings lib_marathon.sh's plugin helpers (plugin_dir,
# PLUGIN_FLAGS, log_has, api_url, req, body_has), and skips without curl.
#
# Provides: jobs_plugin_dir, job_has, jobs_host_pid, kill_jobs_host.

# shellcheck disable=SC1091  # checked on its own in .ci/run
. "$(dirname "$0")/lib_marathon.sh"

# jobs_plugin_dir [CONF_LINE...]: $TMP/plugins with jobs.so, its state in
# $TMP/jstate, and CONF_LINEs added to jobs.conf.
jobs_plugin_dir () {
	plugin_dir jobs "$TMP/jstate"
	for jobs_line in "$@"; do
		echo "$jobs_line" >> "$TMP/plugins/jobs.conf"
	done
}

# job_has ID PATTERN [QUERY]: GET /v1/jobs/ID[?QUERY] matches PATTERN.
job_has () {
	curl -s "$API/v1/jobs/$1${3:+?$3}" | grep -q -- "$2"
}

# jobs_host_pid: the pid of the jobs plugin's host process.
jobs_host_pid () {
	"$TOP/mesosctl" "--master=$MASTER" frameworks | awk '$6 == "jobs" { print $7 }' | head -n 1
}

# kill_jobs_host: kill -9 the plugin's host; true once the master has
# started it again and it has registered again (its REST API has a new port:
# API is set again).
kill_jobs_host () {
	jobs_again=$(grep -c 'plugin jobs: info: registered again as framework' "$TMP/master.log")
	jobs_pid=$(jobs_host_pid)
	[ -n "$jobs_pid" ] || return 1
	kill -KILL "$jobs_pid" 2>/dev/null
	wait_for "$T" sh -c "test \$(grep -c 'plugin jobs: info: registered again as framework' \
	    '$TMP/master.log') -gt $jobs_again" || return 1
	api_url
}

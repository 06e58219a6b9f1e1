# examples/sh-framework/framework.awk: a complete framework in POSIX awk.
# It speaks the wire protocol (docs/PROTOCOL.md) on stdin/stdout, so any
# TCP tool connects it to a master (run.sh does). It runs `instances`
# copies of `command` once, like `mesosctl run`, acknowledges every update,
# and ends when they all have: exit 0 if every copy finished.
#
# It survives its own restart: the framework ID and the IDs of the tasks it
# launched are kept in `state` (a file) before they are used, so run again
# it re-registers with the same ID, asks the master about exactly those
# tasks (explicit reconciliation) and launches nothing twice.
#
# Variables (-v name=value): name, command, instances (1), cpus (0.1),
# mem (32), failover (seconds the master keeps our tasks while we are
# away: 0 = none), state (the state file), user.
#
# Authentication (docs/PROTOCOL.md): with `principal` and `nonce` (64 hex
# digits, fresh for each connection: run.sh makes them) it answers the
# master's CHALLENGE and checks the master's proof. awk cannot compute
# HMAC-SHA-256, so `prover` (run.sh: `mesosctl auth-proof`, keyed with
# $MESOS_SECRET, which never becomes an argument) computes each proof: a
# short child per handshake whose only output is the proof, read with
# getline, and whose stdin is /dev/null, so it can neither take the
# protocol's input nor wait on it.

function esc(s) {
	gsub(/%/, "%25", s); gsub(/ /, "%20", s); gsub(/=/, "%3D", s)
	gsub(/\t/, "%09", s); gsub(/\n/, "%0A", s); gsub(/\r/, "%0D", s)
	return s
}

function unesc(s,    out, h) {
	out = ""
	while (match(s, /%[0-9A-Fa-f][0-9A-Fa-f]/)) {
		h = toupper(substr(s, RSTART + 1, 2))
		out = out substr(s, 1, RSTART - 1) \
		    sprintf("%c", 16 * (index(HEX, substr(h, 1, 1)) - 1) + index(HEX, substr(h, 2, 1)) - 1)
		s = substr(s, RSTART + 3)
	}
	return out s
}

function send(line) {
	print line
	fflush()
}

function say(text) {
	printf "%s\n", text > "/dev/stderr"
	fflush("/dev/stderr")
}

# Rewrite the state file: our framework ID, then one line per launched task.
function save(    id) {
	printf "" > state
	if (fwid != "")
		print "framework " fwid > state
	for (id in tstate)
		print "task " id > state
	close(state)
}

function scalar(res, key,    n, parts, i) {
	n = split(res, parts, ";")
	for (i = 1; i <= n; i++)
		if (index(parts[i], key ":") == 1)
			return substr(parts[i], length(key) + 2) + 0
	return 0
}

# prove(side): the handshake's proof for side peer or master, "" if none.
function prove(side,    cmd, out) {
	cmd = prover " " side " framework " principal " " nonce " " mnonce " < /dev/null"
	out = ""
	if ((cmd | getline out) <= 0)
		out = ""
	close(cmd)
	return out ~ /^[0-9a-f]+$/ ? out : ""
}

function terminal(st) {
	return st ~ /^TASK_(FINISHED|FAILED|KILLED|LOST|ERROR|DROPPED|GONE)/
}

# Every copy launched and ended: leave, and say how it went.
function maybe_done(    id, bad) {
	if (launched < instances || pending > 0)
		return
	for (id in tstate)
		if (!terminal(tstate[id]))
			return
	bad = 0
	for (id in tstate)
		if (tstate[id] != "TASK_FINISHED")
			bad++
	send("TEARDOWN")
	printf "" > state     # the framework is gone: a new run starts afresh
	close(state)
	say(name ": all " instances " copies ended, " bad " not finished")
	exit (bad > 0)
}

BEGIN {
	HEX = "0123456789ABCDEF"
	if (name == "") name = "sh-framework"
	if (instances == "") instances = 1
	if (cpus == "") cpus = 0.1
	if (mem == "") mem = 32
	if (failover == "") failover = 0
	if (state == "") state = name ".state"
	if (user == "") user = ENVIRON["USER"] != "" ? ENVIRON["USER"] : "nobody"
	if (command == "") { say(name ": -v command=... is required"); exit 2 }
	launched = 0; pending = 0
	while ((getline line < state) > 0) {
		split(line, w, " ")
		if (w[1] == "framework") fwid = w[2]
		if (w[1] == "task") { tstate[w[2]] = "?"; launched++; pending++ }
	}
	close(state)
	if (principal != "" && (nonce !~ /^[0-9a-f]+$/ || length(nonce) != 64 || prover == "")) {
		say(name ": a principal needs nonce= (64 hex digits) and prover= (run.sh sets them)")
		exit 2
	}
	# A principal is checked against [A-Za-z0-9._-] so that it cannot reach the prover's shell.
	if (principal != "" && principal !~ /^[A-Za-z0-9._-]+$/) {
		say(name ": principal= may hold only letters, digits, '.', '_' and '-'")
		exit 2
	}
	send("HELLO version=1 kind=framework" (principal != "" ? " principal=" principal " nonce=" nonce : ""))
}

{
	n = split($0, f, " ")
	verb = f[1]
	split("", v)
	for (i = 2; i <= n; i++) {
		k = substr(f[i], 1, index(f[i], "=") - 1)
		if (!(k in v)) v[k] = unesc(substr(f[i], index(f[i], "=") + 1))
	}
}

verb == "CHALLENGE" {
	mnonce = v["nonce"]
	if (principal == "" || challenged || mnonce !~ /^[0-9a-f]+$/ || length(mnonce) != 64) {
		say(name ": an unexpected CHALLENGE from the master")
		exit 1
	}
	challenged = 1
	proof = prove("peer")
	if (proof == "") { say(name ": the prover gave no proof (is MESOS_SECRET set?)"); exit 1 }
	send("AUTHENTICATE proof=" proof)
	next
}

# A master that WELCOMEs a principal without a CHALLENGE, or with a wrong
# proof, does not know our secret: leave before saying anything more.
verb == "WELCOME" && principal != "" && !welcomed {
	if (!challenged || v["proof"] == "" || v["proof"] != prove("master")) {
		say(name ": the master did not prove it knows our secret")
		exit 1
	}
}

verb == "WELCOME" {
	welcomed = 1
	line = "SUBSCRIBE name=" esc(name) " user=" esc(user) " role=* failover_timeout=" failover
	if (principal != "") line = line " principal=" principal
	if (fwid != "") line = line " framework_id=" esc(fwid)
	send(line)
}

verb == "SUBSCRIBED" {
	again = fwid == v["framework_id"]
	fwid = v["framework_id"]
	save()
	say(name ": " (again ? "registered again" : "registered") " as framework " fwid)
	if (pending > 0) {
		line = "RECONCILE"
		for (id in tstate) line = line " task_id=" esc(id)
		send(line)
	}
}

verb == "OFFER" {
	want = instances - launched
	if (pending > 0 || want <= 0) {
		send("DECLINE offer_id=" esc(v["offer_id"]) " refuse_seconds=60")
		if (want <= 0) send("SUPPRESS")
		next
	}
	c = scalar(v["resources"], "cpus"); m = scalar(v["resources"], "mem")
	line = "ACCEPT offer_id=" esc(v["offer_id"])
	k = 0
	while (k < want && c >= cpus && m >= mem) {
		id = name "-" launched
		tstate[id] = "TASK_STAGING"
		launched++; k++; c -= cpus; m -= mem
		line = line " task_id=" esc(id) " name=" esc(id) " command=" esc(command) \
		    " resources=" esc("cpus:" cpus ";mem:" mem)
	}
	if (k == 0) { send("DECLINE offer_id=" esc(v["offer_id"]) " refuse_seconds=5"); next }
	save()    # before the tasks exist: a restart then knows to ask about them
	send(line)
}

verb == "STATUS_UPDATE" {
	id = v["task_id"]
	if (!(id in tstate)) next
	if (tstate[id] == "?" && v["reason"] == "REASON_RECONCILIATION") pending--
	if (tstate[id] != v["state"])
		say(id " " v["state"] (v["message"] != "" ? ": " v["message"] : ""))
	tstate[id] = v["state"]
	if (v["uuid"] != "")
		send("ACKNOWLEDGE task_id=" esc(id) " agent_id=" esc(v["agent_id"]) " uuid=" esc(v["uuid"]))
	maybe_done()
}

verb == "PING" { send("PONG" (v["seq"] != "" ? " seq=" esc(v["seq"]) : "")) }

verb == "ERROR" { say(name ": the master says: " v["reason"]); exit 1 }

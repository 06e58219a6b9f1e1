# tests/t_service.sh: the service files (dist/): every one installed by
# `make install-service` parses (sh -n); the init.d script starts mesosd
# under a fake init (its pid file, its defaults file) and stops it; a
# daemon logs to syslog with --log=syslog and survives SIGHUP; systemd's
# unit runs where systemd does (skipped here otherwise).
. "$(dirname "$0")/lib.sh"
plan 16

DEST=$TMP/dest
if ! sh "$TOP/dist/install.sh" install "$DEST" /usr all > "$TMP/install.out" 2>&1; then
	cat "$TMP/install.out" >&2
fi
check "install-service puts a systemd unit for each daemon" \
    test -f "$DEST/usr/lib/systemd/system/mesosd.service" -a -f "$DEST/usr/lib/systemd/system/agentd.service" \
    -a -f "$DEST/usr/lib/systemd/system/mesos-lb.service"
check "and a defaults file of MESOS_* flags" grep -q '^MESOS_WORK_DIR=' "$DEST/etc/mesos/mesosd"
check "agentd's unit stops agentd alone (the tasks' supervisors outlive a restart)" \
    grep -q '^KillMode=process$' "$DEST/usr/lib/systemd/system/agentd.service"
check "the init.d scripts parse" sh -c "for f in '$DEST'/etc/init.d/*; do sh -n \"\$f\" || exit 1; done"
check "FreeBSD's rc.d scripts parse" sh -c "for f in '$DEST'/usr/etc/rc.d/*; do sh -n \"\$f\" || exit 1; done"
check "OpenBSD's rc.d scripts parse" sh -c "for f in '$DEST'/etc/rc.d/*; do sh -n \"\$f\" || exit 1; done"
sh "$TOP/dist/install.sh" install "$DEST/openrc" /usr openrc > /dev/null 2>&1
check "the OpenRC scripts parse" sh -c "for f in '$DEST'/openrc/etc/init.d/*; do sh -n \"\$f\" || exit 1; done"

# ---- a fake init: the init.d script with its paths moved under $TMP ----
mkdir -p "$TMP/conf" "$TMP/run"
printf 'MESOS_IP=127.0.0.1\nMESOS_PORT=0\nMESOS_WORK_DIR=%s\nMESOS_PLUGINS=%s\n' \
    "$TMP/master" "$TMP/no-plugins" > "$TMP/conf/mesosd"
mkdir -p "$TMP/no-plugins"
init () {
	INIT_DAEMON="$TOP/mesosd" INIT_CONFDIR="$TMP/conf" INIT_PIDDIR="$TMP/run" \
	    sh "$DEST/etc/init.d/mesosd" "$@"
}
# Where the test may make a private mount namespace (root, unshare) it puts
# a syslog socket of its own at /dev/log there, so the lines the daemon
# sends are read back; elsewhere mesosd starts as it is and that check is
# skipped. Its /dev holds only what the daemons open.
syslog_ns=
if [ "$(id -u)" = 0 ] && command -v unshare > /dev/null && command -v python3 > /dev/null &&
    unshare -m true 2> /dev/null; then
	mkdir -p "$TMP/dev"
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
out = open(sys.argv[2], "ab", 0)
while True:
    out.write(s.recv(65536) + b"\n")' "$TMP/dev/log" "$TMP/syslog.got" 2> "$TMP/syslogd.err" &
	lib_track_pid "$!"
	wait_for 10 test -S "$TMP/dev/log" && syslog_ns=yes
fi
if [ -n "$syslog_ns" ]; then
	unshare -m sh -c 'for n in null zero random urandom full; do
		: > "$1/$n" && mount --bind "/dev/$n" "$1/$n" || exit 1
	done
	mount --bind "$1" /dev || exit 1
	shift
	exec "$@"' sh "$TMP/dev" env INIT_DAEMON="$TOP/mesosd" INIT_CONFDIR="$TMP/conf" \
	    INIT_PIDDIR="$TMP/run" sh "$DEST/etc/init.d/mesosd" start > "$TMP/init.out" 2>&1
else
	init start > "$TMP/init.out" 2>&1
fi
pid=$(cat "$TMP/run/mesosd.pid" 2>/dev/null)
[ -n "$pid" ] && lib_track_pid "$pid"
check "init.d start runs mesosd with its defaults file" wait_for 10 sh -c "init_pid=\$(cat '$TMP/run/mesosd.pid') && kill -0 \$init_pid && test -d '$TMP/master'"
if [ -n "$syslog_ns" ]; then
	check "what it logs reaches syslog (the test's own /dev/log), tagged mesosd[pid], facility daemon" \
	    wait_for 10 grep -q "^<30>.*mesosd\\[$pid\\]: info: master .* listening on 127.0.0.1:" "$TMP/syslog.got"
else
	skip "no private mount namespace here (root, unshare and python3): syslog's socket not read back"
fi
check "init.d status says running" sh -c "INIT_DAEMON='$TOP/mesosd' INIT_CONFDIR='$TMP/conf' INIT_PIDDIR='$TMP/run' sh '$DEST/etc/init.d/mesosd' status | grep -q running"
init reload > /dev/null 2>&1
check "reload (SIGHUP) leaves it running" holds 1 kill -0 "$pid"
init stop > "$TMP/stop.out" 2>&1
check "init.d stop ends it and removes the pid file" sh -c "! kill -0 $pid 2>/dev/null && test ! -f '$TMP/run/mesosd.pid'"

# ---- --log ----
"$TOP/mesosd" --ip=127.0.0.1 --port=0 --work_dir="$TMP/m2" --plugins="$TMP/no-plugins" --log=bogus \
    > "$TMP/bogus.out" 2>&1
check "--log=bogus is refused, saying what is expected" grep -q "bad value 'bogus' for --log: expected stderr or syslog" "$TMP/bogus.out"
start_master || exit 1
"$TOP/agentd" --master="$MASTER" --work_dir="$TMP/a2" --hostname=syslogged --log=syslog \
    > "$TMP/syslog.out" 2>&1 &
apid=$!
lib_track_pid "$apid"
# Registered, so its loop (and SIGHUP's handler) runs; nothing of it reaches stderr.
wait_for 30 state_has '"hostname":"syslogged"'
kill -HUP "$apid" 2>/dev/null
check "with --log=syslog, agentd writes nothing to stderr and survives SIGHUP" \
    sh -c "kill -0 $apid && ! grep -q 'info:' '$TMP/syslog.out'"
stop_pid "$apid"

# ---- systemd, where it runs ----
if [ -d /run/systemd/system ] && command -v systemctl > /dev/null && [ "$(id -u)" = 0 ]; then
	unit=/run/systemd/system/mesosd-test-$$.service
	sed -e "s|^ExecStart=.*|ExecStart=$TOP/mesosd --log=syslog --ip=127.0.0.1 --port=0 --work_dir=$TMP/sd --plugins=$TMP/no-plugins|" \
	    -e "s|^EnvironmentFile=.*||" "$DEST/usr/lib/systemd/system/mesosd.service" > "$unit"
	systemctl daemon-reload
	systemctl start "mesosd-test-$$"
	check "systemd starts the unit" wait_for 10 systemctl is-active --quiet "mesosd-test-$$"
	check "its log reaches the journal through syslog" wait_for 10 sh -c \
	    "journalctl -t mesosd --since=-1min | grep -q 'listening on 127.0.0.1'"
	systemctl stop "mesosd-test-$$"
	rm -f "$unit"
	systemctl daemon-reload
else
	skip -n 2 "systemd is not running here (no /run/systemd/system): the unit was not started"
fi

#!/bin/sh
#
# dist/install.sh: installs (or removes) the service files of mesosd,
# agentd and mesos-lb, made from the templates here, and each one's
# defaults file (MESOS_* flags). `make install` and `make uninstall` run it.
#
#   sh dist/install.sh install|uninstall DESTDIR PREFIX [SERVICE]
#
# SERVICE: systemd, initd (System V / BusyBox), openrc, freebsd, openbsd,
# or all (all but openrc, which takes initd's place); by default what this system uses: on Linux a systemd unit and an
# init.d script (OpenRC's where /sbin/openrc-run exists), on FreeBSD and
# OpenBSD their rc.d script.
#
set -eu

here=$(cd "$(dirname "$0")" && pwd)
action=$1
dest=$2
prefix=$3
service=${4:-}

if [ -z "$service" ]; then
	case "$(uname -s)" in
	Linux) if [ -x /sbin/openrc-run ]; then service="systemd openrc"; else service="systemd initd"; fi ;;
	FreeBSD) service=freebsd ;;
	OpenBSD) service=openbsd ;;
	*) service=initd ;;
	esac
fi
[ "$service" = all ] && service="systemd initd freebsd openbsd"

# The configuration directory: /etc beside /usr, else PREFIX/etc (the BSDs' /usr/local/etc).
case "$prefix" in
/usr) confdir=/etc/mesos ;;
*) confdir=$prefix/etc/mesos ;;
esac

# target FLAVOUR NAME VAR: where FLAVOUR's file for NAME goes.
target () {
	case "$1" in
	systemd) echo "$prefix/lib/systemd/system/$2.service" ;;
	initd) echo "/etc/init.d/$2" ;;
	openrc) echo "/etc/init.d/$2" ;;
	freebsd) echo "$prefix/etc/rc.d/$3" ;;
	openbsd) echo "/etc/rc.d/$3" ;;
	*) echo "install.sh: unknown service kind '$1'" >&2; exit 2 ;;
	esac
}

for name in mesosd agentd mesos-lb; do
	var=$(echo "$name" | tr - _)
	case "$name" in
	mesosd) what="the mesos-lite master" killmode=control-group ;;
	# The tasks' supervisors outlive an agentd restart: only agentd is signalled.
	agentd) what="the mesos-lite agent" killmode=process ;;
	mesos-lb) what="the mesos-lite load balancer" killmode=control-group ;;
	esac
	for kind in $service; do
		file=$dest$(target "$kind" "$name" "$var")
		if [ "$action" = uninstall ]; then
			rm -f "$file"
			continue
		fi
		mkdir -p "$(dirname "$file")"
		sed -e "s|@NAME@|$name|g" -e "s|@VAR@|$var|g" -e "s|@WHAT@|$what|g" \
		    -e "s|@SBINDIR@|$prefix/sbin|g" -e "s|@CONFDIR@|$confdir|g" \
		    -e "s|@KILLMODE@|$killmode|g" "$here/mesos.$kind.in" > "$file"
		case "$kind" in
		systemd) chmod 644 "$file" ;;
		*) chmod 755 "$file" ;;
		esac
	done
	conf=$dest$confdir/$name
	if [ "$action" = uninstall ]; then
		continue
	fi
	# A defaults file someone edited is kept.
	if [ ! -f "$conf" ]; then
		mkdir -p "$(dirname "$conf")"
		cp "$here/$name.conf" "$conf"
		chmod 644 "$conf"
	fi
done

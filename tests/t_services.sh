# tests/t_services.sh: real services run as Marathon apps at ordinary sizes,
# each with a health check, in every isolation mode this machine offers
# (posix/cpu,posix/mem always; cgroups/cpu,cgroups/mem,cgroups/pids where
# agentd may make cgroups): python3 -m http.server (mem 32), a Node.js HTTP
# server (mem 64), redis-server (mem 32), memcached -m 16 (mem 32), nginx in
# the foreground (mem 32), a 20-thread Python server (mem 64) and java -Xmx64m
# running a small class (mem 256). Each reaches healthy and answers a
# request. A service whose program is missing is skipped. One agent per
# mode (attribute isolation:MODE), every app posted at once, polled with one
# deadline: the slowest (the JVM compiling its class) sets the pace.
. "$(dirname "$0")/lib.sh"

# Seconds for every service of every mode to be healthy, on a loaded 2-cpu machine.
T=90
# Ports: a range no other test's agent offers, below the kernel's ephemeral ones.
PORTS_POSIX="[23300-23339]"
PORTS_CGROUPS="[23340-23379]"
CGROUPS=cgroups/cpu,cgroups/mem,cgroups/pids

. "$(dirname "$0")/lib_marathon.sh"

has () {
	command -v "$1" > /dev/null 2>&1
}

# What each service needs, and what it runs. The scripts run in the sandbox, with PORT0 set.
SVC=$TMP/svc
mkdir -p "$SVC"
cat > "$SVC/pyhttp.sh" <<'EOF'
exec python3 -m http.server --bind 127.0.0.1 "$PORT0"
EOF
cat > "$SVC/node.sh" <<'EOF'
exec node -e 'require("http").createServer((q, r) => r.end("hello from node\n")).listen(+process.env.PORT0, "127.0.0.1")'
EOF
cat > "$SVC/redis.sh" <<'EOF'
exec redis-server --port "$PORT0" --bind 127.0.0.1 --save '' --appendonly no --dir .
EOF
cat > "$SVC/memcached.sh" <<'EOF'
[ "$(id -u)" -eq 0 ] && set -- -u root
exec memcached -m 16 -p "$PORT0" -U 0 -l 127.0.0.1 "$@"
EOF
cat > "$SVC/nginx.sh" <<'EOF'
printf '%s\n' 'worker_processes 1;' 'pid nginx.pid;' 'error_log stderr;' \
    'events { worker_connections 64; }' \
    "http { access_log off; server { listen 127.0.0.1:$PORT0; location / { return 200 \"hello from nginx\\n\"; } } }" \
    > nginx.conf
exec nginx -p "$PWD/" -e stderr -c "$PWD/nginx.conf" -g 'daemon off;'
EOF
cat > "$SVC/threads.py" <<'EOF'
import http.server, os, threading
stop = threading.Event()
for i in range(20):
    threading.Thread(target=stop.wait, daemon=True).start()
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"%d threads\n" % threading.active_count()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT0"])), Handler).serve_forever()
EOF
cat > "$SVC/Serve.java" <<'EOF'
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;

public class Serve {
	public static void main(String[] args) throws Exception {
		HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[0])), 0);
		s.createContext("/", x -> {
			byte[] b = "hello from java\n".getBytes();
			x.sendResponseHeaders(200, b.length);
			x.getResponseBody().write(b);
			x.close();
		});
		s.start();
	}
}
EOF

# java runs the class from its source: that needs the JDK's compiler module.
has_javac_module () {
	has java && java --list-modules 2>/dev/null | grep -q '^jdk.compiler'
}

# NAME MEM CHECK COMMAND NEEDS: what runs, in how much, checked by HTTP or TCP.
SERVICES="pyhttp 32 HTTP sh_$SVC/pyhttp.sh python3
node 64 HTTP sh_$SVC/node.sh node
redis 32 TCP sh_$SVC/redis.sh redis-server
memcached 32 TCP sh_$SVC/memcached.sh memcached
nginx 32 HTTP sh_$SVC/nginx.sh nginx
threads 64 HTTP python3_$SVC/threads.py python3
java 256 HTTP java_-Xmx64m_-XX:+UseSerialGC_$SVC/Serve.java_\$PORT0 javac"

wanted () {
	case $1 in
	javac) has_javac_module ;;
	*) has "$1" ;;
	esac
}

# Checks: the API and the registration, then two per service in each of the two modes.
NSERVICES=$(echo "$SERVICES" | wc -l)
plan $((2 + 2 * 2 * NSERVICES))
MODES=posix
if "$TOP/agentd" --help 2>/dev/null | grep -q "isolation on this machine: $CGROUPS"; then
	MODES="posix cgroups"
else
	skip -n $((2 * NSERVICES)) "cgroups mode: not usable here"
fi
NMODES=$(echo "$MODES" | wc -w)

marathon_plugin_dir
start_master "--plugins=$TMP/plugins" || exit 1
# The plugin checks its tasks' health at their host: an address needs no resolver.
start_agent px --hostname=127.0.0.1 --isolation=posix/cpu,posix/mem --attributes=isolation:posix \
    "--resources=cpus:4;mem:2048;disk:1000;ports:$PORTS_POSIX" > /dev/null || exit 1
case $MODES in
*cgroups*)
	start_agent cg --hostname=127.0.0.1 --isolation="$CGROUPS" --attributes=isolation:cgroups \
	    "--resources=cpus:4;mem:2048;disk:1000;ports:$PORTS_CGROUPS" > /dev/null || exit 1 ;;
esac
check "the REST API listens" wait_for 20 log_has 'REST API listening on 127.0.0.1:' || exit 1
api_url
check "registers" wait_for 20 log_has 'plugin marathon: info: registered as framework' || exit 1

HC='"gracePeriodSeconds":120,"intervalSeconds":1,"timeoutSeconds":2,"maxConsecutiveFailures":3'
echo "$SERVICES" | {
	while read -r name mem hc cmd needs; do
		if ! wanted "$needs"; then
			echo "skip $((2 * NMODES)) $name: $needs is not installed" >> "$TMP/skips"
			continue
		fi
		cmd=$(echo "$cmd" | tr _ ' ')
		for mode in $MODES; do
			code=$(req POST /v2/apps "{\"id\":\"$name-$mode\",\"cmd\":\"exec $cmd\",\"cpus\":0.2,\"mem\":$mem,\"instances\":1,\"portDefinitions\":[{\"port\":0}],\"constraints\":[[\"isolation\",\"CLUSTER\",\"$mode\"]],\"healthChecks\":[{\"protocol\":\"$hc\",$HC}]}")
			[ "$code" = 201 ] || echo "fail - $name-$mode: POST /v2/apps answered $code: $(cat "$TMP/body")" >> "$TMP/skips"
			echo "$name-$mode $hc" >> "$TMP/started"
		done
	done
}
[ -f "$TMP/skips" ] && while read -r line; do
	case $line in
	skip*)
		line=${line#skip }
		skip -n "${line%% *}" "${line#* }" ;;
	*) fail "${line#fail - }" ;;
	esac
done < "$TMP/skips"
STARTED=$(cat "$TMP/started" 2>/dev/null)

# all_healthy: every app posted has its task healthy.
all_healthy () {
	echo "$STARTED" | while read -r ah_id _; do
		app_has "$ah_id" '"tasksHealthy":1,' || return 1
	done
}

port_of () {
	curl -s "$API/v2/apps/$1/tasks" | sed -n 's/.*"ports":\[\([0-9]*\).*/\1/p'
}

# answers ID PORT: the service serves a request of its kind.
answers () {
	case $1 in
	redis-*) printf 'PING\r\nQUIT\r\n' | curl -s --max-time 5 "telnet://127.0.0.1:$2" | grep -q '^+PONG' ;;
	memcached-*) printf 'version\r\nquit\r\n' | curl -s --max-time 5 "telnet://127.0.0.1:$2" | grep -q '^VERSION' ;;
	threads-*) curl -s --max-time 5 "http://127.0.0.1:$2/" | grep -q '^2[1-9] threads' ;;
	pyhttp-*) curl -s --max-time 5 "http://127.0.0.1:$2/" | grep -q 'Directory listing' ;;
	*) curl -s --max-time 5 "http://127.0.0.1:$2/" | grep -q "hello from ${1%-*}" ;;
	esac
}

if [ -z "$STARTED" ]; then
	echo "# no service program is installed" >&2
else
	wait_for "$T" all_healthy
	echo "$STARTED" | {
		while read -r id hc; do
			check "$id: healthy ($hc check)" app_has "$id" '"tasksHealthy":1,'
			port=$(port_of "$id")
			check "$id: answers a request on port ${port:-none}" answers "$id" "$port"
			if ! app_has "$id" '"tasksHealthy":1,'; then
				echo "# $id's task's stderr:"
				tail -n 5 "$TMP"/*/slaves/*/frameworks/*/executors/"$id".*/runs/latest/stderr 2>/dev/null | sed 's/^/# /'
			fi
		done
		[ "$LIB_FAILED" -eq 0 ]
	} || LIB_FAILED=1
fi

[ "$LIB_FAILED" -eq 0 ]

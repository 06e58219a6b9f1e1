# tests/marathon_client.py: a scripted session of every call Debian's
# python3-marathon offers that this Marathon supports (t_marathon_clients.sh
# runs it). Usage: python3 marathon_client.py URL. Prints "ok - CALL" per
# call and exits non-zero at the first error.
import os
import signal
import sys
import threading
import time

from marathon import MarathonClient
from marathon.models import MarathonApp
from marathon.models.group import MarathonGroup

DEADLINE_S = 20
# The whole session, so a call that blocks fails the test instead of hanging it.
SESSION_S = 90
# Apps made and removed while the event stream is read: enough events to fill
# the client's read buffer (requests' iter_lines waits for 512 bytes).
EVENT_APPS = 3
client = MarathonClient(sys.argv[1])


def session_timeout(signum, frame):
    raise SystemExit("timeout: the session took over %d s" % SESSION_S)


signal.signal(signal.SIGALRM, session_timeout)
signal.alarm(SESSION_S)


def step(name, fn, *args, **kwargs):
    result = fn(*args, **kwargs)
    print("ok - " + name)
    sys.stdout.flush()
    return result


def wait(name, cond):
    end = time.time() + DEADLINE_S
    while time.time() < end:
        if cond():
            print("ok - " + name)
            return
        time.sleep(0.1)
    raise SystemExit("timeout: " + name)


def quiet():
    return client.list_deployments() == []


step("ping", client.ping)
step("get_info", client.get_info)
step("get_leader", client.get_leader)
step("get_metrics", client.get_metrics)
app = MarathonApp(cmd="sleep 300", cpus=0.1, mem=16, instances=1)
step("create_app", client.create_app, "/py/app", app)
wait("the app runs", lambda: client.get_app("/py/app").tasks_running == 1)
wait("no deployments", quiet)
step("list_apps", client.list_apps, embed_tasks=True, embed_counts=True)
step("get_app", client.get_app, "/py/app", embed_tasks=True)
step("scale_app", client.scale_app, "/py/app", instances=2)
wait("2 run", lambda: len(client.list_tasks("/py/app")) == 2 and quiet())
step("update_app", client.update_app, "/py/app", MarathonApp(cmd="sleep 301"), force=True)
wait("the update ends", quiet)
tasks = step("list_tasks", client.list_tasks)
step("list_tasks of an app", client.list_tasks, "/py/app")
step("kill_given_tasks", client.kill_given_tasks, [tasks[0].id], scale=True, force=True)
wait("1 runs", lambda: client.get_app("/py/app").instances == 1 and quiet())
versions = step("list_versions", client.list_versions, "/py/app")
step("get_version", client.get_version, "/py/app", versions[-1])
step("restart_app", client.restart_app, "/py/app", force=True)
wait("the restart ends", quiet)
step("kill_task", client.kill_task, "/py/app", client.list_tasks("/py/app")[0].id)
step("kill_tasks", client.kill_tasks, "/py/app")
step("list_queue", client.list_queue)
step("reset_delay", client.reset_delay, "/py/app")
step("update_apps", client.update_apps, [MarathonApp(id="/py/app", instances=1)], force=True)
big = MarathonApp(cmd="sleep 1", cpus=100, mem=16)
step("create_app that cannot be placed", client.create_app, "/py/big", big)
deps = step("list_deployments", client.list_deployments)
dep = [d for d in deps if "/py/big" in d.affected_apps][0]
step("delete_deployment (rollback)", client.delete_deployment, dep.id)
step("delete_app", client.delete_app, "/py/app", force=True)
group = MarathonGroup(id="/pyg", apps=[MarathonApp(id="/pyg/a", cmd="sleep 300", cpus=0.1, mem=16)])
step("create_group", client.create_group, group)
wait("the group's app runs", lambda: client.get_app("/pyg/a").tasks_running == 1 and quiet())
step("list_groups", client.list_groups)
step("get_group", client.get_group, "/pyg")
step("scale_group", client.scale_group, "/pyg", 2)
wait("the group's app runs 2", lambda: client.get_app("/pyg/a").tasks_running == 2 and quiet())
step("update_group", client.update_group, "/pyg",
     MarathonGroup(apps=[MarathonApp(id="/pyg/b", cmd="sleep 300", cpus=0.1, mem=16)]), force=True)
step("delete_group", client.delete_group, "/pyg", force=True)


def make_events():
    time.sleep(0.5)
    for i in range(EVENT_APPS):
        client.create_app("/py/ev%d" % i, MarathonApp(cmd="sleep 300", cpus=0.01, mem=16))
        client.delete_app("/py/ev%d" % i, force=True)


threading.Thread(target=make_events, daemon=True).start()
for event in step("event_stream", client.event_stream, raw=True):
    break
print("ok - an event read")
sys.stdout.flush()
# The open event stream would keep the interpreter's exit waiting on its socket.
os._exit(0)

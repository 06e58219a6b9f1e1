// tests/marathon_client.js: a scripted session of every call npm's
// marathon-node offers that this Marathon supports (t_marathon_clients.sh
// runs it). Usage: NODE_PATH=DIR/node_modules node marathon_client.js URL.
// Prints "ok - CALL" per call; exits non-zero at the first error.
'use strict';

const marathon = require('marathon-node')(process.argv[2]);

const DEADLINE_MS = 20000;
const POLL_MS = 100;

async function step(name, promise) {
    const result = await promise;
    console.log('ok - ' + name);
    return result;
}

async function wait(name, cond) {
    const end = Date.now() + DEADLINE_MS;
    while (Date.now() < end) {
        if (await cond()) {
            console.log('ok - ' + name);
            return;
        }
        await new Promise(resolve => setTimeout(resolve, POLL_MS));
    }
    throw new Error('timeout: ' + name);
}

async function quiet() {
    return (await marathon.deployments.getList()).length === 0;
}

async function running(id, n) {
    return (await marathon.apps.getOne(id)).app.tasksRunning === n && await quiet();
}

async function session() {
    await step('misc.ping', marathon.misc.ping());
    await step('info.get', marathon.info.get());
    await step('leader.get', marathon.leader.get());
    await step('apps.create', marathon.apps.create({id: '/js/app', cmd: 'sleep 300', cpus: 0.1, mem: 16}));
    await wait('the app runs', () => running('/js/app', 1));
    await step('apps.getList', marathon.apps.getList({embed: 'apps.tasks'}));
    await step('apps.getOne', marathon.apps.getOne('/js/app'));
    await step('apps.update', marathon.apps.update('/js/app', {instances: 2}, true));
    await wait('2 run', () => running('/js/app', 2));
    const tasks = await step('apps.getTasks', marathon.apps.getTasks('/js/app'));
    await step('apps.killTask', marathon.apps.killTask('/js/app', tasks.tasks[0].id, true));
    await wait('1 runs', () => running('/js/app', 1));
    const versions = await step('apps.getVersions', marathon.apps.getVersions('/js/app'));
    await step('apps.getVersion', marathon.apps.getVersion('/js/app', versions.versions[0]));
    await step('apps.restart', marathon.apps.restart('/js/app', true));
    await wait('the restart ends', quiet);
    const all = await step('tasks.getList', marathon.tasks.getList());
    await step('tasks.kill', marathon.tasks.kill({ids: [all.tasks[0].id]}, false));
    await step('apps.killTasks', marathon.apps.killTasks('/js/app', {}));
    await step('queue.get', marathon.queue.get());
    await step('queue.resetDelay', marathon.queue.resetDelay('/js/app'));
    await step('apps.create (cannot be placed)', marathon.apps.create({id: '/js/big', cmd: 'sleep 1', cpus: 100}));
    const deps = await step('deployments.getList', marathon.deployments.getList());
    const dep = deps.filter(d => d.affectedApps.indexOf('/js/big') >= 0)[0];
    await step('deployments.destroy', marathon.deployments.destroy(dep.id));
    await step('apps.destroy', marathon.apps.destroy('/js/app', true));
    await step('groups.create', marathon.groups.create({id: '/jsg', apps: [{id: 'a', cmd: 'sleep 300', cpus: 0.1, mem: 16}]}));
    await wait('the group\'s app runs', () => running('/jsg/a', 1));
    await step('groups.getList', marathon.groups.getList());
    await step('groups.getOne', marathon.groups.getOne('/jsg'));
    await step('groups.update', marathon.groups.update('/jsg', {scaleBy: 2}, true));
    await wait('the group\'s app runs 2', () => running('/jsg/a', 2));
    await step('groups.destroy', marathon.groups.destroy('/jsg', true));
    await new Promise((resolve, reject) => {
        const es = marathon.events.createEventSource({eventType: 'deployment_success'});
        es.on('open', () => {
            console.log('ok - events.createEventSource');
            es.close();
            resolve();
        });
        es.on('error', err => reject(new Error('event stream: ' + JSON.stringify(err))));
    });
}

session().then(() => process.exit(0), err => {
    console.error(err && err.stack ? err.stack : err);
    process.exit(1);
});

/*
 * tests/web_driver.js: drives headless chromium through the DevTools
 * protocol over --remote-debugging-pipe (JSON messages ended by a NUL
 * byte, written to its fd 3 and read from its fd 4; node needs no
 * package for that) through the master's web page, for tests/t_web.sh
 * and `make bench` (section web). Any JavaScript exception or console
 * error fails the run.
 *
 *   node tests/web_driver.js test  MASTER_URL MARATHON_URL JOBS_URL TASK_ID TEXT OUT_DIR
 *   node tests/web_driver.js bench MASTER_URL OUT_DIR
 *
 * test: clicks through the agents, a task's sandbox and live tail (TASK_ID
 * prints TEXT, then a line a second), creates and scales a Marathon app,
 * sees an error the API gives shown, creates a job and runs it, and
 * saves screenshots in OUT_DIR.
 * bench: prints the page's first render time of the cluster and tasks views.
 * Lines: "ok - what" per step, "not ok - what" and exit 1 on a failure.
 */
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');

const STEP_TIMEOUT_MS = 15000;   /* one step's deadline */
const POLL_MS = 100;             /* how often a condition is checked */
const CLOSE_GRACE_MS = 3000;     /* the browser's time to close before it is killed */
const CHROMIUM = process.env.CHROMIUM || 'chromium';
const WIDE = { width: 1280, height: 900, mobile: false };
const PHONE = { width: 390, height: 844, mobile: true };

const [mode, masterUrl, ...rest] = process.argv.slice(2);
const errors = [];
let nextId = 1;
const pending = new Map();
let session = null;
let browser = null;
let userDir = null;

let failed = false;

/* Report the failure and stop: the browser goes, and the step that called is unwound. */
function bail(msg) {
	if (!failed) {
		failed = true;
		console.log('not ok - ' + msg);
		for (const e of errors)
			console.log('#   ' + e);
		finish(1);
	}
	throw new Error('stopped');
}

/*
 * Close the browser (Browser.close, then SIGKILL to its process group
 * after CLOSE_GRACE_MS: its helpers must not outlive the run), remove its
 * profile, exit.
 */
function finish(code) {
	const b = browser;
	browser = null;
	if (b) {
		try {
			b.stdio[3].write(JSON.stringify({ id: nextId++, method: 'Browser.close' }) + '\0');
		} catch (e) {
			/* already gone */
		}
		setTimeout(() => {
			try {
				process.kill(-b.pid, 'SIGKILL');
			} catch (e) {
				/* already gone */
			}
		}, CLOSE_GRACE_MS).unref();
	}
	const clean = () => {
		try {
			if (userDir)
				fs.rmSync(userDir, { recursive: true, force: true, maxRetries: 5 });
		} catch (e) {
			console.log('# could not remove ' + userDir + ': ' + e.message);
		}
		process.exit(code);
	};
	if (b && b.exitCode === null)
		b.once('exit', clean);
	else
		clean();
}

function send(method, params, sess) {
	const id = nextId++;
	const msg = { id, method, params: params || {} };
	if (sess !== undefined ? sess : session)
		msg.sessionId = sess !== undefined ? sess : session;
	browser.stdio[3].write(JSON.stringify(msg) + '\0');
	return new Promise((resolve, reject) => pending.set(id, { resolve, reject, method }));
}

function onMessage(m) {
	if (m.id !== undefined && pending.has(m.id)) {
		const p = pending.get(m.id);
		pending.delete(m.id);
		if (m.error)
			p.reject(new Error(p.method + ': ' + m.error.message));
		else
			p.resolve(m.result);
		return;
	}
	if (m.method === 'Runtime.exceptionThrown') {
		const d = m.params.exceptionDetails;
		errors.push('exception: ' + (d.exception && d.exception.description || d.text));
	} else if (m.method === 'Runtime.consoleAPICalled' &&
	           (m.params.type === 'error' || m.params.type === 'assert')) {
		errors.push('console.' + m.params.type + ': ' +
			m.params.args.map((a) => a.value !== undefined ? a.value : a.description).join(' '));
	} else if (m.method === 'Log.entryAdded' && m.params.entry.level === 'error' &&
	           m.params.entry.source !== 'network') {
		/* Network errors are the page's to show (and the test's to check); CSP and the rest fail. */
		errors.push('log: ' + m.params.entry.source + ': ' + m.params.entry.text);
	}
}

async function evaluate(expr) {
	const r = await send('Runtime.evaluate', { expression: expr, returnByValue: true,
		awaitPromise: true });
	if (r.exceptionDetails)
		throw new Error('evaluate ' + expr + ': ' + (r.exceptionDetails.exception &&
			r.exceptionDetails.exception.description || r.exceptionDetails.text));
	return r.result.value;
}

/* Until expr is truthy (its value returned), or fail the step. */
async function waitFor(what, expr, timeoutMs) {
	const end = Date.now() + (timeoutMs || STEP_TIMEOUT_MS);
	let last;
	for (;;) {
		last = await evaluate(expr);
		if (last)
			return last;
		if (errors.length)
			bail(what + ' (a JavaScript error came first)');
		if (Date.now() > end)
			bail(what + ': not within ' + (timeoutMs || STEP_TIMEOUT_MS) + ' ms');
		await new Promise((r) => setTimeout(r, POLL_MS));
	}
}

function ok(what) {
	if (errors.length)
		bail(what + ' (JavaScript errors)');
	console.log('ok - ' + what);
}

async function screenshot(dir, name) {
	const r = await send('Page.captureScreenshot', { format: 'png' });
	fs.writeFileSync(path.join(dir, name), Buffer.from(r.data, 'base64'));
}

async function viewport(v) {
	await send('Emulation.setDeviceMetricsOverride', { width: v.width, height: v.height,
		deviceScaleFactor: 1, mobile: v.mobile });
}

/* Go to hash (#/view) and wait for the view's first data to be drawn. */
async function open(hash) {
	await evaluate('location.hash = ' + JSON.stringify(hash) + '; 1');
	await waitFor('view ' + hash + ' drawn', 'Number(document.body.dataset.ready) > 0');
}

function js(s) {
	return JSON.stringify(s);
}

async function start() {
	userDir = fs.mkdtempSync(path.join(process.env.TMPDIR || '/tmp', 'web-chromium-'));
	browser = spawn(CHROMIUM, ['--headless', '--remote-debugging-pipe', '--no-sandbox',
		'--disable-gpu', '--no-first-run', '--no-default-browser-check',
		'--disable-extensions', '--disable-background-networking', '--disable-dev-shm-usage',
		'--user-data-dir=' + userDir, 'about:blank'],
	{ stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'], detached: true });
	browser.on('exit', (code, sig) => {
		if (!browser)
			return;
		browser = null;
		try {
			bail('chromium exited (' + (code !== null ? code : sig) + ')');
		} catch (e) {
			/* stopped */
		}
	});
	let inbuf = Buffer.alloc(0);
	browser.stdio[4].on('data', (chunk) => {
		inbuf = Buffer.concat([inbuf, chunk]);
		let nul;
		while ((nul = inbuf.indexOf(0)) >= 0) {
			const text = inbuf.subarray(0, nul).toString('utf8');
			inbuf = inbuf.subarray(nul + 1);
			onMessage(JSON.parse(text));
		}
	});
	const { targetId } = await send('Target.createTarget', { url: 'about:blank' }, null);
	const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true }, null);
	session = sessionId;
	await send('Runtime.enable');
	await send('Log.enable');
	await send('Page.enable');
	await viewport(WIDE);
}

async function navigate(url) {
	const t0 = Date.now();
	await send('Page.navigate', { url });
	await waitFor('page at ' + url + ' drawn', 'document.body && ' +
		'Number(document.body.dataset.ready) > 0');
	return Date.now() - t0;
}

async function test([marathonUrl, jobsUrl, taskId, text, outDir]) {
	await navigate(masterUrl + '/?marathon=' + encodeURIComponent(marathonUrl) + '&jobs=' +
		encodeURIComponent(jobsUrl) + '#/cluster');
	await waitFor('agents listed', 'document.querySelectorAll(".agent-link").length >= 1');
	await waitFor('metrics shown', 'document.querySelectorAll(".metric").length > 5');
	await waitFor('roles shown', '/dominant share/.test(document.getElementById("roles").textContent)');
	await screenshot(outDir, 'cluster.png');
	ok('the cluster view lists agents, metrics and roles');

	await evaluate('document.querySelector(".agent-link").click(); 1');
	await waitFor('an agent\'s page', '/attributes/.test((document.getElementById("agent") || {}).textContent || "") && ' +
		'document.getElementById("agent-tasks").querySelectorAll(".task-link").length >= 1');
	ok('an agent\'s page shows its resources, attributes and tasks');

	await open('#/tasks');
	await evaluate('const n = document.getElementById("f-name"); n.value = ' + js(taskId) +
		'; n.dispatchEvent(new Event("input")); 1');
	await waitFor('the task found by the name filter', 'Array.from(document.querySelectorAll(".task-link"))' +
		'.length === 1 && document.querySelector(".task-link").textContent === ' + js(taskId));
	await evaluate('document.querySelector(".task-link").click(); 1');
	await waitFor('the task\'s page', '/TASK_RUNNING/.test((document.getElementById("statuses") || {}).textContent || "")');
	ok('tasks filtered by name; the task\'s page shows its statuses');

	await waitFor('the sandbox listing', 'document.querySelector(".sandbox-entry[data-name=stdout]")');
	await evaluate('document.querySelector(".sandbox-entry[data-name=stdout]").click(); 1');
	await waitFor('stdout read from the sandbox', '(document.getElementById("file-text") || {}).textContent' +
		' && document.getElementById("file-text").textContent.includes(' + js(text) + ')');
	ok('the sandbox browser lists the task\'s files and opens stdout');

	await waitFor('the live tail shows the output', 'document.getElementById("tail").textContent.includes(' +
		js(text) + ')');
	const ticks = 'document.getElementById("tail").textContent.split("tick").length';
	const before = await evaluate(ticks);
	await waitFor('the live tail grows', ticks + ' > ' + before);
	await screenshot(outDir, 'task.png');
	ok('the live tail follows stdout as it grows');

	await open('#/marathon');
	const set = (id, v) => 'document.getElementById(' + js(id) + ').value = ' + js(v) + ';';
	await evaluate(set('app-id', '/Bad_Id') + set('app-cmd', 'sleep 1000') +
		'document.getElementById("app-create").click(); 1');
	await waitFor('the API\'s error shown', '!document.getElementById("error").hidden && ' +
		'/422/.test(document.getElementById("error").textContent)');
	ok('a refused app shows Marathon\'s 422 to the person');

	await evaluate(set('app-id', '/webtest') + set('app-cmd', 'sleep 1000') +
		set('app-instances', '1') + 'document.getElementById("app-create").click(); 1');
	const running = (n) => 'document.querySelector("tr[data-app=\'/webtest\'] .running") && ' +
		'document.querySelector("tr[data-app=\'/webtest\'] .running").textContent === "' + n + '"';
	await waitFor('the new app running', running(1), 30000);
	await waitFor('the error cleared', 'document.getElementById("error").hidden');
	ok('an app created from the page runs');
	await evaluate('document.querySelector("tr[data-app=\'/webtest\'] .scale-n").value = "2"; ' +
		'document.querySelector("tr[data-app=\'/webtest\'] .scale").click(); 1');
	await waitFor('the app scaled to 2', running(2), 30000);
	await screenshot(outDir, 'marathon.png');
	ok('the app scaled from the page runs 2 instances');
	const del = 'document.querySelector("tr[data-app=\'/webtest\'] .danger")';
	await evaluate(del + '.click(); 1');
	await waitFor('delete asks to be sure', del + '.textContent === "Sure?"');
	await evaluate(del + '.click(); 1');
	await waitFor('the app deleted', '!document.querySelector("tr[data-app=\'/webtest\']") && ' +
		'document.getElementById("error").hidden', 30000);
	ok('the app deleted from the page (a second click to be sure) is gone');

	await open('#/jobs');
	await evaluate(set('job-id', 'webjob') + set('job-cmd', 'echo job-ran') +
		'document.getElementById("job-create").click(); 1');
	const job = 'document.querySelector("tr[data-job=\'webjob\']")';
	await waitFor('the new job listed', job);
	await evaluate(job + '.querySelector(".run-now").click(); 1');
	await waitFor('the job\'s run succeeded', job + '.querySelector(".succeeded").textContent === "1"',
		30000);
	await screenshot(outDir, 'jobs.png');
	ok('a job created and run from the page succeeds');

	await open('#/sharing');
	await waitFor('the sharing picture', 'document.getElementById("legend").textContent.includes("samples")');
	await screenshot(outDir, 'sharing.png');
	ok('the sharing picture is drawn from /master/history');

	await open('#/frameworks');
	await waitFor('frameworks listed', '/marathon/.test(document.getElementById("frameworks").textContent)');
	await viewport(PHONE);
	await open('#/cluster');
	await waitFor('agents on a phone', 'document.querySelectorAll(".agent-link").length >= 1');
	const fits = await evaluate('document.documentElement.scrollWidth <= window.innerWidth + 1');
	if (!fits)
		bail('on a phone\'s screen the page is wider than the screen');
	await screenshot(outDir, 'cluster-phone.png');
	ok('on a phone\'s screen the page fits its width');
	ok('no JavaScript error or console error');
}

async function bench([outDir]) {
	const first = await navigate(masterUrl + '/#/cluster');
	await waitFor('agents listed', 'document.querySelectorAll(".agent-link").length >= 1', 60000);
	const t0 = Date.now();
	await open('#/tasks');
	await waitFor('tasks listed', 'document.querySelectorAll(".task-link").length >= 1', 60000);
	const tasks = Date.now() - t0;
	await screenshot(outDir, 'bench-tasks.png');
	if (errors.length)
		bail('JavaScript errors');
	console.log('web_page_first_render_cluster ' + first + ' ms');
	console.log('web_page_render_tasks ' + tasks + ' ms');
}

(async () => {
	try {
		if (!masterUrl || (mode !== 'test' && mode !== 'bench'))
			bail('usage: web_driver.js test|bench MASTER_URL ...');
		await start();
		await (mode === 'test' ? test(rest) : bench(rest));
	} catch (e) {
		if (!failed)
			bail(e.message);
		return;
	}
	finish(0);
})();

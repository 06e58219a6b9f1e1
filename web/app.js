/*
 * web/app.js: the master's web page. Plain JavaScript, no framework: each
 * view (the part after # in the address) builds its frame once and then
 * refreshes its tables from the same HTTP APIs mesosctl and curl use: the
 * master's /master/slaves, /master/frameworks, /master/tasks (a page of
 * them at a time: the page stays light with 10,000 tasks),
 * /metrics/snapshot, /master/roles, /master/history and
 * /files/{browse,read}; Marathon's /v2 and the jobs
 * plugin's /v1 on their own ports (they answer CORS for this page). Every
 * failed request is shown to the person with the API's own message.
 */
'use strict';

const REFRESH_MS = 2000;        /* how often the open view is redrawn */
const TAIL_MS = 1000;           /* how often a followed sandbox file is read */
const TAIL_START_BYTES = 16384; /* how much of a file's end the tail shows first */
const TAIL_KEEP_CHARS = 200000; /* what the tail keeps on screen */
const READ_CHUNK = 32768;       /* the master's largest sandbox read */
const PAGE_ROWS = 50;           /* task rows per page */
const PLUGIN_PORTS = { marathon: 8080, jobs: 9000 }; /* Marathon's and Metronome's defaults */
const COLORS = ['#3b82c4', '#e07b39', '#3aa655', '#c44b8a', '#8a6fd1', '#c9a227', '#2bb3b1',
	'#7d8793', '#b5473a', '#5a9e3c'];

const S = { view: null, timer: null, tailTimer: null, fws: null, page: 0, busy: false,
	armed: null };

/* ---------------------------------------------------------------- helpers */

function h(tag, attrs, ...kids) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (k === 'onclick' || k === 'onsubmit' || k === 'onchange' || k === 'oninput')
			e.addEventListener(k.slice(2), v);
		else if (k === 'style')
			e.style.cssText = v; /* through the CSSOM: the page's CSP refuses style attributes */
		else if (v !== undefined && v !== null && v !== false)
			e.setAttribute(k, v === true ? '' : v);
	}
	for (const k of kids.flat()) {
		if (k === null || k === undefined || k === false)
			continue;
		e.append(k instanceof Node ? k : String(k));
	}
	return e;
}

function fill(id, ...kids) {
	const e = document.getElementById(id);
	if (e)
		e.replaceChildren(...kids.flat());
	return e;
}

function table(heads, rows) {
	return h('div', { class: 'scroll' }, h('table', {},
		h('thead', {}, h('tr', {}, heads.map((t) => h('th', {}, t)))),
		h('tbody', {}, rows)));
}

function num(v, digits) {
	if (typeof v !== 'number' || !isFinite(v))
		return '-';
	return Number.isInteger(v) ? String(v) : v.toFixed(digits === undefined ? 2 : digits);
}

function when(secs) {
	return secs ? new Date(secs * 1000).toISOString().replace('T', ' ').slice(0, 19) : '-';
}

function seg(s) {
	return encodeURIComponent(s);
}

function showError(e) {
	const box = document.getElementById('error');
	box.textContent = e instanceof Error ? e.message : String(e);
	box.hidden = false;
}

function clearError() {
	document.getElementById('error').hidden = true;
}

/* A request to an API; rejects with "METHOD URL: STATUS message" as the API said it. */
async function api(method, url, body) {
	const opts = { method: method, headers: {} };
	if (body !== undefined) {
		opts.headers['Content-Type'] = 'application/json';
		opts.body = JSON.stringify(body);
	}
	let res;
	try {
		res = await fetch(url, opts);
	} catch (e) {
		throw new Error(method + ' ' + url + ': cannot connect (' + e.message + ')');
	}
	const text = await res.text();
	let data = null;
	try {
		data = text ? JSON.parse(text) : null;
	} catch (e) {
		data = text;
	}
	if (!res.ok) {
		let msg = data && data.message ? data.message : (typeof data === 'string' ? data : '');
		if (data && Array.isArray(data.details))
			msg += ' ' + data.details.map((d) => (d.path || '') + ' ' +
				(d.errors || []).join(', ')).join('; ');
		throw new Error(method + ' ' + url + ': ' + res.status + ' ' + msg.trim());
	}
	return data;
}

/* Run a person's action: errors shown, success clears them and redraws. */
async function act(fn) {
	try {
		await fn();
		clearError();
	} catch (e) {
		showError(e);
	}
	refresh();
}

/*
 * A button that destroys something: the first click arms it ("Sure?", kept
 * across redraws by key), the second does it.
 */
function dangerButton(key, label, fn) {
	return h('button', { class: 'danger', onclick: (ev) => {
		if (S.armed !== key) {
			S.armed = key;
			ev.target.textContent = 'Sure?';
			return;
		}
		S.armed = null;
		act(fn);
	} }, S.armed === key ? 'Sure?' : label);
}

/* A plugin's base URL: ?marathon=URL (kept), else what was kept, else this host at its port. */
function pluginUrl(name) {
	const q = new URLSearchParams(location.search).get(name);
	if (q)
		localStorage.setItem('url.' + name, q);
	const kept = localStorage.getItem('url.' + name);
	return (kept || location.protocol + '//' + location.hostname + ':' + PLUGIN_PORTS[name])
		.replace(/\/+$/, '');
}

function pluginSettings(name) {
	const input = h('input', { id: name + '-url', size: 30, value: pluginUrl(name) });
	return h('form', { class: 'inline', onsubmit: (ev) => {
		ev.preventDefault();
		localStorage.setItem('url.' + name, input.value.trim());
		act(async () => {});
	} }, h('label', {}, name + ' API '), input, h('button', {}, 'Use'));
}

/* Mesos's resources object -> "cpus 1 · mem 128 · disk 0". */
function resText(r) {
	if (!r)
		return '-';
	return Object.entries(r).filter(([, v]) => v !== 0 && v !== '')
		.map(([k, v]) => k + ' ' + (typeof v === 'number' ? num(v) : v)).join(' · ') || '-';
}

function bar(total, used, offered, unit) {
	const pct = (v) => total > 0 ? Math.min(100, (100 * v) / total) : 0;
	const free = Math.max(0, total - used - offered);
	return h('span', {},
		h('span', { class: 'bar', title: 'used ' + num(used) + ', offered ' + num(offered) +
			', free ' + num(free) },
			h('span', { class: 'used', style: 'left:0;width:' + pct(used) + '%' }),
			h('span', { class: 'offered', style: 'left:' + pct(used) + '%;width:' +
				pct(offered) + '%' })),
		h('span', { class: 'barlabel' }, num(used, 1) + ' / ' + num(offered, 1) + ' / ' +
			num(free, 1) + (unit ? ' ' + unit : '')));
}

/* The frameworks, live and completed, without their tasks: by ID too, for the task tables. */
async function frameworks() {
	const r = await api('GET', '/master/frameworks?tasks=false');
	const all = r.frameworks.concat(r.completed_frameworks.map((f) =>
		Object.assign({ completed: true }, f)));
	S.fws = new Map(all.map((f) => [f.id, f]));
	return all;
}

/* A page of /master/tasks (Mesos's, with the page's filters), each with its framework's name. */
async function tasks(params) {
	const r = await api('GET', '/master/tasks?' + new URLSearchParams(params).toString());
	for (const t of r.tasks) {
		const fw = (S.fws && S.fws.get(t.framework_id)) || {};
		t.fw_name = fw.name || t.framework_id;
		t.role = fw.role || '';
	}
	return r;
}

/* ---------------------------------------------------------------- cluster */

const clusterView = {
	enter(main) {
		main.append(
			h('h2', {}, 'Metrics'), h('section', { id: 'metrics' }, 'loading…'),
			h('h2', {}, 'Agents ', h('span', { class: 'muted' }, '(used / offered / free)')),
			h('section', { id: 'agents' }, 'loading…'),
			h('h2', {}, 'Roles'), h('section', { id: 'roles' }, 'loading…'));
	},
	async update() {
		const [st, mx, roles] = await Promise.all([api('GET', '/master/slaves'),
			api('GET', '/metrics/snapshot'), api('GET', '/master/roles')]);
		const keys = [['master/slaves_active', 'agents active'], ['master/frameworks_active',
			'frameworks active'], ['master/tasks_running', 'tasks running'],
			['master/tasks_staging', 'tasks staging'], ['master/tasks_finished', 'tasks finished'],
			['master/tasks_failed', 'tasks failed'], ['master/tasks_lost', 'tasks lost'],
			['master/cpus_used', 'cpus used'], ['master/cpus_total', 'cpus total'],
			['master/mem_used', 'mem used (MB)'], ['master/mem_total', 'mem total (MB)'],
			['master/outstanding_offers', 'offers out'], ['master/offers_declined',
				'offers declined'], ['allocator/allocation_runs', 'allocation runs'],
			['allocator/allocation_run_ms', 'last allocation (ms)'],
			['master/uptime_secs', 'uptime (s)']];
		fill('metrics', h('div', { class: 'metrics' }, keys.map(([k, label]) =>
			h('div', { class: 'metric' }, h('b', {}, num(mx[k], 1)), label))));
		fill('agents', table(['agent', 'host', 'health', 'cpus', 'mem (MB)', 'disk (MB)', 'tasks',
			'attributes', 'isolation'], st.slaves.map((a) => {
			const off = (k) => Math.max(0, (a.resources[k] || 0) - (a.used_resources[k] || 0) -
				((a.free_resources || {})[k] || 0));
			return h('tr', {},
				h('td', {}, h('a', { href: '#/agent/' + seg(a.id), class: 'agent-link' }, a.id)),
				h('td', {}, a.hostname),
				h('td', { class: a.active ? 'ok' : 'bad' }, a.active ? 'connected' : 'disconnected'),
				h('td', {}, bar(a.resources.cpus || 0, a.used_resources.cpus || 0, off('cpus'))),
				h('td', {}, bar(a.resources.mem || 0, a.used_resources.mem || 0, off('mem'))),
				h('td', {}, bar(a.resources.disk || 0, a.used_resources.disk || 0, off('disk'))),
				h('td', {}, a.task_count),
				h('td', { class: 'wrap' }, Object.entries(a.attributes || {})
					.map(([k, v]) => k + ':' + v).join('; ')),
				h('td', {}, a.isolation || '-'));
		})));
		const total = { cpus: 0, mem: 0, disk: 0 };
		for (const a of st.slaves)
			for (const k of Object.keys(total))
				total[k] += a.active ? (a.resources[k] || 0) : 0;
		fill('roles', table(['role', 'weight', 'frameworks', 'quota', 'allocation',
			'dominant share'], roles.roles.map((r) => {
			let share = 0;
			for (const k of Object.keys(total))
				if (total[k] > 0)
					share = Math.max(share, (r.allocated[k] || 0) / total[k]);
			return h('tr', {}, h('td', {}, r.name), h('td', {}, num(r.weight)),
				h('td', {}, r.frameworks.length), h('td', {}, resText(r.quota.guarantee)),
				h('td', {}, resText(r.allocated)), h('td', {}, num(share, 3)));
		})));
	},
};

const agentView = {
	enter(main, id) {
		this.id = id;
		main.append(h('h2', {}, 'Agent ', id), h('section', { id: 'agent' }, 'loading…'),
			h('h2', {}, 'Its tasks'), h('section', { id: 'agent-tasks' }, 'loading…'));
	},
	async update() {
		const [st, , ts] = await Promise.all([api('GET', '/master/slaves'), frameworks(),
			api('GET', '/master/tasks?' + new URLSearchParams({ agent_id: this.id,
				limit: PAGE_ROWS }).toString())]);
		const a = st.slaves.find((x) => x.id === this.id);
		if (!a) {
			fill('agent', 'no agent ' + this.id + ' in /master/slaves');
			return;
		}
		fill('agent', table(['', ''], [
			['host', a.hostname], ['connected', a.active ? 'yes' : 'no'],
			['registered', when(a.registered_time)], ['resources', resText(a.resources)],
			['used', resText(a.used_resources)], ['free', resText(a.free_resources)],
			['attributes', Object.entries(a.attributes || {}).map(([k, v]) => k + ':' + v)
				.join('; ') || '-'], ['isolation', a.isolation]]
			.map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', { class: 'wrap' }, v)))));
		const shown = ts.tasks;
		for (const t of shown)
			t.fw_name = (S.fws.get(t.framework_id) || {}).name || t.framework_id;
		fill('agent-tasks', taskTable(shown), ts.total > shown.length ? h('a', {
			href: '#/tasks?agent=' + seg(this.id) }, 'all ' + ts.total + ' tasks') : null);
	},
};

/* ---------------------------------------------------------------- frameworks and tasks */

const frameworksView = {
	enter(main) {
		main.append(h('h2', {}, 'Frameworks'), h('section', { id: 'frameworks' }, 'loading…'));
	},
	async update() {
		const all = await frameworks();
		const row = (fw) => {
			const state = fw.completed ? 'completed' : fw.active ? 'active' : 'inactive';
			return h('tr', {},
				h('td', {}, h('a', { href: '#/tasks?framework=' + seg(fw.id) }, fw.name)),
				h('td', {}, fw.id), h('td', { class: state === 'active' ? 'ok' : 'bad' }, state),
				h('td', {}, fw.plugin ? 'plugin (' + fw.plugin.state + ')' : 'external'),
				h('td', {}, fw.plugin ? fw.plugin.restarts : '-'), h('td', {}, fw.role),
				h('td', {}, num(fw.dominant_share, 3)), h('td', {}, fw.task_count),
				h('td', {}, resText(fw.used_resources)));
		};
		fill('frameworks', table(['name', 'id', 'state', 'kind', 'restarts', 'role', 'share',
			'tasks', 'used'], all.map(row)));
	},
};

function taskLink(t) {
	return h('a', { href: '#/task/' + seg(t.framework_id) + '/' + seg(t.id), class: 'task-link' },
		t.id);
}

function taskTable(tasks) {
	return table(['task', 'name', 'state', 'framework', 'agent', 'resources', 'started'],
		tasks.map((t) => h('tr', {}, h('td', {}, taskLink(t)), h('td', {}, t.name),
			h('td', { class: /RUNNING|FINISHED/.test(t.state) ? 'ok' :
				/FAILED|LOST|ERROR|KILLED|DROPPED/.test(t.state) ? 'bad' : '' }, t.state),
			h('td', {}, t.fw_name), h('td', {}, t.slave_id), h('td', {}, resText(t.resources)),
			h('td', {}, when(t.statuses && t.statuses.length ? t.statuses[0].timestamp : 0)))));
}

const STATES = ['TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING', 'TASK_FINISHED',
	'TASK_FAILED', 'TASK_KILLED', 'TASK_LOST', 'TASK_ERROR', 'TASK_DROPPED'];

const tasksView = {
	enter(main, arg, query) {
		const sel = (id, first) => h('select', { id: id, onchange: () => { S.page = 0; refresh(); } },
			h('option', { value: '' }, first));
		main.append(h('h2', {}, 'Tasks'), h('div', { class: 'filters' },
			h('select', { id: 'f-state', onchange: () => { S.page = 0; refresh(); } },
				h('option', { value: '' }, 'any state'),
				STATES.map((s) => h('option', { value: s }, s))),
			sel('f-framework', 'any framework'), sel('f-agent', 'any agent'),
			h('input', { id: 'f-name', placeholder: 'name or id contains',
				oninput: () => { S.page = 0; refresh(); } })),
			h('section', { id: 'tasks' }, 'loading…'));
		this.want = { framework: query.get('framework') || '', agent: query.get('agent') || '' };
		S.page = 0;
	},
	async update() {
		const [fws, st] = await Promise.all([frameworks(), api('GET', '/master/slaves')]);
		const keepOptions = (id, values, want) => {
			const s = document.getElementById(id);
			const cur = s.value || want || '';
			const have = Array.from(s.options).map((o) => o.value).slice(1).join('\n');
			if (have !== values.map((v) => v[0]).join('\n'))
				s.replaceChildren(s.options[0], ...values.map(([v, t]) => h('option', { value: v }, t)));
			s.value = cur;
		};
		keepOptions('f-framework', fws.map((f) => [f.id, f.name + ' (' + f.id + ')']),
			this.want.framework);
		keepOptions('f-agent', st.slaves.map((a) => [a.id, a.hostname + ' (' + a.id + ')']),
			this.want.agent);
		this.want = { framework: '', agent: '' };
		const f = {
			state: document.getElementById('f-state').value,
			fw: document.getElementById('f-framework').value,
			agent: document.getElementById('f-agent').value,
			name: document.getElementById('f-name').value.trim(),
		};
		const q = { offset: S.page * PAGE_ROWS, limit: PAGE_ROWS };
		if (f.state)
			q.state = f.state;
		if (f.fw)
			q.framework_id = f.fw;
		if (f.agent)
			q.agent_id = f.agent;
		if (f.name)
			q.name = f.name;
		let r = await tasks(q);
		const pages = Math.max(1, Math.ceil(r.total / PAGE_ROWS));
		if (S.page > pages - 1) {
			S.page = pages - 1;
			r = await tasks(Object.assign(q, { offset: S.page * PAGE_ROWS }));
		}
		fill('tasks', taskTable(r.tasks), h('div', { class: 'pager' },
			h('button', { id: 'prev', disabled: S.page === 0,
				onclick: () => { S.page--; refresh(); } }, '‹ prev'),
			h('span', { id: 'page' }, 'page ' + (S.page + 1) + ' of ' + pages + ' · ' +
				r.total + ' tasks'),
			h('button', { id: 'next', disabled: S.page >= pages - 1,
				onclick: () => { S.page++; refresh(); } }, 'next ›')));
	},
};

function filesUrl(kind, t, params) {
	const q = new URLSearchParams(Object.assign({ task_id: t.id, framework_id: t.framework_id },
		params));
	return '/files/' + kind + '?' + q.toString();
}

const taskView = {
	enter(main, arg) {
		const [fw, id] = arg.split('/').map(decodeURIComponent);
		this.fw = fw;
		this.id = id;
		this.dir = '';
		this.tail = { path: 'stdout', offset: -1, text: '' };
		main.append(h('h2', {}, 'Task ', id), h('section', { id: 'task' }, 'loading…'),
			h('h2', {}, 'Statuses'), h('section', { id: 'statuses' }),
			h('h2', {}, 'Sandbox ', h('span', { id: 'sandbox-path', class: 'muted' }, '/')),
			h('section', { id: 'sandbox' }, 'loading…'),
			h('section', { id: 'file-view', hidden: true }),
			h('h2', {}, 'Live tail'),
			h('section', {}, h('div', { class: 'filters' },
				h('select', { id: 'tail-file', onchange: (ev) => this.follow(ev.target.value) },
					h('option', { value: 'stdout' }, 'stdout'),
					h('option', { value: 'stderr' }, 'stderr'))),
				h('pre', { id: 'tail' }, '')));
		this.browse('');
		this.follow('stdout');
	},
	leave() {
		clearTimeout(S.tailTimer);
	},
	task() {
		return { id: this.id, framework_id: this.fw };
	},
	async update() {
		await frameworks();
		const r = await tasks({ task_id: this.id, framework_id: this.fw, limit: 1 });
		const t = r.tasks[0];
		if (!t) {
			fill('task', 'no task ' + this.id + ' in /master/tasks');
			return;
		}
		const stats = t.statistics ? [['cpu time (user / system)', num(t.statistics
			.cpus_user_time_secs) + ' / ' + num(t.statistics.cpus_system_time_secs) + ' s'],
		['peak memory', num(t.statistics.mem_rss_bytes / 1048576, 1) + ' MB'],
		['disk used', num(t.statistics.disk_used_bytes / 1048576, 1) + ' MB']] : [];
		fill('task', table(['', ''], [['name', t.name], ['state', t.state],
			['framework', t.fw_name + ' (' + t.framework_id + ')'], ['role', t.role],
			['agent', h('a', { href: '#/agent/' + seg(t.slave_id) }, t.slave_id)],
			['resources', resText(t.resources)]].concat(stats)
			.map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', { class: 'wrap' }, v)))));
		fill('statuses', table(['time', 'state', 'reason', 'message', 'healthy', 'source'],
			(t.statuses || []).map((s) => h('tr', {}, h('td', {}, when(s.timestamp)),
				h('td', {}, s.state), h('td', {}, s.reason || ''),
				h('td', { class: 'wrap' }, s.message || ''),
				h('td', {}, s.healthy === undefined ? '' : s.healthy ? 'yes' : 'no'),
				h('td', {}, s.source || '')))));
	},
	async browse(dir) {
		try {
			const r = await api('GET', filesUrl('browse', this.task(), { path: dir }));
			this.dir = dir;
			fill('sandbox-path', '/' + dir);
			const up = dir ? [h('tr', {}, h('td', {}, h('a', { href: '#', onclick: (ev) => {
				ev.preventDefault();
				this.browse(dir.split('/').slice(0, -1).join('/'));
			} }, '..')), h('td', {}), h('td', {}))] : [];
			fill('sandbox', table(['name', 'size', 'modified'], up.concat(r.entries.map((e) => {
				const p = dir ? dir + '/' + e.name : e.name;
				return h('tr', {}, h('td', {}, h('a', { href: '#', class: 'sandbox-entry',
					'data-name': e.name, onclick: (ev) => {
						ev.preventDefault();
						if (e.type === 'd')
							this.browse(p);
						else
							this.view(p);
					} }, e.name + (e.type === 'd' ? '/' : ''))),
				h('td', {}, e.type === 'd' ? '' : e.size), h('td', {}, when(e.mtime)));
			}))));
		} catch (e) {
			fill('sandbox', h('span', { class: 'bad' }, e.message));
		}
	},
	async view(path) {
		const box = document.getElementById('file-view');
		box.hidden = false;
		try {
			const r = await api('GET', filesUrl('read', this.task(), { path: path, offset: 0,
				length: READ_CHUNK }));
			fill('file-view', h('b', {}, path), ' ', h('span', { class: 'muted' }, r.size +
				' bytes' + (r.size > READ_CHUNK ? ', the first ' + READ_CHUNK + ' shown' : '')),
			h('pre', { id: 'file-text' }, r.data));
		} catch (e) {
			fill('file-view', h('span', { class: 'bad' }, e.message));
		}
	},
	follow(path) {
		clearTimeout(S.tailTimer);
		this.tail = { path: path, offset: -1, text: '' };
		fill('tail', '');
		this.tailStep();
	},
	async tailStep() {
		const t = this.tail;
		let more = false;
		try {
			if (t.offset < 0) {
				const r = await api('GET', filesUrl('read', this.task(), { path: t.path,
					offset: 0, length: 0 }));
				t.offset = Math.max(0, r.size - TAIL_START_BYTES);
			}
			const r = await api('GET', filesUrl('read', this.task(), { path: t.path,
				offset: t.offset, length: READ_CHUNK }));
			if (t !== this.tail)
				return;
			if (r.size < t.offset)
				t.offset = 0;
			if (r.data) {
				t.text = (t.text + r.data).slice(-TAIL_KEEP_CHARS);
				t.offset += new TextEncoder().encode(r.data).length;
				const pre = document.getElementById('tail');
				if (pre) {
					const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
					pre.textContent = t.text;
					if (atEnd)
						pre.scrollTop = pre.scrollHeight;
				}
			}
			more = !r.eof;
			if (!r.running && r.eof)
				return;
		} catch (e) {
			if (t !== this.tail)
				return;
			fill('tail', h('span', { class: 'bad' }, e.message));
		}
		if (t === this.tail && S.view === this)
			S.tailTimer = setTimeout(() => this.tailStep(), more ? 0 : TAIL_MS);
	},
};

/* ---------------------------------------------------------------- Marathon */

function appPath(id) {
	return id.replace(/^\/+/, '').split('/').map(seg).join('/');
}

const marathonView = {
	enter(main) {
		const field = (id, label, attrs) => h('label', {}, label + ' ',
			h('input', Object.assign({ id: id }, attrs)));
		main.append(pluginSettings('marathon'),
			h('h2', {}, 'New app'),
			h('section', {}, h('form', { class: 'inline', id: 'app-form', onsubmit: (ev) => {
				ev.preventDefault();
				const v = (id) => document.getElementById(id).value;
				act(() => api('POST', pluginUrl('marathon') + '/v2/apps', {
					id: v('app-id'), cmd: v('app-cmd'), cpus: Number(v('app-cpus')),
					mem: Number(v('app-mem')), instances: Number(v('app-instances')),
				}));
			} }, field('app-id', 'id', { placeholder: '/web', required: true }),
			field('app-cmd', 'cmd', { placeholder: 'sleep 1000', size: 30, required: true }),
			field('app-cpus', 'cpus', { type: 'number', step: 'any', value: '0.1' }),
			field('app-mem', 'mem', { type: 'number', step: 'any', value: '32' }),
			field('app-instances', 'instances', { type: 'number', min: 0, value: '1' }),
			h('button', { id: 'app-create' }, 'Create'))),
			h('h2', {}, 'Apps'), h('section', { id: 'apps' }, 'loading…'),
			h('h2', {}, 'Deployments'), h('section', { id: 'deployments' }),
			h('h2', {}, 'Waiting to launch (the queue)'), h('section', { id: 'queue' }));
	},
	async update() {
		const base = pluginUrl('marathon');
		let apps, deps, queue;
		try {
			[apps, deps, queue] = await Promise.all([api('GET', base + '/v2/apps'),
				api('GET', base + '/v2/deployments'), api('GET', base + '/v2/queue')]);
		} catch (e) {
			fill('apps', h('span', { class: 'bad' }, e.message));
			return;
		}
		fill('apps', table(['app', 'instances', 'running', 'healthy', 'staged', 'cpus', 'mem',
			'deployments', 'scale to', ''], apps.apps.map((a) => {
			const scale = h('input', { type: 'number', min: 0, value: a.instances,
				class: 'scale-n', 'data-app': a.id });
			const del = dangerButton('app ' + a.id, 'Delete', () => api('DELETE', base +
				'/v2/apps/' + appPath(a.id)));
			return h('tr', { 'data-app': a.id }, h('td', {}, a.id), h('td', {}, a.instances),
				h('td', { class: 'running' }, a.tasksRunning),
				h('td', {}, a.tasksHealthy + (a.tasksUnhealthy ? ' (' + a.tasksUnhealthy +
					' unhealthy)' : '')), h('td', {}, a.tasksStaged), h('td', {}, num(a.cpus)),
				h('td', {}, num(a.mem)), h('td', {}, (a.deployments || []).length),
				h('td', {}, scale, ' ', h('button', { class: 'scale', onclick: () =>
					act(() => api('PUT', base + '/v2/apps/' + appPath(a.id),
						{ instances: Number(scale.value) })) }, 'Scale')),
				h('td', {}, h('button', { onclick: () => act(() => api('POST', base +
					'/v2/apps/' + appPath(a.id) + '/restart')) }, 'Restart'), ' ', del));
		})));
		fill('deployments', deps.length ? table(['id', 'apps', 'step', 'started'], deps.map((d) =>
			h('tr', {}, h('td', {}, d.id), h('td', {}, (d.affectedApps || []).join(', ')),
				h('td', {}, d.currentStep + ' / ' + d.totalSteps), h('td', {}, d.version || ''))))
			: h('span', { class: 'muted' }, 'none'));
		fill('queue', queue.queue.length ? table(['app', 'waiting', 'delay (s)', 'offers seen',
			'why offers were declined'], queue.queue.map((q) => {
			const s = q.processedOffersSummary || {};
			return h('tr', {}, h('td', {}, q.app.id), h('td', {}, q.count),
				h('td', {}, q.delay ? q.delay.timeLeftSeconds : 0),
				h('td', {}, s.processedOffersCount || 0),
				h('td', { class: 'wrap' }, (s.rejectSummaryLastOffers || [])
					.filter((r) => r.declined > 0).map((r) => r.reason + ' (' + r.declined + ')')
					.join(', ') || '-'));
		})) : h('span', { class: 'muted' }, 'empty'));
	},
};

/* ---------------------------------------------------------------- jobs */

const jobsView = {
	enter(main) {
		main.append(pluginSettings('jobs'),
			h('h2', {}, 'New job'),
			h('section', {}, h('form', { class: 'inline', onsubmit: (ev) => {
				ev.preventDefault();
				const v = (id) => document.getElementById(id).value.trim();
				const job = { id: v('job-id'), run: { cmd: v('job-cmd'), cpus: 0.1, mem: 32 } };
				act(async () => {
					await api('POST', pluginUrl('jobs') + '/v1/jobs', job);
					if (v('job-cron'))
						await api('POST', pluginUrl('jobs') + '/v1/jobs/' + seg(job.id) +
							'/schedules', { id: 'default', cron: v('job-cron'), enabled: true });
				});
			} }, h('label', {}, 'id ', h('input', { id: 'job-id', required: true })),
			h('label', {}, 'cmd ', h('input', { id: 'job-cmd', size: 30, required: true })),
			h('label', {}, 'cron ', h('input', { id: 'job-cron', placeholder: '*/5 * * * *' })),
			h('button', { id: 'job-create' }, 'Create'))),
			h('h2', {}, 'Jobs'), h('section', { id: 'jobs' }, 'loading…'));
	},
	async update() {
		const base = pluginUrl('jobs');
		let jobs;
		try {
			jobs = await api('GET', base + '/v1/jobs?embed=activeRuns&embed=schedules' +
				'&embed=historySummary');
		} catch (e) {
			fill('jobs', h('span', { class: 'bad' }, e.message));
			return;
		}
		fill('jobs', table(['job', 'cmd', 'schedules', 'active runs', 'succeeded', 'failed',
			'last success', 'last failure', ''], jobs.map((j) => {
			const hs = j.historySummary || {};
			return h('tr', { 'data-job': j.id }, h('td', {}, j.id),
				h('td', { class: 'wrap' }, j.run ? j.run.cmd : ''),
				h('td', {}, (j.schedules || []).map((s) => s.cron + (s.enabled ? '' : ' (off)'))
					.join(', ') || '-'),
				h('td', {}, (j.activeRuns || []).map((r) => r.id + ' ' + r.status).join(', ') || '-'),
				h('td', { class: 'succeeded' }, hs.successCount || 0),
				h('td', {}, hs.failureCount || 0),
				h('td', {}, hs.lastSuccessAt || '-'), h('td', {}, hs.lastFailureAt || '-'),
				h('td', {}, h('button', { class: 'run-now', onclick: () => act(() => api('POST',
					base + '/v1/jobs/' + seg(j.id) + '/runs')) }, 'Run now'), ' ',
				dangerButton('job ' + j.id, 'Delete', () => api('DELETE', base + '/v1/jobs/' +
					seg(j.id) + '?stopCurrentJobRuns=true'))));
		})));
	},
};

/* ---------------------------------------------------------------- sharing */

/* Stacked areas, one per role, of samples[i][key][role] over time. */
function drawStack(canvas, hist, key) {
	const dpr = window.devicePixelRatio || 1;
	const w = canvas.clientWidth, ht = canvas.clientHeight;
	canvas.width = Math.round(w * dpr);
	canvas.height = Math.round(ht * dpr);
	const g = canvas.getContext('2d');
	g.scale(dpr, dpr);
	g.clearRect(0, 0, w, ht);
	const s = hist.samples;
	if (s.length === 0)
		return;
	const t0 = s[0].time, t1 = Math.max(s[s.length - 1].time, t0 + 1);
	const top = Math.max(1, ...s.map((x) => x.total[key]), ...s.map((x) =>
		x[key].reduce((a, b) => a + b, 0)));
	const pad = 30;
	const X = (t) => pad + ((w - pad - 4) * (t - t0)) / (t1 - t0);
	const Y = (v) => ht - 16 - ((ht - 24) * v) / top;
	const base = s.map(() => 0);
	hist.roles.forEach((role, r) => {
		g.beginPath();
		s.forEach((x, i) => g.lineTo(X(x.time), Y(base[i] + x[key][r])));
		for (let i = s.length - 1; i >= 0; i--)
			g.lineTo(X(s[i].time), Y(base[i]));
		g.closePath();
		g.fillStyle = COLORS[r % COLORS.length];
		g.fill();
		s.forEach((x, i) => { base[i] += x[key][r]; });
	});
	g.strokeStyle = '#1d2430';
	g.beginPath();
	s.forEach((x, i) => (i ? g.lineTo : g.moveTo).call(g, X(x.time), Y(x.total[key])));
	g.stroke();
	g.fillStyle = '#4a5568';
	g.font = '11px sans-serif';
	g.fillText(num(top, 1), 2, 10);
	g.fillText('0', 2, ht - 16);
	g.fillText(when(t0).slice(11), pad, ht - 2);
	g.fillText(when(t1).slice(11), w - 60, ht - 2);
}

const sharingView = {
	enter(main) {
		main.append(h('h2', {}, 'Allocation per role, the last hour ',
			h('span', { class: 'muted' }, '(stacked; the line is the cluster\'s total)')),
		h('section', {}, h('div', { id: 'legend', class: 'legend' }),
			h('h2', {}, 'cpus'), h('canvas', { id: 'chart-cpus' }),
			h('h2', {}, 'mem (MB)'), h('canvas', { id: 'chart-mem' })));
	},
	async update() {
		const hist = await api('GET', '/master/history');
		fill('legend', hist.roles.map((r, i) => h('span', {},
			h('i', { style: 'background:' + COLORS[i % COLORS.length] }), r)),
		h('span', { class: 'muted' }, hist.samples.length + ' samples every ' +
			hist.interval_secs + ' s'));
		drawStack(document.getElementById('chart-cpus'), hist, 'cpus');
		drawStack(document.getElementById('chart-mem'), hist, 'mem');
	},
};

/* ---------------------------------------------------------------- routing */

const VIEWS = { cluster: clusterView, agent: agentView, frameworks: frameworksView,
	tasks: tasksView, task: taskView, marathon: marathonView, jobs: jobsView,
	sharing: sharingView };

async function refresh() {
	clearTimeout(S.timer);
	const v = S.view;
	if (!v || S.busy)
		return;
	S.busy = true;
	try {
		await v.update();
		document.getElementById('status').textContent = 'updated ' +
			new Date().toLocaleTimeString();
	} catch (e) {
		showError(e);
	} finally {
		S.busy = false;
	}
	if (S.view === v) {
		document.body.dataset.ready = String(Number(document.body.dataset.ready || 0) + 1);
		S.timer = setTimeout(refresh, REFRESH_MS);
	}
}

function route() {
	const hash = location.hash.replace(/^#\/?/, '') || 'cluster';
	const [path, qs] = hash.split('?');
	const slash = path.indexOf('/');
	const name = slash < 0 ? path : path.slice(0, slash);
	const arg = slash < 0 ? '' : path.slice(slash + 1);
	const view = VIEWS[name] || clusterView;
	if (S.view && S.view.leave)
		S.view.leave();
	S.view = view;
	S.busy = false;
	clearError();
	document.body.dataset.ready = '0';
	for (const a of document.querySelectorAll('#nav a'))
		a.classList.toggle('on', a.dataset.view === name ||
			(name === 'task' && a.dataset.view === 'tasks') ||
			(name === 'agent' && a.dataset.view === 'cluster'));
	const main = document.getElementById('main');
	main.replaceChildren();
	view.enter(main, decodeURIComponent(arg).includes('/') ? arg : decodeURIComponent(arg),
		new URLSearchParams(qs || ''));
	refresh();
}

window.addEventListener('hashchange', route);
route();

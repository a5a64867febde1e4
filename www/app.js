// linehook settings page: manage a location's webhooks and see their activity.
//
// One module, no framework, no build step. Every piece of text that comes from the API or
// from a user (URLs, descriptions, errors, response bodies) reaches the page only through
// text nodes (el() and textContent); nothing here assigns HTML. The API key is kept in
// sessionStorage and sent as the `apikey` header; there are no cookies.

const KEY_STORE = 'linehook.apikey';
const LOCATION_STORE = 'linehook.location';
const ACCOUNT_WIDE = '';
const EVENT_TYPES = ['visit.created', 'visit.updated', 'visit.removed',
	'location-status.updated', 'message.created', 'message.updated'];
// Operational events: offered for account-wide endpoints only (the API refuses them with locations).
const OPERATIONAL_TYPES = ['webhook.disabled', 'webhook.recovered'];
const VISIT_STATES = ['PENDING', 'DRAFT', 'BOOKED', 'WAITING', 'SERVED', 'COMPLETE'];
const ACTIVITY_LIMIT = 25;
const ACTIVITY_REFRESH_MS = 4000;

const app = document.getElementById('app');
const notice = document.getElementById('notice');
const state = { key: null, account: null, locations: [], location: ACCOUNT_WIDE, timer: null, view: 0 };

// ---- DOM helpers -------------------------------------------------------------------------

// el('p', {className: 'x'}, 'text', child): an element; strings become text nodes.
function el(tag, props, ...children) {
	const node = document.createElement(tag);
	for (const [name, value] of Object.entries(props || {})) {
		if (value === undefined || value === null || value === false) continue;
		if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
		else if (name === 'className' || name === 'textContent' || name === 'value' ||
			name === 'checked' || name === 'disabled' || name === 'hidden') node[name] = value;
		else node.setAttribute(name, value === true ? '' : String(value));
	}
	append(node, children);
	return node;
}

function append(node, children) {
	for (const child of children.flat()) {
		if (child === undefined || child === null || child === false) continue;
		node.append(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
	}
	return node;
}

function clear(node) {
	while (node.firstChild) node.removeChild(node.firstChild);
	return node;
}

let uid = 0;
function nextId(prefix) {
	uid += 1;
	return `${prefix}-${uid}`;
}

let saidAt = 0;
function say(text, kind) {
	saidAt = Date.now();
	notice.textContent = text;
	notice.className = `notice ${kind || 'info'}`;
}

function fmtTime(iso) {
	if (!iso) return '—';
	const d = new Date(iso);
	if (Number.isNaN(d.getTime())) return String(iso);
	return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

function timeEl(iso) {
	return iso ? el('time', { datetime: iso, title: iso }, fmtTime(iso)) : '—';
}

// ---- API ---------------------------------------------------------------------------------

class ApiError extends Error {
	constructor(status, body) {
		const b = body && typeof body === 'object' ? body : {};
		super(b.message || `request failed (HTTP ${status})`);
		this.status = status;
		this.errorCode = b.errorCode || null;
		this.field = b.field || null;
	}
}

async function api(method, path, body, key) {
	const headers = { apikey: key || state.key, Accept: 'application/json' };
	const init = { method, headers, cache: 'no-store', credentials: 'omit' };
	if (body !== undefined) {
		headers['Content-Type'] = 'application/json';
		init.body = JSON.stringify(body);
	}
	let res;
	try {
		res = await fetch(path, init);
	} catch (e) {
		throw new ApiError(0, { message: 'The server could not be reached.' });
	}
	const text = await res.text();
	let json = null;
	try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
	if (!res.ok) {
		if (res.status === 401 && !key) signOut('Your API key is no longer accepted. Sign in again.');
		throw new ApiError(res.status, json);
	}
	return json;
}

// Every page of a list (limit 100, startAfter = the previous page's endAt).
async function apiAll(path) {
	const out = [];
	let after = null;
	for (let page = 0; page < 50; page++) {
		const sep = path.includes('?') ? '&' : '?';
		const q = `${path}${sep}limit=100${after ? `&startAfter=${encodeURIComponent(after)}` : ''}`;
		const res = await api('GET', q);
		const results = (res && res.results) || [];
		out.push(...results);
		if (!res || !res.endAt || results.length < 100) break;
		after = res.endAt;
	}
	return out;
}

// ---- sign in -----------------------------------------------------------------------------

function signOut(message) {
	sessionStorage.removeItem(KEY_STORE);
	state.key = null;
	state.account = null;
	document.getElementById('account').hidden = true;
	location.hash = '';
	renderSignIn(message);
}

function renderSignIn(message) {
	stopTimer();
	const input = el('input', { id: 'apikey', name: 'apikey', type: 'password', autocomplete: 'off',
		spellcheck: 'false', required: true, 'aria-describedby': 'apikey-help apikey-error' });
	const error = el('p', { id: 'apikey-error', className: 'field-error', role: 'alert' }, message || '');
	const form = el('form', { className: 'card signin', novalidate: true },
		el('h2', { tabindex: '-1' }, 'Sign in'),
		el('label', { for: 'apikey' }, 'API key'),
		input,
		el('p', { id: 'apikey-help', className: 'hint' },
			'Paste an API key of your account. It is kept only in this browser tab and sent as the apikey header.'),
		error,
		el('button', { type: 'submit' }, 'Sign in'));
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		const key = input.value.trim();
		if (!key) {
			error.textContent = 'Enter an API key.';
			return;
		}
		error.textContent = '';
		try {
			const account = await api('GET', '/v2/account', undefined, key);
			sessionStorage.setItem(KEY_STORE, key);
			state.key = key;
			await start(account);
		} catch (e) {
			error.textContent = e.status === 401
				? 'This API key was not accepted (wrong or revoked key). Check it and try again.'
				: `Could not sign in: ${e.message}`;
			input.focus();
		}
	});
	clear(app).append(form);
	input.focus();
}

async function start(account) {
	state.account = account;
	document.getElementById('account-name').textContent = `Account: ${account.name}`;
	document.getElementById('account').hidden = false;
	try {
		state.locations = await apiAll('/v2/locations');
	} catch (e) {
		state.locations = [];
		if (e.status !== 404) say(`Could not load the locations: ${e.message}`, 'error');
	}
	const saved = sessionStorage.getItem(LOCATION_STORE);
	const known = state.locations.some((l) => l.id === saved);
	state.location = known ? saved : (state.locations[0] ? state.locations[0].id : ACCOUNT_WIDE);
	route();
}

// ---- routing: #/ (list), #/new (add form), #/webhooks/<id> (an endpoint), #/api-keys --------

function route() {
	if (!state.key) return;
	stopTimer();
	state.view += 1;
	const hash = location.hash.replace(/^#/, '');
	const m = hash.match(/^\/webhooks\/([A-Za-z0-9]{1,64})$/);
	if (m) renderEndpoint(m[1]);
	else if (hash === '/new') renderAdd();
	else if (hash === '/api-keys') renderKeys();
	else renderList();
}

function stopTimer() {
	if (state.timer) clearInterval(state.timer);
	state.timer = null;
}

function focusHeading() {
	const h = app.querySelector('h2');
	if (h) h.focus();
}

function locationName(id) {
	if (id === ACCOUNT_WIDE) return 'Account-wide';
	const l = state.locations.find((x) => x.id === id);
	return l ? l.name : id;
}

function locationPicker() {
	const select = el('select', { id: 'location', name: 'location' },
		el('option', { value: ACCOUNT_WIDE }, 'Account-wide (webhooks of no single location)'),
		state.locations.map((l) => el('option', { value: l.id }, l.name)));
	select.value = state.location;
	select.addEventListener('change', () => {
		state.location = select.value;
		sessionStorage.setItem(LOCATION_STORE, state.location);
		renderList();
	});
	return el('div', { className: 'field inline' }, el('label', { for: 'location' }, 'Location'), select);
}

// ---- endpoint list -----------------------------------------------------------------------

function pacingText(w) {
	const order = w.ordering === 'fifo' ? 'One at a time, in order (FIFO)' : 'Any order';
	return w.rateLimit != null ? `${order}; at most ${w.rateLimit} per second` : `${order}; no rate limit`;
}

function eventTypesText(w) {
	return w.eventTypes && w.eventTypes.length ? w.eventTypes.join(', ') : 'All event types';
}

function statusEl(w) {
	const status = w.status || (w.isActive === false ? 'inactive' : 'active');
	const badge = el('span', { className: `badge ${status}` }, status);
	if (status === 'disabled' && w.disabledReason) {
		return el('span', {}, badge, ' ', el('span', { className: 'reason' }, w.disabledReason));
	}
	return badge;
}

function lastDelivery(stats) {
	if (!stats) return '—';
	const ok = stats.lastSuccessAt ? Date.parse(stats.lastSuccessAt) : 0;
	const bad = stats.lastFailureAt ? Date.parse(stats.lastFailureAt) : 0;
	if (!ok && !bad) return 'None yet';
	const succeeded = ok >= bad;
	return el('span', {}, timeEl(succeeded ? stats.lastSuccessAt : stats.lastFailureAt), ' ',
		el('span', { className: `badge ${succeeded ? 'succeeded' : 'failed'}` }, succeeded ? 'succeeded' : 'failed'));
}

function counts(stats) {
	if (!stats) return '—';
	const s = stats.succeeded24h ?? 0;
	const f = stats.failed24h ?? 0;
	return el('span', {}, el('span', { className: 'count ok' }, `${s} succeeded`), ', ',
		el('span', { className: `count ${f ? 'bad' : ''}` }, `${f} failed`),
		stats.failingSince ? el('span', { className: 'reason' }, ' failing since ', timeEl(stats.failingSince)) : null);
}

async function loadWebhooks() {
	if (state.location === ACCOUNT_WIDE) {
		const all = await apiAll('/v2/webhooks');
		return all.filter((w) => !w.locationIds || w.locationIds.length === 0);
	}
	const list = await apiAll(`/v2/webhooks?locationId=${encodeURIComponent(state.location)}`);
	return list.filter((w) => (w.locationIds || []).includes(state.location));
}

// One banner per endpoint the system disabled (of every location), with the reason and
// Enable; painted into `into` once the account's webhooks are loaded. The endpoint page
// shows the banner without its button (onEnabled null): its own Enable is right below.
async function disabledBanners(into, view) {
	let all;
	try {
		all = await apiAll('/v2/webhooks');
	} catch (e) {
		return;
	}
	if (view !== state.view) return;
	const disabled = all.filter((w) => w.status === 'disabled');
	clear(into).append(...disabled.map((w) => disabledBanner(w, () => renderList())));
}

function disabledBanner(w, onEnabled) {
	const enable = el('button', { type: 'button', onclick: async () => {
		enable.disabled = true;
		try {
			await api('PATCH', `/v2/webhooks/${encodeURIComponent(w.id)}`, { isActive: true });
			say('Endpoint enabled.', 'ok');
			onEnabled();
		} catch (e) {
			enable.disabled = false;
			say(e.message, 'error');
		}
	} }, 'Enable');
	return el('div', { className: 'banner disabled-banner', role: 'alert', 'data-id': w.id },
		el('p', {}, el('strong', {}, 'Endpoint disabled: '), el('span', { className: 'url' }, w.url),
			w.disabledAt ? [' on ', timeEl(w.disabledAt)] : null),
		el('p', { className: 'reason' }, `Reason: ${w.disabledReason || 'not given'}`),
		el('p', { className: 'hint' }, 'No deliveries are sent to it. Fix the endpoint, then enable it again; failed deliveries can be resent from its activity.'),
		onEnabled ? el('div', { className: 'row' }, enable) : null);
}

async function renderList() {
	const view = state.view;
	const body = el('div', { className: 'list-body' }, el('p', { className: 'hint' }, 'Loading…'));
	const banners = el('div', { className: 'banners' });
	clear(app).append(el('section', { className: 'card', 'aria-labelledby': 'list-title' },
		el('div', { className: 'row between' },
			el('h2', { id: 'list-title', tabindex: '-1' }, 'Webhook endpoints'),
			el('div', { className: 'row' },
				el('button', { type: 'button', className: 'secondary', onclick: () => renderList() }, 'Refresh'),
				el('a', { href: '#/api-keys', className: 'button secondary', id: 'api-keys-link' }, 'API keys'),
				el('a', { href: '#/new', className: 'button', id: 'add-endpoint' }, 'Add endpoint'))),
		banners,
		locationPicker(),
		body));
	disabledBanners(banners, view);
	let hooks;
	try {
		hooks = await loadWebhooks();
	} catch (e) {
		if (view !== state.view) return;
		clear(body).append(el('p', { className: 'error', role: 'alert' }, `Could not load the endpoints: ${e.message}`));
		return;
	}
	if (view !== state.view) return;
	clear(body);
	if (!hooks.length) {
		body.append(el('p', { className: 'empty' }, `No endpoints for ${locationName(state.location)} yet. Use Add endpoint to create one.`));
		return;
	}
	const head = ['Endpoint', 'Event types', 'Status', 'Last delivery', 'Last 24 h'];
	body.append(el('table', { className: 'endpoints responsive' },
		el('thead', {}, el('tr', {}, head.map((h) => el('th', { scope: 'col' }, h)))),
		el('tbody', {}, hooks.map((w) => el('tr', { 'data-id': w.id },
			el('td', { 'data-label': 'Endpoint' },
				el('a', { href: `#/webhooks/${w.id}`, className: 'url' }, w.url),
				w.description ? el('div', { className: 'description' }, w.description) : null),
			el('td', { 'data-label': 'Event types' }, eventTypesText(w)),
			el('td', { 'data-label': 'Status' }, statusEl(w)),
			el('td', { 'data-label': 'Last delivery' }, lastDelivery(w.stats)),
			el('td', { 'data-label': 'Last 24 h' }, counts(w.stats)))))));
}

// ---- the endpoint form (add and edit) ------------------------------------------------------

function checkbox(name, value, label, checked) {
	const id = nextId(name);
	return el('div', { className: 'check' },
		el('input', { type: 'checkbox', id, name, value, checked: !!checked }),
		el('label', { for: id }, label));
}

function fieldError(key) {
	return el('p', { className: 'field-error', 'data-error-for': key, role: 'alert' });
}

// OAuth (SPEC §8): the worker gets a bearer token from the endpoint's token server. The
// private key is write-only: the API answers only hasPrivateKey, so an edit shows "key
// stored" and an empty key field keeps the stored one.
function oauthFields(w) {
	const o = (w && w.oAuth) || null;
	const claims = (o && o.claims) || {};
	const useId = nextId('oauth-use');
	const use = el('input', { type: 'checkbox', id: useId, name: 'oauthUse', checked: !!o });
	const text = (label, name, key, value, props) => {
		const id = nextId(name);
		return el('div', { className: 'field' },
			el('label', { for: id }, label),
			el('input', { id, name, type: 'text', autocomplete: 'off', spellcheck: 'false', value: value || '', ...props }),
			fieldError(key));
	};
	const keyId = nextId('oauth-key');
	const keyHint = o && o.hasPrivateKey
		? el('p', { className: 'hint key-stored' }, 'A key is stored (never shown). Leave this empty to keep it, or paste a new key to replace it.')
		: el('p', { className: 'hint' }, 'An unencrypted PEM private key: RSA of at least 2048 bits (RS256) or EC P-256 (ES256).');
	const details = el('div', { className: 'oauth-fields', hidden: !o },
		text('Token URL', 'oauthTokenUrl', 'oAuth.tokenUrl', o && o.tokenUrl, { type: 'url', inputmode: 'url', placeholder: 'https://auth.example.com/oauth/token' }),
		el('div', { className: 'field' },
			el('label', { for: keyId }, 'Private key (PEM)'),
			keyHint,
			el('textarea', { id: keyId, name: 'oauthPrivateKey', rows: '6', autocomplete: 'off', spellcheck: 'false',
				placeholder: '-----BEGIN PRIVATE KEY-----' }),
			fieldError('oAuth.privateKey')),
		text('Expires in (seconds, 60 to 3600)', 'oauthExpiresIn', 'oAuth.expiresIn', String((o && o.expiresIn) || 3600),
			{ type: 'number', min: '60', max: '3600', inputmode: 'numeric' }),
		text('Issuer (iss)', 'oauthIss', 'oAuth.claims.iss', claims.iss),
		text('Subject (sub)', 'oauthSub', 'oAuth.claims.sub', claims.sub),
		text('Audience (aud)', 'oauthAud', 'oAuth.claims.aud', claims.aud),
		text('Scope (optional)', 'oauthScope', 'oAuth.claims.scope', claims.scope));
	use.addEventListener('change', () => { details.hidden = !use.checked; });
	const node = el('fieldset', {},
		el('legend', {}, 'OAuth'),
		el('p', { className: 'hint' }, 'For endpoints that accept only an OAuth access token: linehook signs a JWT with your key, exchanges it at the token URL (JWT bearer grant) and sends the token as Authorization: Bearer.'),
		el('div', { className: 'check' }, use, el('label', { for: useId }, 'Use OAuth for this endpoint')),
		fieldError('oAuth'),
		details);
	// undefined: leave oAuth out of the request; null: remove it; else the object to store.
	const value = (form) => {
		if (!use.checked) return o ? null : undefined;
		const f = form.elements;
		const out = {
			tokenUrl: f.oauthTokenUrl.value.trim(),
			expiresIn: Number(f.oauthExpiresIn.value),
			claims: { iss: f.oauthIss.value, sub: f.oauthSub.value, aud: f.oauthAud.value },
		};
		if (f.oauthScope.value) out.claims.scope = f.oauthScope.value;
		if (f.oauthPrivateKey.value.trim()) out.privateKey = f.oauthPrivateKey.value;
		return out;
	};
	return { node, value };
}

// Custom headers: one row per header (name, value, Remove). A stored value is never
// shown: its row says the masked form and an empty value keeps it (sent as null).
function headersFields(w) {
	const stored = (w && w.headers) || {};
	const rows = el('div', { className: 'header-rows' });
	const addRow = (name, masked) => {
		const nameId = nextId('header-name');
		const valueId = nextId('header-value');
		const row = el('div', { className: 'header-row' },
			el('div', { className: 'field' },
				el('label', { for: nameId }, 'Header name'),
				el('input', { id: nameId, name: 'headerName', type: 'text', autocomplete: 'off', spellcheck: 'false',
					placeholder: 'X-Api-Key', value: name || '' })),
			el('div', { className: 'field' },
				el('label', { for: valueId }, masked ? `Value (stored: ${masked}; empty keeps it)` : 'Value'),
				el('input', { id: valueId, name: 'headerValue', type: 'text', autocomplete: 'off', spellcheck: 'false',
					'data-stored': masked ? name : null })),
			el('button', { type: 'button', className: 'secondary', onclick: () => row.remove() }, 'Remove header'));
		rows.append(row);
		return row;
	};
	for (const [name, masked] of Object.entries(stored)) addRow(name, masked);
	const node = el('fieldset', {},
		el('legend', {}, 'Custom headers'),
		el('p', { className: 'hint' }, 'Sent with every delivery, e.g. the API key of your gateway. At most 10. Values are stored encrypted and never shown again.'),
		rows,
		el('div', { className: 'row' }, el('button', { type: 'button', className: 'secondary', onclick: () => {
			if (rows.children.length < 10) addRow('', null).querySelector('input').focus();
		} }, 'Add header')),
		fieldError('headers'));
	// undefined: leave headers out of the request (nothing stored, nothing added).
	const value = () => {
		const out = {};
		for (const row of rows.children) {
			const name = row.querySelector('input[name=headerName]').value.trim();
			const input = row.querySelector('input[name=headerValue]');
			if (!name && !input.value) continue;
			out[name] = input.value === '' && input.dataset.stored === name ? null : input.value;
		}
		// Unchanged (every stored header kept, none added): left out, so the change names
		// only what the admin changed (the audit log lists the fields sent).
		const names = Object.keys(out);
		const kept = names.length === Object.keys(stored).length && names.every((n) => out[n] === null && n in stored);
		if (kept) return undefined;
		return out;
	};
	return { node, value };
}

// "Use a test inbox" (new endpoints): makes a request inbox of this service and puts its
// URL in the URL field, for integrators without a public endpoint of their own.
function inboxOffer(urlId) {
	const note = el('p', { className: 'hint', role: 'status' });
	const button = el('button', { type: 'button', className: 'secondary', onclick: async () => {
		button.disabled = true;
		try {
			const inbox = await api('POST', '/v2/inboxes', {});
			document.getElementById(urlId).value = inbox.url;
			note.textContent = `A test inbox until ${fmtTime(inbox.expiresAt)}: it keeps the last 50 requests it receives, shown with their signature check on the endpoint's page.`;
		} catch (e) {
			note.textContent = `Could not make a test inbox: ${e.message}`;
		} finally {
			button.disabled = false;
		}
	} }, 'Use a test inbox');
	return el('div', { className: 'row inbox-offer' }, button, note);
}

// The endpoint's test inbox, when its URL is one: the requests it received with the
// server's check of both signatures. Refreshed with the activity; hidden for other URLs.
function inboxPanel(section, url, view) {
	const list = el('div', { className: 'inbox-requests' });
	let inbox = null;
	section.hidden = true;
	section.append(el('h2', { id: 'inbox-title' }, 'Test inbox'),
		el('p', { className: 'hint' }, 'What the test inbox received (newest first), with the signature check made against this endpoint\'s secret.'),
		list);
	const checkText = (c) => {
		if (!c || c.result === 'not ours') return 'not ours (unsigned, or not from this endpoint)';
		if (c.result === 'valid') return 'valid (both signatures)';
		return `invalid (Standard Webhooks ${c.standardWebhooks}, X-Waitwhile-Signature ${c.waitwhile})`;
	};
	const row = (q) => el('tr', { 'data-id': q.id },
		el('td', { 'data-label': 'Received' }, timeEl(q.receivedAt)),
		el('td', { 'data-label': 'Method' }, q.method),
		el('td', { 'data-label': 'Signature check' }, el('span', { className: `check-${(q.signatureCheck || {}).result === 'valid' ? 'ok' : 'bad'}` }, checkText(q.signatureCheck))),
		el('td', { 'data-label': 'Request' }, el('details', {},
			el('summary', {}, `${q.bodyBytes} bytes`),
			el('pre', { className: 'response' }, Object.entries(q.headers || {}).map(([k, v]) => `${k}: ${v}`).join('\n')),
			el('pre', { className: 'response' }, q.bodyEncoding === 'base64' ? `(base64) ${q.body}` : q.body))));
	return async () => {
		if (view !== state.view || inbox === false) return;
		try {
			if (!inbox) inbox = (await apiAll('/v2/inboxes')).find((i) => i.url === url) || false;
			if (!inbox) return;
			const res = await api('GET', `/v2/inboxes/${encodeURIComponent(inbox.id)}/requests?limit=20`);
			if (view !== state.view) return;
			section.hidden = false;
			const reqs = (res && res.results) || [];
			if (list.querySelector('details[open]')) return; // leave an opened request alone
			clear(list).append(reqs.length ? el('table', { className: 'responsive' },
				el('thead', {}, el('tr', {}, ['Received', 'Method', 'Signature check', 'Request'].map((h) => el('th', { scope: 'col' }, h)))),
				el('tbody', {}, reqs.map(row))) : el('p', { className: 'empty' }, 'Nothing received yet.'));
		} catch (e) {
			if (view === state.view && inbox) clear(list).append(el('p', { className: 'error', role: 'alert' }, e.status === 404 ? 'The test inbox expired (inboxes last 24 hours).' : `Could not load the inbox: ${e.message}`));
		}
	};
}

// The form's fields; values() reads them, showErrors() places server errors.
// Delivery order and rate: ordering "none" | "fifo"; rateLimit 1..1000 per second, empty = none.
function pacingFields(w) {
	const orderId = nextId('ordering');
	const rateId = nextId('rate-limit');
	const ordering = (w && w.ordering) || 'none';
	const rate = w && w.rateLimit != null ? String(w.rateLimit) : '';
	return el('fieldset', {},
		el('legend', {}, 'Delivery'),
		el('div', { className: 'field' },
			el('label', { for: orderId }, 'Order'),
			el('select', { id: orderId, name: 'ordering' },
				el('option', { value: 'none', selected: ordering === 'none' }, 'Any order (several at once)'),
				el('option', { value: 'fifo', selected: ordering === 'fifo' }, 'One at a time, in event order (FIFO)')),
			fieldError('ordering')),
		el('div', { className: 'field' },
			el('label', { for: rateId }, 'Rate limit (deliveries per second)'),
			el('input', { id: rateId, name: 'rateLimit', type: 'number', min: '1', max: '1000', step: '1',
				inputmode: 'numeric', placeholder: 'No limit', value: rate }),
			el('p', { className: 'hint' }, '1 to 1000, across all workers. Empty: no limit.'),
			fieldError('rateLimit')));
}

// The rateLimit of the form's text: null when empty; a number (the server judges it) otherwise.
function rateLimitValue(text) {
	const t = text.trim();
	if (t === '') return null;
	const n = Number(t);
	return Number.isFinite(n) ? n : t;
}

function endpointForm(w, submitText, onSubmit) {
	const urlId = nextId('url');
	const descId = nextId('description');
	const activeId = nextId('active');
	const allId = nextId('all-types');
	const types = (w && w.eventTypes) || [];
	const states = (w && w.visitStates) || [];
	const all = el('input', { type: 'checkbox', id: allId, name: 'allTypes', checked: !w || types.length === 0 });
	const offered = EVENT_TYPES.concat(OPERATIONAL_TYPES);
	const typeBoxes = offered.map((t) => checkbox('eventTypes', t, t, types.includes(t)));
	const extraTypes = types.filter((t) => !offered.includes(t));
	const syncTypes = () => {
		for (const box of typeBoxes) box.querySelector('input').disabled = all.checked;
	};
	all.addEventListener('change', syncTypes);
	// Locations: a new endpoint starts with the chosen one; none checked = account-wide.
	const held = w ? (w.locationIds || []) : (state.location === ACCOUNT_WIDE ? [] : [state.location]);
	const unknownLocations = held.filter((id) => !state.locations.some((l) => l.id === id));
	const locationBoxes = state.locations.map((l) => checkbox('locationIds', l.id, l.name, held.includes(l.id)));
	const formError = el('p', { className: 'error form-error', role: 'alert' });
	const oauth = oauthFields(w);
	const headers = headersFields(w);
	const pacing = pacingFields(w);
	const form = el('form', { className: 'endpoint-form', novalidate: true },
		el('div', { className: 'field' },
			el('label', { for: urlId }, 'Endpoint URL'),
			el('input', { id: urlId, name: 'url', type: 'url', inputmode: 'url', required: true, autocomplete: 'off',
				spellcheck: 'false', placeholder: 'https://example.com/webhooks', value: w ? w.url : '' }),
			w ? null : inboxOffer(urlId),
			fieldError('url')),
		el('div', { className: 'field' },
			el('label', { for: descId }, 'Description'),
			el('input', { id: descId, name: 'description', type: 'text', maxlength: '200', value: (w && w.description) || '' }),
			fieldError('description')),
		el('fieldset', {},
			el('legend', {}, 'Event types'),
			el('div', { className: 'check' }, all, el('label', { for: allId }, 'Send all event types')),
			el('div', { className: 'checks' }, typeBoxes),
			extraTypes.length ? el('p', { className: 'hint' }, `Also subscribed: ${extraTypes.join(', ')} (kept on save).`) : null,
			fieldError('eventTypes')),
		el('fieldset', {},
			el('legend', {}, 'Visit states'),
			el('p', { className: 'hint' }, 'Visit events only for visits in these states. None checked: every state.'),
			el('div', { className: 'checks' }, VISIT_STATES.map((s) => checkbox('visitStates', s, s, states.includes(s)))),
			fieldError('visitStates')),
		locationBoxes.length ? el('fieldset', {},
			el('legend', {}, 'Locations'),
			el('p', { className: 'hint' }, 'Events of these locations. None checked: account-wide (every location).'),
			el('div', { className: 'checks names' }, locationBoxes),
			fieldError('locationIds')) : fieldError('locationIds'),
		el('div', { className: 'check' },
			el('input', { type: 'checkbox', id: activeId, name: 'isActive', checked: !w || w.isActive !== false }),
			el('label', { for: activeId }, 'Active'),
			fieldError('isActive')),
		headers.node,
		pacing,
		oauth.node,
		formError,
		el('div', { className: 'row' }, el('button', { type: 'submit' }, submitText)));
	syncTypes();
	form.values = () => {
		const chosen = [...form.querySelectorAll('input[name=eventTypes]:checked')].map((i) => i.value);
		const oAuth = oauth.value(form);
		const hv = headers.value();
		return {
			...(oAuth === undefined ? {} : { oAuth }),
			...(hv === undefined ? {} : { headers: hv }),
			url: form.elements.url.value.trim(),
			description: form.elements.description.value,
			eventTypes: all.checked ? [] : chosen.concat(extraTypes),
			visitStates: [...form.querySelectorAll('input[name=visitStates]:checked')].map((i) => i.value),
			isActive: form.elements.isActive.checked,
			ordering: form.elements.ordering.value,
			rateLimit: rateLimitValue(form.elements.rateLimit.value),
			locationIds: [...form.querySelectorAll('input[name=locationIds]:checked')].map((i) => i.value).concat(unknownLocations),
		};
	};
	form.showErrors = (e) => {
		for (const p of form.querySelectorAll('[data-error-for]')) p.textContent = '';
		formError.textContent = '';
		if (!e) return;
		const key = e.field ? e.field.replace(/\[.*$/, '') : '';
		// headers.X-Api-Key has no slot of its own: the message (which names it) goes to headers.
		const slot = key ? form.querySelector(`[data-error-for="${CSS.escape(key)}"]`) ||
			form.querySelector(`[data-error-for="${CSS.escape(key.split('.')[0])}"]`) : null;
		if (slot) {
			slot.textContent = e.message;
			const input = slot.parentElement.querySelector('input:not([disabled]), textarea, select');
			if (input) {
				input.setAttribute('aria-invalid', 'true');
				input.focus();
			}
		} else {
			formError.textContent = e.field ? `${e.field}: ${e.message}` : e.message;
		}
	};
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		for (const i of form.querySelectorAll('[aria-invalid]')) i.removeAttribute('aria-invalid');
		const v = form.values();
		if (!all.checked && v.eventTypes.length === 0) {
			form.showErrors({ field: 'eventTypes', message: 'Choose at least one event type, or Send all event types.' });
			return;
		}
		form.showErrors(null);
		const button = form.querySelector('button[type=submit]');
		button.disabled = true;
		try {
			await onSubmit(v);
		} catch (err) {
			form.showErrors(err);
		} finally {
			button.disabled = false;
		}
	});
	return form;
}

function renderAdd() {
	const where = locationName(state.location);
	const form = endpointForm(null, 'Create endpoint', async (v) => {
		const body = { ...v };
		if (!body.description) delete body.description;
		const created = await api('POST', '/v2/webhooks', body);
		location.hash = '#/';
		showSecret('Endpoint created', created, `The endpoint ${created.url} was created.`);
		say('Endpoint created.', 'ok');
	});
	clear(app).append(el('section', { className: 'card', 'aria-labelledby': 'add-title' },
		el('a', { href: '#/', className: 'back' }, '← Back to endpoints'),
		el('h2', { id: 'add-title', tabindex: '-1' }, 'Add endpoint'),
		el('p', { className: 'hint' }, `For: ${where}`),
		form));
	focusHeading();
}

// ---- the secret dialog: the only place a secret is ever shown --------------------------------

function showSecret(title, answer, lead) {
	const secretId = nextId('secret');
	const stdId = nextId('std-secret');
	const status = el('p', { className: 'hint', role: 'status' });
	const copy = (input) => async () => {
		input.select();
		let done = false;
		try {
			await navigator.clipboard.writeText(input.value);
			done = true;
		} catch (e) {
			done = document.execCommand && document.execCommand('copy');
		}
		status.textContent = done ? 'Copied to the clipboard.' : 'Select the text and copy it.';
	};
	const secretInput = el('input', { id: secretId, type: 'text', readonly: true, value: answer.secret || '', className: 'secret' });
	const stdInput = el('input', { id: stdId, type: 'text', readonly: true, value: answer.standardSecret || '', className: 'secret' });
	const dialog = el('dialog', { className: 'secret-dialog', 'aria-labelledby': `${secretId}-title` },
		el('h2', { id: `${secretId}-title` }, title),
		lead ? el('p', {}, lead) : null,
		el('p', { className: 'warning' }, 'This signing secret is shown only once. Copy it now: it can never be shown again.'),
		el('label', { for: secretId }, 'Signing secret'),
		el('div', { className: 'row' }, secretInput, el('button', { type: 'button', onclick: copy(secretInput) }, 'Copy secret')),
		answer.standardSecret ? [
			el('label', { for: stdId }, 'Standard Webhooks secret (whsec_)'),
			el('div', { className: 'row' }, stdInput, el('button', { type: 'button', onclick: copy(stdInput) }, 'Copy whsec_ secret')),
		] : null,
		status,
		el('div', { className: 'row end' }, el('button', { type: 'button', className: 'secondary', onclick: () => dialog.close() }, 'Done')));
	// Closing (Done or Escape) removes the secret from the page for good.
	dialog.addEventListener('close', () => {
		secretInput.value = '';
		stdInput.value = '';
		dialog.remove();
		focusHeading();
	});
	document.body.append(dialog);
	dialog.showModal();
	secretInput.focus();
	secretInput.select();
}

function confirmDialog(title, text, confirmText) {
	return new Promise((resolve) => {
		let ok = false;
		const dialog = el('dialog', { className: 'confirm-dialog' },
			el('h2', {}, title),
			el('p', {}, text),
			el('div', { className: 'row end' },
				el('button', { type: 'button', className: 'secondary', onclick: () => dialog.close() }, 'Cancel'),
				el('button', { type: 'button', className: 'danger', onclick: () => { ok = true; dialog.close(); } }, confirmText)));
		dialog.addEventListener('close', () => {
			dialog.remove();
			resolve(ok);
		});
		document.body.append(dialog);
		dialog.showModal();
		dialog.querySelector('button.secondary').focus();
	});
}

// ---- an endpoint's page ----------------------------------------------------------------------

async function renderEndpoint(id) {
	const view = state.view;
	clear(app).append(el('section', { className: 'card' },
		el('a', { href: '#/', className: 'back' }, '← Back to endpoints'),
		el('h2', { tabindex: '-1' }, 'Endpoint'), el('p', { className: 'hint' }, 'Loading…')));
	let w;
	try {
		w = await api('GET', `/v2/webhooks/${encodeURIComponent(id)}`);
	} catch (e) {
		if (view !== state.view) return;
		clear(app).append(el('section', { className: 'card' },
			el('a', { href: '#/', className: 'back' }, '← Back to endpoints'),
			el('h2', { tabindex: '-1' }, 'Endpoint'),
			el('p', { className: 'error', role: 'alert' },
				e.status === 404 ? 'This endpoint does not exist (it may have been deleted).' : `Could not load the endpoint: ${e.message}`)));
		focusHeading();
		return;
	}
	if (view !== state.view) return;
	const summary = el('div', { className: 'summary' });
	const actions = el('div', { className: 'row actions' });
	const activity = el('section', { className: 'card', 'aria-labelledby': 'activity-title' });
	const history = el('section', { className: 'card', 'aria-labelledby': 'history-title' });
	const form = endpointForm(w, 'Save', async (v) => {
		const updated = await api('PATCH', `/v2/webhooks/${encodeURIComponent(w.id)}`, v);
		w = updated;
		paint();
		say('Saved.', 'ok');
	});
	const paint = () => {
		append(clear(summary), [
			w.status === 'disabled' ? disabledBanner(w, null) : null,
			el('p', { className: 'url big' }, w.url),
			w.description ? el('p', { className: 'description' }, w.description) : null,
			el('dl', { className: 'facts' },
				el('dt', {}, 'Status'), el('dd', {}, statusEl(w)),
				el('dt', {}, 'Locations'), el('dd', {}, (w.locationIds || []).length ? w.locationIds.map(locationName).join(', ') : 'Account-wide'),
				el('dt', {}, 'Event types'), el('dd', {}, eventTypesText(w)),
				el('dt', {}, 'Visit states'), el('dd', {}, (w.visitStates || []).length ? w.visitStates.join(', ') : 'All states'),
				el('dt', {}, 'Delivery'), el('dd', { className: 'pacing-summary' }, pacingText(w)),
				el('dt', {}, 'OAuth'), el('dd', { className: 'oauth-summary' }, w.oAuth
					? `Token from ${w.oAuth.tokenUrl}${w.oAuth.hasPrivateKey ? ', key stored' : ', no key'}` : 'Not used'),
				el('dt', {}, 'Last delivery'), el('dd', {}, lastDelivery(w.stats)),
				el('dt', {}, 'Last 24 h'), el('dd', {}, counts(w.stats)),
				el('dt', {}, 'Created'), el('dd', {}, timeEl(w.created)))]);
		const status = w.status || (w.isActive === false ? 'inactive' : 'active');
		clear(actions).append(
			el('button', { type: 'button', onclick: () => run(async () => {
				await api('POST', `/v2/webhooks/${encodeURIComponent(w.id)}/test`, {});
				say('Test event sent. It appears under Endpoint activity shortly.', 'ok');
				refreshActivity();
			}) }, 'Send test event'),
			status === 'active'
				? el('button', { type: 'button', className: 'secondary', onclick: () => run(() => setActive(false)) }, 'Disable')
				: el('button', { type: 'button', className: 'secondary', onclick: () => run(() => setActive(true)) }, 'Enable'),
			el('button', { type: 'button', className: 'secondary', onclick: () => run(rotate) }, 'Rotate secret'),
			el('button', { type: 'button', className: 'danger', onclick: () => run(remove) }, 'Delete'));
	};
	const run = async (fn) => {
		try {
			await fn();
		} catch (e) {
			say(e.message, 'error');
		}
	};
	const setActive = async (on) => {
		w = await api('PATCH', `/v2/webhooks/${encodeURIComponent(w.id)}`, { isActive: on });
		paint();
		form.elements.isActive.checked = on;
		say(on ? 'Endpoint enabled.' : 'Endpoint disabled: no deliveries until it is enabled again.', 'ok');
		actions.querySelector('button:nth-child(2)').focus();
	};
	const rotate = async () => {
		const answer = await api('POST', `/v2/webhooks/${encodeURIComponent(w.id)}/rotate-secret`, {});
		showSecret('Secret rotated', answer, 'The previous secret keeps signing beside the new one during the overlap (24 hours by default).');
	};
	const remove = async () => {
		const yes = await confirmDialog('Delete this endpoint?', `${w.url} will stop receiving events, and its activity is deleted. This can't be undone.`, 'Delete endpoint');
		if (!yes) return;
		await api('DELETE', `/v2/webhooks/${encodeURIComponent(w.id)}`);
		location.hash = '#/';
		say('Endpoint deleted.', 'ok');
	};
	const inboxSection = el('section', { className: 'card', 'aria-labelledby': 'inbox-title' });
	const refreshInbox = inboxPanel(inboxSection, w.url, view);
	const refreshActivity = activityPanel(activity, w.id, view, async () => {
		refreshInbox();
		try {
			w = await api('GET', `/v2/webhooks/${encodeURIComponent(w.id)}`);
			if (view === state.view && !actions.contains(document.activeElement)) paint();
		} catch (e) { /* the activity panel shows errors */ }
	});
	paint();
	refreshInbox();
	clear(app).append(
		el('section', { className: 'card', 'aria-labelledby': 'endpoint-title' },
			el('a', { href: '#/', className: 'back' }, '← Back to endpoints'),
			el('h2', { id: 'endpoint-title', tabindex: '-1' }, 'Endpoint'),
			summary, actions),
		activity,
		inboxSection,
		el('section', { className: 'card', 'aria-labelledby': 'edit-title' },
			el('h2', { id: 'edit-title' }, 'Configuration'), form),
		history);
	historyPanel(history, w.id, view);
	focusHeading();
}

// ---- an endpoint's history: its audit log entries, newest first ---------------------------------

const ACTION_TEXT = {
	'webhook.created': 'Created', 'webhook.updated': 'Changed', 'webhook.deleted': 'Deleted',
	'webhook.secret_rotated': 'Secret rotated', 'webhook.tested': 'Test event sent',
	'webhook.delivery_resent': 'Delivery resent', 'webhook.recovered': 'Failed deliveries recovered',
	'api_key.created': 'API key created', 'api_key.revoked': 'API key revoked',
};

function auditDetails(e) {
	const d = e.details || {};
	if (Array.isArray(d.fields)) return d.fields.length ? `Fields: ${d.fields.join(', ')}` : 'No field changed';
	if (d.deliveryId) return `Delivery ${d.deliveryId}`;
	if (d.since) return `Failed since ${fmtTime(d.since)}`;
	if (d.name) return `Key "${d.name}"`;
	return '—';
}

function auditActor(e) {
	const a = e.actor || {};
	return a.type === 'cli' ? 'Command line' : `${a.keyName || '—'} (${a.keyId || '—'})`;
}

function historyPanel(section, id, view) {
	const body = el('div', { className: 'history' }, el('p', { className: 'hint' }, 'Loading…'));
	const load = async () => {
		let res;
		try {
			res = await api('GET', `/v2/audit-log?targetId=${encodeURIComponent(id)}&limit=${ACTIVITY_LIMIT}`);
		} catch (e) {
			if (view === state.view) clear(body).append(el('p', { className: 'error', role: 'alert' }, `Could not load the history: ${e.message}`));
			return;
		}
		if (view !== state.view) return;
		const entries = (res && res.results) || [];
		clear(body).append(entries.length ? el('table', { className: 'audit responsive' },
			el('thead', {}, el('tr', {}, ['When', 'Change', 'Details', 'By', 'From'].map((h) => el('th', { scope: 'col' }, h)))),
			el('tbody', {}, entries.map((e) => el('tr', { 'data-action': e.action },
				el('td', { 'data-label': 'When' }, timeEl(e.created)),
				el('td', { 'data-label': 'Change' }, ACTION_TEXT[e.action] || e.action),
				el('td', { 'data-label': 'Details' }, auditDetails(e)),
				el('td', { 'data-label': 'By' }, auditActor(e)),
				el('td', { 'data-label': 'From' }, e.remoteAddr || '—')))))
			: el('p', { className: 'empty' }, 'No changes recorded.'));
	};
	append(clear(section), [
		el('div', { className: 'row between' },
			el('h2', { id: 'history-title' }, 'History'),
			el('button', { type: 'button', className: 'secondary small', onclick: load }, 'Refresh history')),
		body]);
	load();
}

// ---- API keys: list, create (the key shown once), revoke ------------------------------------------

function showKey(answer) {
	const keyId = nextId('new-key');
	const input = el('input', { id: keyId, type: 'text', readonly: true, value: answer.key, className: 'secret' });
	const dialog = el('dialog', { className: 'secret-dialog', 'aria-labelledby': `${keyId}-title` },
		el('h2', { id: `${keyId}-title` }, 'API key created'),
		el('p', { className: 'warning' }, 'This API key is shown only once. Copy it now: it can never be shown again.'),
		el('label', { for: keyId }, `API key "${answer.name}"`),
		el('div', { className: 'row' }, input),
		el('div', { className: 'row end' }, el('button', { type: 'button', className: 'secondary', onclick: () => dialog.close() }, 'Done')));
	dialog.addEventListener('close', () => {
		input.value = '';
		dialog.remove();
		focusHeading();
	});
	document.body.append(dialog);
	dialog.showModal();
	input.focus();
	input.select();
}

async function renderKeys() {
	const view = state.view;
	const body = el('div', { className: 'keys-body' }, el('p', { className: 'hint' }, 'Loading…'));
	const nameId = nextId('key-name');
	const expiresId = nextId('key-expires');
	const nameError = el('p', { className: 'field-error', id: `${nameId}-error`, role: 'alert' });
	const expiresError = el('p', { className: 'field-error', id: `${expiresId}-error`, role: 'alert' });
	const form = el('form', { className: 'key-form', novalidate: true },
		el('div', { className: 'field' }, el('label', { for: nameId }, 'Name'),
			el('input', { id: nameId, name: 'name', type: 'text', maxlength: '100', required: true, 'aria-describedby': `${nameId}-error` }), nameError),
		el('div', { className: 'field' }, el('label', { for: expiresId }, 'Expires (optional, UTC)'),
			el('input', { id: expiresId, name: 'expiresAt', type: 'datetime-local', 'aria-describedby': `${expiresId}-error` }), expiresError),
		el('div', { className: 'row' }, el('button', { type: 'submit' }, 'Create key')));
	const load = async () => {
		let keys;
		try {
			keys = await apiAll('/v2/api-keys');
		} catch (e) {
			if (view === state.view) clear(body).append(el('p', { className: 'error', role: 'alert' }, `Could not load the keys: ${e.message}`));
			return;
		}
		if (view !== state.view) return;
		clear(body).append(el('table', { className: 'keys responsive' },
			el('thead', {}, el('tr', {}, ['Name', 'Starts with', 'Created', 'Last used', 'Expires', 'Actions'].map((h) => el('th', { scope: 'col' }, h)))),
			el('tbody', {}, keys.map((k) => el('tr', { 'data-id': k.id },
				el('td', { 'data-label': 'Name' }, k.name),
				el('td', { 'data-label': 'Starts with' }, k.prefix ? `${k.prefix}…` : '—'),
				el('td', { 'data-label': 'Created' }, timeEl(k.created)),
				el('td', { 'data-label': 'Last used' }, k.lastUsedAt ? timeEl(k.lastUsedAt) : 'Never'),
				el('td', { 'data-label': 'Expires' }, k.expiresAt ? timeEl(k.expiresAt) : 'Never'),
				el('td', { 'data-label': 'Actions' }, el('button', { type: 'button', className: 'danger small',
					'aria-label': `Revoke key ${k.name}`, onclick: () => revoke(k) }, 'Revoke')))))));
	};
	const revoke = async (k) => {
		const yes = await confirmDialog('Revoke this API key?', `Requests with the key "${k.name}" are refused within a second. This can't be undone.`, 'Revoke key');
		if (!yes) return;
		try {
			await api('DELETE', `/v2/api-keys/${encodeURIComponent(k.id)}`);
			say(`Key "${k.name}" revoked.`, 'ok');
		} catch (e) {
			say(e.message, 'error');
		}
		if (state.key) load();
	};
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		nameError.textContent = '';
		expiresError.textContent = '';
		const v = { name: form.elements.name.value };
		if (form.elements.expiresAt.value) v.expiresAt = `${form.elements.expiresAt.value.length === 16 ? `${form.elements.expiresAt.value}:00` : form.elements.expiresAt.value}Z`;
		try {
			const answer = await api('POST', '/v2/api-keys', v);
			form.reset();
			showKey(answer);
			load();
		} catch (e) {
			const target = e.field === 'expiresAt' ? expiresError : nameError;
			target.textContent = e.message;
		}
	});
	clear(app).append(
		el('section', { className: 'card', 'aria-labelledby': 'keys-title' },
			el('a', { href: '#/', className: 'back' }, '← Back to endpoints'),
			el('h2', { id: 'keys-title', tabindex: '-1' }, 'API keys'),
			el('p', { className: 'hint' }, 'Keys of this account. A key is shown once, when it is created; the account keeps at least one.'),
			body),
		el('section', { className: 'card', 'aria-labelledby': 'new-key-title' },
			el('h2', { id: 'new-key-title' }, 'Create a key'), form));
	focusHeading();
	load();
}

// ---- Endpoint activity: deliveries, their attempts, resend ------------------------------------

function activityPanel(section, id, view, onRefresh) {
	const base = `/v2/webhooks/${encodeURIComponent(id)}/deliveries`;
	const errorsOnly = el('input', { type: 'checkbox', id: 'errors-only', name: 'errorsOnly' });
	const table = el('div', { className: 'deliveries' });
	const detail = el('div', { className: 'delivery-detail', 'aria-live': 'polite' });
	let openId = null;
	const refresh = async () => {
		if (view !== state.view) return;
		let list;
		try {
			list = errorsOnly.checked ? await failures() : ((await api('GET', `${base}?limit=${ACTIVITY_LIMIT}`)) || {}).results || [];
		} catch (e) {
			if (view === state.view) clear(table).append(el('p', { className: 'error', role: 'alert' }, `Could not load the activity: ${e.message}`));
			return;
		}
		if (view !== state.view) return;
		paintTable(list);
		if (openId) showDelivery(openId, false);
	};
	// Errors only: the failed deliveries (retries exhausted) and the pending ones whose last
	// attempt failed (waiting for a retry), newest first.
	const failures = async () => {
		const [failed, pending] = await Promise.all([
			api('GET', `${base}?status=failed&limit=${ACTIVITY_LIMIT}`),
			api('GET', `${base}?status=pending&limit=100`)]);
		const retrying = ((pending && pending.results) || []).filter((d) => d.lastError || (d.lastStatusCode && d.lastStatusCode >= 300));
		const all = ((failed && failed.results) || []).concat(retrying);
		const when = (d) => Date.parse(d.created || d.lastAttemptAt || 0) || 0;
		return all.sort((a, b) => when(b) - when(a)).slice(0, ACTIVITY_LIMIT);
	};
	const paintTable = (list) => {
		if (!list.length) {
			clear(table).append(el('p', { className: 'empty' }, errorsOnly.checked ? 'No failed deliveries.' : 'No deliveries yet.'));
			return;
		}
		const head = ['Time', 'Event type', 'Status', 'Status code', 'Duration', 'Error', ''];
		clear(table).append(el('table', { className: 'responsive' },
			el('thead', {}, el('tr', {}, head.map((h) => el('th', { scope: 'col' }, h)))),
			el('tbody', {}, list.map((d) => el('tr', { 'data-id': d.id, className: openId === d.id ? 'open' : '' },
				el('td', { 'data-label': 'Time' }, timeEl(d.lastAttemptAt || d.created || d.nextAttemptAt)),
				el('td', { 'data-label': 'Event type' }, d.eventType || '—'),
				el('td', { 'data-label': 'Status' }, el('span', { className: `badge ${d.status}` }, d.status || '—'),
					d.attempts ? ` (${d.attempts} attempt${d.attempts === 1 ? '' : 's'})` : ''),
				el('td', { 'data-label': 'Status code' }, d.lastStatusCode ? String(d.lastStatusCode) : '—'),
				el('td', { 'data-label': 'Duration' }, durationText(d.lastDurationMs ?? d.durationMs)),
				el('td', { 'data-label': 'Error', className: 'error-cell' }, d.lastError || ''),
				el('td', { 'data-label': 'Actions', className: 'row-actions' },
					el('button', { type: 'button', className: 'secondary small', 'aria-label': `Attempts of ${d.eventType || 'delivery'} ${d.id}`,
						onclick: () => showDelivery(d.id, true) }, 'Attempts'),
					el('button', { type: 'button', className: 'secondary small', 'aria-label': `Resend ${d.eventType || 'delivery'} ${d.id}`,
						onclick: () => resend(d.id) }, 'Resend')))))));
	};
	const showDelivery = async (deliveryId, focus) => {
		openId = deliveryId;
		let d;
		try {
			d = await api('GET', `${base}/${encodeURIComponent(deliveryId)}`);
		} catch (e) {
			clear(detail).append(el('p', { className: 'error', role: 'alert' }, `Could not load the delivery: ${e.message}`));
			return;
		}
		if (view !== state.view) return;
		// The attempts: `attemptHistory` (beside the `attempts` count); an array `attempts` also works.
		const attempts = Array.isArray(d.attemptHistory) ? d.attemptHistory : (Array.isArray(d.attempts) ? d.attempts : []);
		const heading = el('h3', { tabindex: '-1' }, `Attempts of ${d.eventType || 'delivery'} ${d.id}`);
		clear(detail).append(el('div', { className: 'attempts' },
			el('div', { className: 'row between' }, heading,
				el('div', { className: 'row' },
					el('button', { type: 'button', className: 'small', onclick: () => resend(d.id) }, 'Resend'),
					el('button', { type: 'button', className: 'secondary small', onclick: () => { openId = null; clear(detail); } }, 'Close'))),
			el('p', { className: 'hint' }, `Event ${d.eventId || '—'}, status ${d.status || '—'}`,
				d.nextAttemptAt ? [', next attempt ', timeEl(d.nextAttemptAt)] : ''),
			attempts.length ? el('ol', { className: 'attempt-list' }, attempts.map((a) => el('li', {},
				el('div', { className: 'attempt-head' },
					timeEl(a.at), ' · ', a.trigger || 'scheduled', ' · ',
					a.statusCode ? `HTTP ${a.statusCode}` : 'no response', ' · ', durationText(a.durationMs)),
				a.error ? el('p', { className: 'error-text' }, a.error) : null,
				el('details', { open: true }, el('summary', {}, 'Response body'),
					el('pre', { className: 'response' }, a.responseBody ? a.responseBody : '(empty)')))))
				: el('p', { className: 'empty' }, 'No attempt yet.')));
		if (focus) heading.focus();
	};
	const resend = async (deliveryId) => {
		try {
			await api('POST', `${base}/${encodeURIComponent(deliveryId)}/resend`, {});
			say('Resend queued: a new attempt is made now.', 'ok');
			setTimeout(refresh, 800);
		} catch (e) {
			say(`Could not resend: ${e.message}`, 'error');
		}
	};
	errorsOnly.addEventListener('change', refresh);
	append(clear(section), [
		el('div', { className: 'row between' },
			el('h2', { id: 'activity-title' }, 'Endpoint activity'),
			el('div', { className: 'row' },
				el('div', { className: 'check' }, errorsOnly, el('label', { for: 'errors-only' }, 'Errors only')),
				el('button', { type: 'button', className: 'secondary small', onclick: () => { refresh(); onRefresh(); } }, 'Refresh'))),
		table, detail]);
	refresh();
	// Refreshes in place; skipped while the keyboard focus is inside the table (no jumps).
	state.timer = setInterval(() => {
		if (document.hidden || table.contains(document.activeElement)) return;
		refresh();
		onRefresh();
	}, ACTIVITY_REFRESH_MS);
	return refresh;
}

function durationText(ms) {
	return typeof ms === 'number' ? `${ms} ms` : '—';
}

// ---- start -------------------------------------------------------------------------------

document.getElementById('sign-out').addEventListener('click', () => signOut('Signed out.'));
window.addEventListener('hashchange', () => {
	if (Date.now() - saidAt > 1500) say('');
	route();
});

(async () => {
	const key = sessionStorage.getItem(KEY_STORE);
	if (!key) {
		renderSignIn();
		return;
	}
	try {
		const account = await api('GET', '/v2/account', undefined, key);
		state.key = key;
		await start(account);
	} catch (e) {
		if (e.status === 401) signOut('The saved API key is no longer accepted. Sign in again.');
		else renderSignIn(`Could not reach the API: ${e.message}`);
	}
})();

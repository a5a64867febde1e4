// Browser tests of the settings page: playwright-core driving Debian's Chromium (headless)
// against the running test stack (scripts/test.sh starts it; its URL, var dir and build dir
// arrive as WH_HTTP_PORT, WH_VAR, WH_BUILD). Real API, real database, real worker, and a real
// HTTP receiver on loopback. One browser for the whole suite; one context per case.
// Prints "ok   browser/<case>" or "FAIL browser/<case>" per case and "browser: N passed, N failed".
// Screenshots of the main views go to $WH_BROWSER_ARTIFACTS (default tests/browser/artifacts).
//   node tests/browser/run.mjs [case-name-substring ...]
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const env = process.env;
const BASE = env.WH_BROWSER_BASE || `http://127.0.0.1:${env.WH_HTTP_PORT || 8080}`;
const VAR = env.WH_VAR || path.join(root, 'var');
const BUILD = env.WH_BUILD || path.join(root, 'build');
const ARTIFACTS = env.WH_BROWSER_ARTIFACTS || path.join(here, 'artifacts');
const XSS = '<img src=x onerror="window.__xss=1;alert(1)">';

// ---- helpers -----------------------------------------------------------------------------

function assert(cond, msg) {
	if (!cond) throw new Error(`assertion failed: ${msg}`);
}

function cli(...args) {
	return execFileSync(path.join(BUILD, 'webhooks-api'), ['--config', path.join(VAR, 'webhooks.conf'), ...args],
		{ encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

function newAccount(name = 'browser test') {
	const id = cli('create-account', name);
	return { id, key: cli('create-key', id) };
}

async function api(key, method, p, body) {
	const headers = { apikey: key };
	if (body !== undefined) headers['Content-Type'] = 'application/json';
	const res = await fetch(BASE + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
	const text = await res.text();
	let json = null;
	try { json = text ? JSON.parse(text) : null; } catch { json = null; }
	return { status: res.status, json, text, headers: res.headers };
}

async function must(key, method, p, body, status) {
	const r = await api(key, method, p, body);
	assert(status ? r.status === status : r.status < 300, `${method} ${p} answered ${r.status} ${r.text.slice(0, 300)}`);
	return r.json;
}

async function waitFor(fn, timeoutMs = 20000, what = 'condition') {
	const end = Date.now() + timeoutMs;
	for (;;) {
		const v = await fn();
		if (v) return v;
		if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 150));
	}
}

// A real HTTP receiver on loopback; behaviour per path: /ok answers 200, /fail answers 500
// with an HTML-looking body (the XSS probe) except to webhook.test events (200), /gone
// answers 410 (the worker disables the webhook), anything else 204.
function startReceiver() {
	const requests = [];
	const server = http.createServer((req, res) => {
		const chunks = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => {
			requests.push({ path: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
			const type = (() => { try { return JSON.parse(Buffer.concat(chunks).toString('utf8')).type; } catch { return null; } })();
			if (req.url.startsWith('/fail') && type !== 'webhook.test') {
				res.writeHead(500, { 'Content-Type': 'text/html' });
				res.end(`upstream exploded ${XSS}`);
			} else if (req.url.startsWith('/gone')) {
				res.writeHead(410, { 'Content-Type': 'text/plain' });
				res.end('gone');
			} else if (req.url.startsWith('/ok') || req.url.startsWith('/fail')) {
				res.writeHead(200, { 'Content-Type': 'text/plain' });
				res.end('thanks');
			} else {
				res.writeHead(204);
				res.end();
			}
		});
	});
	return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
		const port = server.address().port;
		resolve({ requests, url: (p) => `http://127.0.0.1:${port}${p}`, close: () => server.close() });
	}));
}

let browser;
let receiver;

// A signed-in page in a fresh context; collects page errors, dialogs and CSP reports.
async function open(key, opts = {}) {
	const context = await browser.newContext({ viewport: opts.viewport || { width: 1280, height: 900 } });
	context.setDefaultTimeout(15000);
	const page = await context.newPage();
	page.problems = [];
	page.on('pageerror', (e) => page.problems.push(`pageerror: ${e.message}`));
	page.on('dialog', (d) => { page.problems.push(`dialog: ${d.message()}`); d.dismiss().catch(() => {}); });
	page.on('console', (m) => {
		const t = m.text();
		if (m.type() === 'error' && !/Failed to load resource/.test(t)) page.problems.push(`console: ${t}`);
	});
	await page.goto(`${opts.base || BASE}/`);
	if (key) {
		await page.getByLabel('API key').fill(key);
		await page.getByRole('button', { name: 'Sign in' }).click();
		await page.locator('#account-name').filter({ hasText: 'Account:' }).waitFor();
	}
	return { context, page };
}

async function clean(page) {
	const flag = await page.evaluate(() => window.__xss);
	assert(flag === undefined, 'injected markup executed (window.__xss set)');
	assert(page.problems.length === 0, `page problems: ${page.problems.join(' | ')}`);
	// Every control has a visible label: a <label> for inputs and selects, text for buttons.
	const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea, button, a[href]')]
		.filter((c) => c.offsetParent !== null)
		.filter((c) => (/^(INPUT|SELECT|TEXTAREA)$/.test(c.tagName)
			? ![...c.labels].some((l) => l.textContent.trim() && l.offsetParent !== null) : !c.textContent.trim()))
		.map((c) => c.outerHTML.slice(0, 120)));
	assert(unlabelled.length === 0, `controls without a visible label: ${unlabelled.join(' | ')}`);
	const text = await page.locator('body').innerText();
	assert(!/\b(null|undefined|NaN|\[object Object\])\b/.test(text), `no raw null/undefined shown: ${text.slice(0, 400)}`);
}

async function shot(page, name) {
	fs.mkdirSync(ARTIFACTS, { recursive: true });
	await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

async function newLocation(key, name) {
	return must(key, 'POST', '/v2/locations', { name, timezone: 'Europe/Stockholm' });
}

async function selectLocation(page, id) {
	await page.getByLabel('Location').selectOption(id);
}

async function addEndpoint(page, { url, description, types, states, active = true }) {
	await page.getByRole('link', { name: 'Add endpoint' }).click();
	await page.getByLabel('Endpoint URL').fill(url);
	if (description) await page.getByLabel('Description').fill(description);
	if (types) {
		await page.getByLabel('Send all event types').uncheck();
		for (const t of types) await page.getByLabel(t, { exact: true }).check();
	}
	for (const s of states || []) await page.getByLabel(s, { exact: true }).check();
	if (!active) await page.getByLabel('Active', { exact: true }).uncheck();
	await page.getByRole('button', { name: 'Create endpoint' }).click();
}

// Reads the secret out of the once-only dialog, checks what it says, closes it.
async function takeSecret(page, screenshot) {
	const dialog = page.locator('dialog.secret-dialog');
	await dialog.waitFor();
	if (screenshot) await shot(page, screenshot);
	const text = await dialog.innerText();
	assert(/shown only once/i.test(text), `the dialog says the secret is shown once: ${text}`);
	assert(await dialog.getByRole('button', { name: 'Copy secret' }).isVisible(), 'a copy button');
	const secret = await dialog.getByLabel('Signing secret').inputValue();
	assert(/^[A-Za-z0-9]{24}$/.test(secret), `a generated secret: ${secret}`);
	await dialog.getByRole('button', { name: 'Copy secret' }).click();
	await dialog.getByText(/Copied|Select the text/).waitFor();
	await dialog.getByRole('button', { name: 'Done' }).click();
	await dialog.waitFor({ state: 'detached' });
	return secret;
}

async function secretNowhere(page, key, id, secret) {
	const forms = [secret, Buffer.from(secret).toString('base64').replace(/=+$/, '')];
	const html = await page.content();
	const values = await page.evaluate(() => [...document.querySelectorAll('input')].map((i) => i.value).join(' '));
	const stored = JSON.stringify(await page.evaluate(() => ({ ...sessionStorage, ...localStorage })));
	for (const f of forms) {
		assert(!html.includes(f) && !values.includes(f), 'the secret is gone from the page');
		assert(!stored.includes(f), 'the secret is not stored in the browser');
		for (const p of [`/v2/webhooks/${id}`, '/v2/webhooks']) {
			const r = await api(key, 'GET', p);
			assert(r.status === 200 && !r.text.includes(f), `${p} does not answer the secret`);
		}
	}
}

async function webhookRow(page, id) {
	const row = page.locator(`tr[data-id="${id}"]`);
	await row.waitFor();
	return row;
}

async function openEndpoint(page, id) {
	await page.goto(`${BASE}/#/webhooks/${id}`);
	await page.getByRole('heading', { name: 'Endpoint activity' }).waitFor();
}

async function deliveryRows(page) {
	return page.locator('.deliveries tbody tr');
}

// A webhook of a new account's new location on the receiver's 410 path, disabled by the
// worker after a visit: {acct, loc, w, gone (the disabled webhook)}.
async function goneWebhook(locationName, receiverPath) {
	const acct = newAccount();
	const loc = await newLocation(acct.key, locationName);
	const w = await must(acct.key, 'POST', '/v2/webhooks', { url: receiver.url(receiverPath), locationIds: [loc.id], eventTypes: ['visit.created'] });
	await must(acct.key, 'POST', '/v2/visits', { locationId: loc.id, firstName: 'Eve' });
	const gone = await waitFor(async () => {
		const x = await must(acct.key, 'GET', `/v2/webhooks/${w.id}`);
		return x.status === 'disabled' && x;
	}, 20000, 'the webhook disabled by the worker');
	return { acct, loc, w, gone };
}

// ---- cases -------------------------------------------------------------------------------

const cases = [];
const test = (name, fn) => cases.push({ name, fn });

test('headers_and_page_load', async () => {
	const res = await fetch(`${BASE}/`);
	const csp = res.headers.get('content-security-policy') || '';
	assert(csp.includes("script-src 'self'") && csp.includes("default-src 'none'") && !csp.includes('unsafe'), `CSP: ${csp}`);
	assert(res.headers.get('x-content-type-options') === 'nosniff', 'nosniff');
	assert(res.headers.get('referrer-policy') === 'no-referrer', 'referrer policy');
	const html = await res.text();
	assert(!/<script(?![^>]*\bsrc=)/i.test(html) && !/\sstyle=/i.test(html) && !/\son[a-z]+=/i.test(html), 'no inline script or style');
	const js = await (await fetch(`${BASE}/app.js`)).text();
	assert(!/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/.test(js), 'app.js never assigns HTML');
	const { context, page } = await open(null);
	await page.getByLabel('API key').waitFor();
	await shot(page, 'sign-in');
	await clean(page);
	await context.close();
});

test('sign_in_wrong_key', async () => {
	const { context, page } = await open(null);
	await page.getByLabel('API key').fill('not-a-real-key-0123456789');
	await page.getByRole('button', { name: 'Sign in' }).click();
	const err = page.locator('#apikey-error');
	await err.filter({ hasText: /not accepted/ }).waitFor();
	assert(await page.evaluate(() => sessionStorage.getItem('linehook.apikey')) === null, 'a wrong key is not kept');
	assert(await page.locator('#account').isHidden(), 'not signed in');
	await shot(page, 'sign-in-wrong-key');
	await clean(page);
	await context.close();
});

test('sign_in_good_key_keyboard_and_sign_out', async () => {
	const acct = newAccount('Keyboard Cafe');
	const { context, page } = await open(null);
	await page.getByLabel('API key').waitFor();
	// The key field has the focus on load; the keyboard alone signs in.
	await page.keyboard.type(acct.key);
	await page.keyboard.press('Enter');
	await page.locator('#account-name').filter({ hasText: 'Keyboard Cafe' }).waitFor();
	assert(await page.evaluate(() => sessionStorage.getItem('linehook.apikey')) === acct.key, 'the key is in sessionStorage');
	assert(await page.evaluate(() => document.cookie) === '', 'no cookies');
	await page.reload();
	await page.locator('#account-name').filter({ hasText: 'Keyboard Cafe' }).waitFor();
	await page.getByRole('button', { name: 'Sign out' }).click();
	await page.getByLabel('API key').waitFor();
	assert(await page.evaluate(() => sessionStorage.getItem('linehook.apikey')) === null, 'signing out forgets the key');
	await clean(page);
	await context.close();
});

test('locations_and_account_wide', async () => {
	const acct = newAccount();
	const a = await newLocation(acct.key, 'Downtown');
	const b = await newLocation(acct.key, 'Harbour');
	await must(acct.key, 'POST', '/v2/webhooks', { url: receiver.url('/a'), locationIds: [a.id], description: 'only downtown' });
	await must(acct.key, 'POST', '/v2/webhooks', { url: receiver.url('/wide'), description: 'everywhere' });
	const { context, page } = await open(acct.key);
	// The options arrive with the locations list: wait for the last one before reading.
	await page.getByLabel('Location').locator('option', { hasText: 'Harbour' }).waitFor({ state: 'attached' });
	const options = await page.getByLabel('Location').locator('option').allInnerTexts();
	assert(options.some((o) => o.startsWith('Account-wide')) && options.includes('Downtown') && options.includes('Harbour'), `options: ${options}`);
	await selectLocation(page, a.id);
	await page.getByText('only downtown').waitFor();
	assert(!(await page.getByText('everywhere').count()), 'account-wide hook not under a location');
	await selectLocation(page, b.id);
	await page.getByText('No endpoints for Harbour').waitFor();
	await selectLocation(page, '');
	await page.getByText('everywhere').waitFor();
	assert(!(await page.getByText('only downtown').count()), 'location hook not under account-wide');
	await clean(page);
	await context.close();
});

test('add_endpoint_all_types_secret_once', async () => {
	const acct = newAccount();
	const loc = await newLocation(acct.key, 'Main street');
	const { context, page } = await open(acct.key);
	await selectLocation(page, loc.id);
	await addEndpoint(page, { url: receiver.url('/all'), description: 'All of it' });
	const secret = await takeSecret(page, 'secret-dialog');
	const list = await must(acct.key, 'GET', `/v2/webhooks?locationId=${loc.id}`);
	const w = list.results.find((x) => x.url === receiver.url('/all'));
	assert(w && w.eventTypes.length === 0 && w.locationIds[0] === loc.id && w.isActive === true, `stored: ${JSON.stringify(w)}`);
	const row = await webhookRow(page, w.id);
	const text = await row.innerText();
	assert(text.includes('All event types') && text.includes('All of it') && /active/.test(text), `row: ${text}`);
	await secretNowhere(page, acct.key, w.id, secret);
	await shot(page, 'endpoint-list');
	await clean(page);
	await context.close();
});

test('add_endpoint_chosen_types_and_states', async () => {
	const acct = newAccount();
	const loc = await newLocation(acct.key, 'Station');
	const other = await newLocation(acct.key, 'Airport');
	const { context, page } = await open(acct.key);
	await selectLocation(page, loc.id);
	await page.getByRole('link', { name: 'Add endpoint' }).click();
	await page.getByLabel('Endpoint URL').waitFor();
	assert(await page.getByLabel('Station', { exact: true }).isChecked(), 'the chosen location is preselected');
	assert(!(await page.getByLabel('Airport', { exact: true }).isChecked()), 'the other one is not');
	await shot(page, 'add-endpoint-form');
	await page.getByLabel('Airport', { exact: true }).check();
	await page.getByLabel('Endpoint URL').fill(receiver.url('/chosen'));
	await page.getByLabel('Send all event types').uncheck();
	for (const t of ['visit.created', 'message.created']) await page.getByLabel(t, { exact: true }).check();
	for (const st of ['WAITING', 'SERVED']) await page.getByLabel(st, { exact: true }).check();
	await page.getByLabel('Active', { exact: true }).uncheck();
	await page.getByRole('button', { name: 'Create endpoint' }).click();
	// The keyboard closes the secret dialog too (Escape), and the secret goes with it.
	const dialog = page.locator('dialog.secret-dialog');
	await dialog.waitFor();
	const secret = await dialog.getByLabel('Signing secret').inputValue();
	await page.keyboard.press('Escape');
	await dialog.waitFor({ state: 'detached' });
	assert(!(await page.content()).includes(secret), 'the secret is gone after Escape');
	const list = await must(acct.key, 'GET', `/v2/webhooks?locationId=${loc.id}`);
	const w = list.results[0];
	assert(JSON.stringify([...w.locationIds].sort()) === JSON.stringify([loc.id, other.id].sort()), `locations: ${w.locationIds}`);
	assert(JSON.stringify(w.eventTypes) === '["visit.created","message.created"]', `types: ${w.eventTypes}`);
	assert(JSON.stringify(w.visitStates) === '["WAITING","SERVED"]', `states: ${w.visitStates}`);
	assert(w.isActive === false && w.status === 'inactive', `inactive: ${w.status}`);
	const text = await (await webhookRow(page, w.id)).innerText();
	assert(text.includes('visit.created, message.created') && text.includes('inactive'), `row: ${text}`);
	await selectLocation(page, other.id);
	await webhookRow(page, w.id);
	await clean(page);
	await context.close();
});

test('validation_error_at_field', async () => {
	const acct = newAccount();
	const loc = await newLocation(acct.key, 'Errors');
	const { context, page } = await open(acct.key);
	await selectLocation(page, loc.id);
	await addEndpoint(page, { url: 'ftp://example.com/hook', description: 'bad scheme' });
	const slot = page.locator('[data-error-for="url"]');
	await slot.filter({ hasText: /\S/ }).waitFor();
	assert(await page.getByLabel('Endpoint URL').getAttribute('aria-invalid') === 'true', 'the URL field is marked invalid');
	assert(await page.locator('dialog').count() === 0, 'nothing created');
	await shot(page, 'validation-error');
	await page.getByLabel('Endpoint URL').fill(receiver.url('/fixed'));
	await page.getByRole('button', { name: 'Create endpoint' }).click();
	await takeSecret(page);
	assert((await must(acct.key, 'GET', '/v2/webhooks')).results.length === 1, 'only the fixed one was created');
	// The per-location limit (5): the sixth is refused, the message at the Locations field.
	for (let i = 0; i < 4; i++) await must(acct.key, 'POST', '/v2/webhooks', { url: receiver.url(`/n${i}`), locationIds: [loc.id] });
	await addEndpoint(page, { url: receiver.url('/sixth') });
	await page.locator('[data-error-for="locationIds"]').filter({ hasText: /limit/ }).waitFor();
	assert((await must(acct.key, 'GET', '/v2/webhooks')).results.length === 5, 'the sixth was not created');
	await clean(page);
	await context.close();
});

// OAuth fields: a bad key is refused at its field; the created endpoint stores the settings,
// the key is write-only (the page says "key stored", never shows it), and Save keeps it.
test('add_endpoint_with_oauth', async () => {
	const acct = newAccount();
	const loc = await newLocation(acct.key, 'OAuth desk');
	const pem = execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], { encoding: 'utf8' });
	const { context, page } = await open(acct.key);
	await selectLocation(page, loc.id);
	await page.getByRole('link', { name: 'Add endpoint' }).click();
	await page.getByLabel('Endpoint URL').fill(receiver.url('/oauth'));
	assert(!(await page.getByLabel('Token URL').isVisible()), 'the OAuth fields stay hidden until asked for');
	await page.getByLabel('Use OAuth for this endpoint').check();
	await page.getByLabel('Token URL').fill(receiver.url('/token'));
	await page.getByLabel('Private key (PEM)').fill('-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n');
	await page.getByLabel(/^Expires in/).fill('600');
	await page.getByLabel('Issuer (iss)').fill('linehook-browser');
	await page.getByLabel('Subject (sub)').fill('client-7');
	await page.getByLabel('Audience (aud)').fill('https://auth.example/token');
	await page.getByLabel('Scope (optional)').fill('webhooks:write');
	await shot(page, 'add-endpoint-oauth');
	await page.getByRole('button', { name: 'Create endpoint' }).click();
	await page.locator('[data-error-for="oAuth.privateKey"]').filter({ hasText: /PEM private key/ }).waitFor();
	assert(await page.getByLabel('Private key (PEM)').getAttribute('aria-invalid') === 'true', 'the key field is marked invalid');
	assert((await must(acct.key, 'GET', '/v2/webhooks')).results.length === 0, 'nothing created with a bad key');
	await page.getByLabel('Private key (PEM)').fill(pem);
	await page.getByRole('button', { name: 'Create endpoint' }).click();
	await takeSecret(page);
	const w = (await must(acct.key, 'GET', '/v2/webhooks')).results[0];
	assert(w && w.oAuth && w.oAuth.tokenUrl === receiver.url('/token') && w.oAuth.expiresIn === 600 &&
		w.oAuth.hasPrivateKey === true && !('privateKey' in w.oAuth), `stored oAuth: ${JSON.stringify(w && w.oAuth)}`);
	assert(JSON.stringify(w.oAuth.claims) === JSON.stringify({ iss: 'linehook-browser', sub: 'client-7',
		aud: 'https://auth.example/token', scope: 'webhooks:write' }), `claims: ${JSON.stringify(w.oAuth.claims)}`);
	await openEndpoint(page, w.id);
	await page.locator('.oauth-summary').filter({ hasText: 'key stored' }).waitFor();
	await page.getByText(/A key is stored/).waitFor();
	assert(await page.getByLabel('Private key (PEM)').inputValue() === '', 'the key field starts empty');
	assert(await page.getByLabel('Issuer (iss)').inputValue() === 'linehook-browser', 'the claims are shown for editing');
	const keyLine = pem.split('\n')[1];
	assert(!(await page.content()).includes(keyLine), 'the key is nowhere on the page');
	await page.getByLabel('Subject (sub)').fill('client-8');
	await page.getByRole('button', { name: 'Save' }).click();
	await page.getByText('Saved.').waitFor();
	const after = await must(acct.key, 'GET', `/v2/webhooks/${w.id}`);
	assert(after.oAuth.claims.sub === 'client-8' && after.oAuth.hasPrivateKey === true, `after save: ${JSON.stringify(after.oAuth)}`);
	await clean(page);
	await context.close();
});

// Custom headers: added in the form, refused at their field when reserved, sent to a real
// receiver, never shown again (the value fields start empty beside the masked form), kept
// when left empty, replaced and removed on Save.
test('custom_headers', async () => {
	const acct = newAccount();
	const loc = await newLocation(acct.key, 'Headers desk');
	const value = 'gw-secret-value-7781';
	const { context, page } = await open(acct.key);
	await selectLocation(page, loc.id);
	await page.getByRole('link', { name: 'Add endpoint' }).click();
	await page.getByLabel('Endpoint URL').fill(receiver.url('/ok/headers'));
	await page.getByRole('button', { name: 'Add header' }).click();
	await page.getByLabel('Header name').nth(0).fill('Host');
	await page.getByLabel('Value', { exact: true }).nth(0).fill('evil.example');
	await page.getByRole('button', { name: 'Create endpoint' }).click();
	await page.locator('[data-error-for="headers"]').filter({ hasText: /headers\.Host: a reserved header/ }).waitFor();
	assert((await must(acct.key, 'GET', '/v2/webhooks')).results.length === 0, 'nothing created with a reserved header');
	await page.getByLabel('Header name').nth(0).fill('X-Api-Key');
	await page.getByLabel('Value', { exact: true }).nth(0).fill(value);
	await page.getByRole('button', { name: 'Add header' }).click();
	await page.getByLabel('Header name').nth(1).fill('X-Team');
	await page.getByLabel('Value', { exact: true }).nth(1).fill('ops');
	await shot(page, 'add-endpoint-headers');
	await page.getByRole('button', { name: 'Create endpoint' }).click();
	await takeSecret(page);
	const w = (await must(acct.key, 'GET', '/v2/webhooks')).results[0];
	assert(JSON.stringify(w.headers) === JSON.stringify({ 'X-Api-Key': '****7781', 'X-Team': '****' }), `stored: ${JSON.stringify(w.headers)}`);
	await openEndpoint(page, w.id);
	await page.getByLabel(/Value \(stored: \*\*\*\*7781/).waitFor();
	assert(await page.getByLabel(/Value \(stored: \*\*\*\*7781/).inputValue() === '', 'a stored value is never filled in');
	assert(!(await page.content()).includes(value), 'the header value is nowhere on the page');
	await page.getByRole('button', { name: 'Send test event' }).click();
	await waitFor(() => receiver.requests.find((r) => r.path === '/ok/headers'), 20000, 'the test event');
	const first = receiver.requests.find((r) => r.path === '/ok/headers');
	assert(first.headers['x-api-key'] === value && first.headers['x-team'] === 'ops', `sent: ${JSON.stringify(first.headers)}`);
	// keep X-Api-Key (empty value), drop X-Team, add X-Region
	await page.getByRole('button', { name: 'Remove header' }).nth(1).click();
	await page.getByRole('button', { name: 'Add header' }).click();
	await page.getByLabel('Header name').nth(1).fill('X-Region');
	await page.getByLabel('Value', { exact: true }).nth(0).fill('eu-north');
	await page.getByRole('button', { name: 'Save' }).click();
	await page.getByText('Saved.').waitFor();
	const after = await must(acct.key, 'GET', `/v2/webhooks/${w.id}`);
	assert(JSON.stringify(after.headers) === JSON.stringify({ 'X-Api-Key': '****7781', 'X-Region': '****orth' }), `after save: ${JSON.stringify(after.headers)}`);
	const n = receiver.requests.filter((r) => r.path === '/ok/headers').length;
	await must(acct.key, 'POST', `/v2/webhooks/${w.id}/test`, {});
	await waitFor(() => receiver.requests.filter((r) => r.path === '/ok/headers').length > n, 20000, 'the second test event');
	const second = receiver.requests.filter((r) => r.path === '/ok/headers')[n];
	assert(second.headers['x-api-key'] === value && second.headers['x-region'] === 'eu-north' && !('x-team' in second.headers),
		`sent after save: ${JSON.stringify(second.headers)}`);
	await clean(page);
	await context.close();
});

// Delivery order and rate limit: a bad rate is refused at its field and nothing is created;
// FIFO and a rate are stored, shown, and cleared again on the endpoint page.
test('delivery_order_and_rate_limit', async () => {
	const acct = newAccount();
	const loc = await newLocation(acct.key, 'Pacing desk');
	const { context, page } = await open(acct.key);
	await selectLocation(page, loc.id);
	await page.getByRole('link', { name: 'Add endpoint' }).click();
	await page.getByLabel('Endpoint URL').fill(receiver.url('/paced'));
	await page.getByLabel('Order').selectOption('fifo');
	await page.getByLabel('Rate limit (deliveries per second)').fill('1001');
	await page.getByRole('button', { name: 'Create endpoint' }).click();
	await page.locator('[data-error-for="rateLimit"]').filter({ hasText: /rateLimit/ }).waitFor();
	assert(await page.getByLabel('Rate limit (deliveries per second)').getAttribute('aria-invalid') === 'true',
		'the rate field is marked invalid');
	assert((await must(acct.key, 'GET', '/v2/webhooks')).results.length === 0, 'nothing created with a bad rate');
	await page.getByLabel('Rate limit (deliveries per second)').fill('25');
	await page.getByRole('button', { name: 'Create endpoint' }).click();
	await takeSecret(page);
	const w = (await must(acct.key, 'GET', '/v2/webhooks')).results[0];
	assert(w && w.ordering === 'fifo' && w.rateLimit === 25, `stored: ${JSON.stringify(w)}`);
	await openEndpoint(page, w.id);
	await page.locator('.pacing-summary').filter({ hasText: 'FIFO' }).filter({ hasText: '25 per second' }).waitFor();
	assert(await page.getByLabel('Order').inputValue() === 'fifo', 'the order is shown for editing');
	assert(await page.getByLabel('Rate limit (deliveries per second)').inputValue() === '25', 'the rate is shown');
	await page.getByLabel('Order').selectOption('none');
	await page.getByLabel('Rate limit (deliveries per second)').fill('');
	await page.getByRole('button', { name: 'Save' }).click();
	await page.getByText('Saved.').waitFor();
	const after = await must(acct.key, 'GET', `/v2/webhooks/${w.id}`);
	assert(after.ordering === 'none' && after.rateLimit === null, `after save: ${JSON.stringify(after)}`);
	await page.locator('.pacing-summary').filter({ hasText: 'no rate limit' }).waitFor();
	await clean(page);
	await context.close();
});

// Deliveries to a receiver answering 200 appear without a reload; then the endpoint page's
// other actions: Save, Send test event.
test('deliveries_appear_edit_and_test_event', async () => {
	const acct = newAccount();
	const loc = await newLocation(acct.key, 'Live');
	const w = await must(acct.key, 'POST', '/v2/webhooks', { url: receiver.url('/ok/live'), locationIds: [loc.id], eventTypes: ['visit.created'] });
	const { context, page } = await open(acct.key);
	await openEndpoint(page, w.id);
	await page.getByText('No deliveries yet.').waitFor();
	await must(acct.key, 'POST', '/v2/visits', { locationId: loc.id, firstName: 'Ada' });
	const row = page.locator('.deliveries tbody tr').filter({ hasText: 'visit.created' });
	await row.first().waitFor({ timeout: 20000 });
	await row.first().filter({ hasText: '200' }).waitFor({ timeout: 20000 });
	assert(receiver.requests.some((r) => r.path === '/ok/live'), 'the receiver got it');
	await shot(page, 'endpoint-activity');
	// Save a changed description.
	await page.getByLabel('Description').fill('Front desk tablet');
	await page.getByRole('button', { name: 'Save' }).click();
	await page.locator('.summary').getByText('Front desk tablet').waitFor();
	assert((await must(acct.key, 'GET', `/v2/webhooks/${w.id}`)).description === 'Front desk tablet', 'saved');
	await page.getByRole('button', { name: 'Send test event' }).click();
	await page.locator('.deliveries tbody tr').filter({ hasText: 'webhook.test' }).first().waitFor({ timeout: 20000 });
	await clean(page);
	await context.close();
});

// A failing receiver whose body is markup: errors-only filter, attempts with the response
// snippet as text, resend adds a manual attempt; nothing executes.
test('errors_filter_attempts_resend_xss', async () => {
	const acct = newAccount();
	const loc = await newLocation(acct.key, 'Failing');
	const w = await must(acct.key, 'POST', '/v2/webhooks', { url: receiver.url('/fail/x'), locationIds: [loc.id], description: `desc ${XSS}` });
	await must(acct.key, 'POST', '/v2/webhooks', { url: receiver.url('/ok/other'), locationIds: [loc.id] });
	const { context, page } = await open(acct.key);
	await selectLocation(page, loc.id);
	await page.getByText(`desc ${XSS}`).waitFor();
	await openEndpoint(page, w.id);
	await must(acct.key, 'POST', `/v2/webhooks/${w.id}/test`, {});
	await must(acct.key, 'POST', '/v2/visits', { locationId: loc.id, firstName: 'Bob' });
	const rows = page.locator('.deliveries tbody tr');
	await rows.filter({ hasText: 'visit.created' }).filter({ hasText: '500' }).first().waitFor({ timeout: 25000 });
	await rows.filter({ hasText: 'webhook.test' }).filter({ hasText: '200' }).first().waitFor({ timeout: 25000 });
	await page.getByLabel('Errors only').check();
	await waitFor(async () => {
		const texts = await rows.allInnerTexts();
		return texts.length >= 1 && texts.every((t) => t.includes('500') && !t.includes('webhook.test'));
	}, 10000, 'the errors-only list');
	await shot(page, 'errors-only');
	const first = page.locator('.deliveries tbody tr').first();
	await first.getByRole('button', { name: /^Attempts/ }).click();
	const pre = page.locator('.attempts pre.response').first();
	await pre.waitFor();
	assert((await pre.textContent()).includes(XSS), 'the response snippet is shown as text');
	assert(await page.locator('.attempts img, .summary img, .deliveries img, main img').count() === 0, 'no injected element');
	const before = await page.locator('.attempt-list li').count();
	await page.locator('.attempts').getByRole('button', { name: 'Resend' }).click();
	await waitFor(async () => (await page.locator('.attempt-list li').count()) > before, 20000, 'a new attempt');
	await page.locator('.attempt-list').getByText('manual').first().waitFor();
	await shot(page, 'delivery-attempts');
	assert(await page.locator('.summary').getByText(`desc ${XSS}`).count() === 1, 'the description as text');
	await clean(page);
	await context.close();
});

test('disable_enable_rotate_delete', async () => {
	const acct = newAccount();
	const loc = await newLocation(acct.key, 'Lifecycle');
	const w = await must(acct.key, 'POST', '/v2/webhooks', { url: receiver.url('/life'), locationIds: [loc.id] });
	const { context, page } = await open(acct.key);
	await openEndpoint(page, w.id);
	await page.getByRole('button', { name: 'Disable' }).click();
	await page.getByRole('button', { name: 'Enable' }).waitFor();
	assert((await must(acct.key, 'GET', `/v2/webhooks/${w.id}`)).isActive === false, 'disabled in the API');
	await page.locator('.summary .badge.inactive').waitFor();
	await page.getByRole('button', { name: 'Enable' }).click();
	await page.getByRole('button', { name: 'Disable' }).waitFor();
	assert((await must(acct.key, 'GET', `/v2/webhooks/${w.id}`)).status === 'active', 'enabled in the API');
	await page.getByRole('button', { name: 'Rotate secret' }).click();
	const secret = await takeSecret(page);
	assert(secret !== w.secret, 'a new secret');
	await secretNowhere(page, acct.key, w.id, secret);
	await page.getByRole('button', { name: 'Delete' }).click();
	await page.locator('dialog.confirm-dialog').waitFor();
	await shot(page, 'delete-confirm');
	await page.getByRole('button', { name: 'Cancel' }).click();
	assert((await api(acct.key, 'GET', `/v2/webhooks/${w.id}`)).status === 200, 'cancel keeps it');
	await page.getByRole('button', { name: 'Delete' }).click();
	await page.getByRole('button', { name: 'Delete endpoint' }).click();
	await page.getByText('Endpoint deleted.').waitFor();
	await page.getByText('No endpoints for Lifecycle').waitFor();
	assert((await api(acct.key, 'GET', `/v2/webhooks/${w.id}`)).status === 404, 'deleted in the API');
	await clean(page);
	await context.close();
});

// The webhook's stats (last 24 h) in the list and on its page.
test('endpoint_stats', async () => {
	const acct = newAccount();
	const loc = await newLocation(acct.key, 'Counting');
	const good = await must(acct.key, 'POST', '/v2/webhooks', { url: receiver.url('/ok/stats'), locationIds: [loc.id], eventTypes: ['visit.created'] });
	const bad = await must(acct.key, 'POST', '/v2/webhooks', { url: receiver.url('/fail/stats'), locationIds: [loc.id], eventTypes: ['visit.created'] });
	await must(acct.key, 'POST', '/v2/visits', { locationId: loc.id, firstName: 'Dee' });
	await waitFor(async () => {
		const [g, b] = await Promise.all([good, bad].map((w) => must(acct.key, 'GET', `/v2/webhooks/${w.id}`)));
		return g.stats && g.stats.succeeded24h >= 1 && b.stats && b.stats.failed24h >= 1;
	}, 20000, 'stats counting the deliveries');
	const { context, page } = await open(acct.key);
	await selectLocation(page, loc.id);
	const g = await (await webhookRow(page, good.id)).innerText();
	assert(/1 succeeded/.test(g) && /0 failed/.test(g) && /succeeded/.test(g.split('\t')[3] || g), `good row: ${g}`);
	const b = await (await webhookRow(page, bad.id)).innerText();
	assert(/0 succeeded/.test(b) && /[1-9] failed/.test(b) && /failing since/.test(b), `bad row: ${b}`);
	await shot(page, 'endpoint-stats');
	await clean(page);
	await context.close();
});

// A 410 from the receiver disables the webhook: the list shows it with its reason; Enable
// re-enables it.
test('disabled_by_system_and_enable', async () => {
	const { acct, loc, w, gone } = await goneWebhook('Gone', '/gone');
	const { context, page } = await open(acct.key);
	await selectLocation(page, loc.id);
	const row = await (await webhookRow(page, w.id)).innerText();
	assert(row.includes('disabled') && gone.disabledReason && row.includes(gone.disabledReason), `row: ${row}`);
	await page.locator(`tr[data-id="${w.id}"] a`).click();
	await page.getByRole('button', { name: 'Enable' }).click();
	await page.getByRole('button', { name: 'Disable' }).waitFor();
	assert((await must(acct.key, 'GET', `/v2/webhooks/${w.id}`)).status === 'active', 'enabled again');
	await clean(page);
	await context.close();
});

// A system-disabled endpoint shows a banner with its reason on the list (whatever location
// is chosen) and on its own page; the banner's Enable turns it back on.
test('disabled_banner', async () => {
	const { acct, w, gone } = await goneWebhook('Banner desk', '/gone/banner');
	const { context, page } = await open(acct.key);
	await selectLocation(page, '');
	const banner = page.locator(`.disabled-banner[data-id="${w.id}"]`);
	await banner.waitFor();
	const text = await banner.innerText();
	assert(text.includes(receiver.url('/gone/banner')) && text.includes(gone.disabledReason), `banner: ${text}`);
	await shot(page, 'disabled-banner');
	await openEndpoint(page, w.id);
	await page.locator('.disabled-banner').filter({ hasText: gone.disabledReason }).waitFor();
	await page.getByRole('link', { name: '← Back to endpoints' }).click();
	await banner.getByRole('button', { name: 'Enable' }).click();
	await page.getByText('Endpoint enabled.').waitFor();
	await banner.waitFor({ state: 'detached' });
	assert((await must(acct.key, 'GET', `/v2/webhooks/${w.id}`)).status === 'active', 'enabled again');
	await clean(page);
	await context.close();
});

// "Use a test inbox": the URL field gets an inbox of this service; the endpoint's page shows
// what the inbox received with the signature check (valid for the endpoint's own test
// event, not ours for a plain request).
test('test_inbox', async () => {
	const acct = newAccount();
	const { context, page } = await open(acct.key);
	await selectLocation(page, '');
	await page.getByRole('link', { name: 'Add endpoint' }).click();
	await page.getByRole('button', { name: 'Use a test inbox' }).click();
	await page.getByText(/A test inbox until/).waitFor();
	const url = await page.getByLabel('Endpoint URL').inputValue();
	assert(url.startsWith(`${BASE}/in/`) && /\/in\/[A-Za-z0-9]{22}$/.test(url), `inbox url: ${url}`);
	await page.getByRole('button', { name: 'Create endpoint' }).click();
	await takeSecret(page);
	const w = (await must(acct.key, 'GET', '/v2/webhooks')).results[0];
	assert(w.url === url, `the endpoint targets the inbox: ${w.url}`);
	await fetch(url, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'hello from curl' });
	await openEndpoint(page, w.id);
	await page.getByRole('button', { name: 'Send test event' }).click();
	const section = page.locator('section').filter({ has: page.getByRole('heading', { name: 'Test inbox' }) });
	await section.locator('tbody tr').filter({ hasText: 'valid (both signatures)' }).waitFor({ timeout: 25000 });
	await section.locator('tbody tr').filter({ hasText: 'not ours' }).waitFor();
	await section.locator('tbody tr').filter({ hasText: 'valid (both signatures)' }).locator('summary').click();
	await section.getByText(/"type":"webhook.test"/).waitFor();
	await shot(page, 'test-inbox');
	// the received JSON holds nulls of its own: closed again before the page-wide text check
	await section.locator('tbody tr').filter({ hasText: 'valid (both signatures)' }).locator('summary').click();
	await clean(page);
	await context.close();
});

test('phone_width', async () => {
	const acct = newAccount();
	const loc = await newLocation(acct.key, 'Pocket');
	const w = await must(acct.key, 'POST', '/v2/webhooks', { url: receiver.url('/ok/phone/a/rather/long/path/to/see/wrapping'), locationIds: [loc.id], description: 'Phone' });
	const { context, page } = await open(acct.key, { viewport: { width: 375, height: 740 } });
	await selectLocation(page, loc.id);
	await webhookRow(page, w.id);
	const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
	assert(await overflow() <= 0, 'no horizontal scrolling on the list');
	await shot(page, 'phone-list');
	await openEndpoint(page, w.id);
	await must(acct.key, 'POST', '/v2/visits', { locationId: loc.id, firstName: 'Cy' });
	await page.locator('.deliveries tbody tr').first().waitFor({ timeout: 20000 });
	assert(await overflow() <= 0, 'no horizontal scrolling on the endpoint page');
	assert(await page.getByRole('button', { name: 'Send test event' }).isVisible(), 'actions visible');
	await shot(page, 'phone-endpoint');
	await clean(page);
	await context.close();
});

// API keys: listed without the key, created with the key shown once, revoked (refused by
// the API afterwards); the last key can't be revoked and the page says why.
test('api_keys_list_create_revoke', async () => {
	const acct = newAccount('Key Keepers');
	const { context, page } = await open(acct.key);
	await page.getByRole('link', { name: 'API keys' }).click();
	await page.getByRole('heading', { name: 'API keys' }).waitFor();
	await page.locator('.keys tbody tr').first().waitFor();
	assert(await page.locator('.keys tbody tr').count() === 1, 'one key listed');
	assert(!(await page.locator('body').innerText()).includes(acct.key), 'the key itself is never listed');
	// a name is required: the server's error is shown at the field
	await page.getByRole('button', { name: 'Create key' }).click();
	await page.locator('.key-form .field-error').filter({ hasText: 'name' }).waitFor();
	await page.getByLabel('Name').fill(`robot ${XSS}`);
	await page.getByLabel('Expires (optional, UTC)').fill('2999-01-02T03:04');
	await page.getByRole('button', { name: 'Create key' }).click();
	const shown = page.getByLabel(/API key "robot/);
	await shown.waitFor();
	const newKey = await shown.inputValue();
	assert(/^lh_[A-Za-z0-9]{40}$/.test(newKey), `the new key is shown: ${newKey}`);
	await shot(page, 'api-key-created');
	await page.getByRole('button', { name: 'Done' }).click();
	assert(!(await page.content()).includes(newKey), 'the key is gone from the page once the dialog is closed');
	const keys = (await must(acct.key, 'GET', '/v2/api-keys')).results;
	const robot = keys.find((k) => k.name.startsWith('robot'));
	assert(robot && robot.expiresAt === '2999-01-02T03:04:00.000Z', `stored: ${JSON.stringify(keys)}`);
	await page.locator(`.keys tr[data-id="${robot.id}"]`).waitFor();
	assert((await page.locator(`.keys tr[data-id="${robot.id}"]`).innerText()).includes(robot.prefix), 'the prefix is shown');
	assert((await api(newKey, 'GET', '/v2/account')).status === 200, 'the new key works');
	await shot(page, 'api-keys');
	// revoke the new key
	await page.getByRole('button', { name: `Revoke key ${robot.name}` }).click();
	await page.getByRole('button', { name: 'Revoke key', exact: true }).click();
	await page.getByText('revoked.').waitFor();
	await waitFor(async () => (await page.locator(`.keys tr[data-id="${robot.id}"]`).count()) === 0, 10000, 'the row to go');
	await waitFor(async () => (await api(newKey, 'GET', '/v2/account')).status === 401, 3000, 'the revoked key refused');
	// the last key stays
	const mine = (await must(acct.key, 'GET', '/v2/api-keys')).results[0];
	await page.getByRole('button', { name: `Revoke key ${mine.name}` }).click();
	await page.getByRole('button', { name: 'Revoke key', exact: true }).click();
	await page.locator('#notice').filter({ hasText: 'last usable key' }).waitFor();
	assert((await api(acct.key, 'GET', '/v2/account')).status === 200, 'the last key still works');
	await clean(page);
	await context.close();
});

// An endpoint's page shows its history from the audit log: who changed what, newest first.
test('endpoint_history', async () => {
	const acct = newAccount('History Hall');
	const loc = await newLocation(acct.key, 'Archive');
	const w = await must(acct.key, 'POST', '/v2/webhooks', { url: receiver.url('/hist'), locationIds: [loc.id], description: 'before' });
	const { context, page } = await open(acct.key);
	await openEndpoint(page, w.id);
	const rows = page.locator('.audit tbody tr');
	await rows.first().waitFor();
	assert(await rows.count() === 1 && (await rows.first().innerText()).includes('Created'), 'the create is listed');
	await page.getByLabel('Description').fill('after');
	await page.getByRole('button', { name: 'Save' }).click();
	await page.getByText('Saved.').waitFor();
	await page.getByRole('button', { name: 'Rotate secret' }).click();
	await page.getByRole('button', { name: 'Done' }).click();
	await page.getByRole('button', { name: 'Refresh history' }).click();
	await waitFor(async () => (await rows.count()) === 3, 10000, 'three history rows');
	const texts = await rows.allInnerTexts();
	assert(texts[0].includes('Secret rotated') && texts[1].includes('Changed') && texts[1].includes('Fields: description')
		&& texts[2].includes('Created'), `history: ${texts.join(' | ')}`);
	assert(texts.every((t) => t.includes('127.0.0.1') && t.includes('key')), `who and where: ${texts.join(' | ')}`);
	await shot(page, 'endpoint-history');
	await clean(page);
	await context.close();
});

// The same page behind the private Apache of scripts/apache.sh (same database and config).
test('apache_front_end', async () => {
	const acct = newAccount('Apache Inn');
	const loc = await newLocation(acct.key, 'Behind Apache');
	const w = await must(acct.key, 'POST', '/v2/webhooks', { url: receiver.url('/apache'), locationIds: [loc.id], description: 'served by Apache' });
	const port = await new Promise((resolve) => {
		const s = http.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
	});
	const apache = (cmd) => spawnSync(path.join(root, 'scripts', 'apache.sh'), [cmd],
		{ env: { ...env, WH_APACHE_PORT: String(port), WH_FCGI_PROCS: '2' }, encoding: 'utf8', timeout: 60000 });
	const started = apache('start');
	assert(started.status === 0, `apache.sh start: ${started.stdout} ${started.stderr}`);
	try {
		const base = `http://127.0.0.1:${port}`;
		const res = await fetch(`${base}/`);
		assert((res.headers.get('content-security-policy') || '').includes("script-src 'self'"), 'CSP through Apache');
		const { context, page } = await open(acct.key, { base });
		await selectLocation(page, loc.id);
		await page.getByText('served by Apache').waitFor();
		await page.locator(`tr[data-id="${w.id}"] a`).click();
		await page.getByRole('heading', { name: 'Endpoint activity' }).waitFor();
		await shot(page, 'apache-endpoint');
		await clean(page);
		await context.close();
	} finally {
		apache('stop');
	}
});

// ---- runner --------------------------------------------------------------------------------

async function main() {
	const only = process.argv.slice(2);
	const chosen = cases.filter((c) => !only.length || only.some((o) => c.name.includes(o)));
	let passed = 0;
	let failed = 0;
	receiver = await startReceiver();
	try {
		browser = await chromium.launch({
			executablePath: env.WH_CHROMIUM || '/usr/bin/chromium',
			headless: true,
			args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run',
				'--disable-component-update', '--disable-sync'],
		});
	} catch (e) {
		console.log(`FAIL browser/launch\n${e.stack}`);
		console.log(`browser: 0 passed, ${chosen.length + 1} failed`);
		receiver.close();
		return 1;
	}
	for (const c of chosen) {
		const start = Date.now();
		try {
			await c.fn();
			passed += 1;
			console.log(`ok   browser/${c.name} (${((Date.now() - start) / 1000).toFixed(1)}s)`);
		} catch (e) {
			failed += 1;
			console.log(`FAIL browser/${c.name}\n${String(e.stack || e).split('\n').slice(0, 6).join('\n')}`);
		}
	}
	await browser.close();
	receiver.close();
	console.log(`browser: ${passed} passed, ${failed} failed`);
	return failed ? 1 : 0;
}

process.exitCode = await main();

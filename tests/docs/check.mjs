// Opens the server's /docs in a real headless browser (Debian's chromium, driven by the
// playwright-core pinned in package.json) with every request to another host blocked and
// counted, and checks that Redoc rendered every operation of the contract the server serves.
// Usage: node check.mjs http://127.0.0.1:PORT (tests/docs/run.sh). Prints ok/not ok lines, then
// "N passed, N failed".
import { chromium } from 'playwright-core';

const base = new URL(process.argv[2] || process.env.SD_BASE_URL || 'http://127.0.0.1:8080');
const browserPath = process.env.CHROMIUM || '/usr/bin/chromium';
const RENDER_TIMEOUT_MS = Number(process.env.DOCS_RENDER_TIMEOUT_MS || 60000);

let passed = 0;
let failed = 0;
function check(what, cond, detail) {
  if (cond) {
    passed++;
    console.log(`ok - ${what}`);
  } else {
    failed++;
    console.log(`not ok - ${what}${detail ? `: ${detail}` : ''}`);
  }
}

// The operations of the contract as served, paths' and webhooks' alike (Redoc renders both):
// every operationId (the contract lint requires one on each operation), in document order.
async function contractOperations() {
  const res = await fetch(new URL('/openapi.yaml', base));
  const text = await res.text();
  return [...text.matchAll(/^ {4}(?:get|put|post|patch|delete): *\n(?: {6}.*\n)*? {6}operationId: *([A-Za-z0-9_]+)/gm)]
    .map((m) => m[1]);
}

async function main() {
  const ops = await contractOperations();
  check('the contract served at /openapi.yaml lists operations', ops.length > 0, `${ops.length}`);

  // chromium's sandbox needs user namespaces, which root in a container does not get
  const args = process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [];
  const browser = await chromium.launch({ executablePath: browserPath, headless: true, args });
  const outside = [];
  const problems = [];
  try {
    const context = await browser.newContext({ serviceWorkers: 'block' });
    // any request that leaves this server is refused before it is sent, and counted
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.origin === base.origin) return route.continue();
      outside.push(url.href);
      return route.abort('blockedbyclient');
    });
    context.on('websocket', (ws) => outside.push(ws.url()));
    const page = await context.newPage();
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      // a refused load or script (Content-Security-Policy) shows up here
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('requestfailed', (r) => {
      if (new URL(r.url()).origin === base.origin) problems.push(`failed: ${r.url()}`);
    });

    const res = await page.goto(new URL('/docs', base).href, { waitUntil: 'load' });
    check('GET /docs answers 200 text/html', res !== null && res.status() === 200 &&
      (res.headers()['content-type'] || '').startsWith('text/html'),
      res ? `${res.status()} ${res.headers()['content-type']}` : 'no answer');

    // init.js marks the body once Redoc has loaded and rendered the contract (or failed)
    const state = await page
      .waitForSelector('body[data-docs]', { timeout: RENDER_TIMEOUT_MS })
      .then((el) => el.getAttribute('data-docs'))
      .catch(() => 'timeout');
    check('Redoc rendered /openapi.yaml', state === 'rendered', state);

    // every operation is a section whose id ends in operation/<operationId>
    const rendered = await page.$$eval('[data-section-id*="operation/"]', (els) =>
      els.map((e) => (e.getAttribute('data-section-id') || '').replace(/.*operation\//, '')));
    const shown = new Set(rendered);
    const missing = ops.filter((id) => !shown.has(id));
    check(`every operation of the contract is rendered (${ops.length})`,
      missing.length === 0 && ops.length > 0, `missing ${missing.slice(0, 10).join(', ')}`);
    // (Redoc marks an operation's section and its content alike: the ids are counted once)
    const extra = [...shown].filter((id) => !ops.includes(id));
    check('no operation is rendered that the contract lacks', extra.length === 0,
      extra.slice(0, 10).join(', '));

    // the side menu lists them too (what a reader clicks)
    const menu = await page.$$eval('[data-item-id*="operation/"]', (els) => els.length);
    check('the side menu lists every operation', menu === ops.length, `${menu} of ${ops.length}`);

    const title = await page.$eval('h1', (h) => h.textContent || '').catch(() => '');
    check('the overview is rendered', title.includes('sellerdesk API'), title);
  } finally {
    await browser.close();
  }
  check('no request to any other host', outside.length === 0, outside.slice(0, 5).join(' '));
  check('no script error, refused load or failed request', problems.length === 0,
    problems.slice(0, 5).join(' | '));
}

const started = Date.now();
main()
  .catch((e) => check('the check ran', false, e && e.stack ? e.stack : String(e)))
  .finally(() => {
    console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
    console.log(`${passed} passed, ${failed} failed`);
    process.exitCode = failed === 0 ? 0 : 1;
  });

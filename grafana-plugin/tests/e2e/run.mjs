#!/usr/bin/env node
// Browser tests of the data source frontend against the real backend.
//
// It builds esdev, the seed loader, the plugin binary and the devserver;
// starts esdev and fills it with auditgen events; builds the test page
// (tests/page) with the plugin's webpack setup; starts the devserver, which
// runs the plugin binary over Grafana's plugin protocol and serves the page;
// then drives Debian's chromium with playwright-core through the flows an
// operator uses: configure and "Save & test", build a filtered search, open
// an event and check its diff, download a CSV and check its rows. It saves
// screenshots to docs/screenshots/.
//
// Environment: CHROMIUM (default /usr/bin/chromium), E2E_KEEP=1 keeps the
// temporary directory, E2E_SKIP_PAGE_BUILD=1 reuses tests/page/dist,
// GRAFANA_URL also runs the @grafana/plugin-e2e specs in tests/grafana/
// against a real Grafana (see FRONTEND.md).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const pluginDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const repoRoot = path.resolve(pluginDir, '..');
const shotsDir = path.join(pluginDir, 'docs/screenshots');
const CSV_HEADER =
  'timestamp,id,actor_id,actor_name,action,category,severity,outcome,module,target_type,target_id,client_address,old_value,new_value,change_fields,comment,tags,tenant';
const SEED_EVENTS = 1500;

const children = [];
const tmp = mkdtempSync(path.join(tmpdir(), 'auditpipe-fe-e2e-'));
let browser;

function log(msg) {
  console.log(`[e2e ${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

function run(cmd, args, cwd) {
  log(`$ ${cmd} ${args.join(' ')}`);
  execFileSync(cmd, args, { cwd, stdio: 'inherit' });
}

/** start runs a long-lived process and resolves with the first stdout line matching re. */
function start(name, cmd, args, re) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    child.stderr.on('data', (d) => process.env.E2E_VERBOSE && process.stderr.write(`[${name}] ${d}`));
    child.on('exit', (code) => reject(new Error(`${name} exited with ${code} before it was ready`)));
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const m = re.exec(line);
      if (m) {
        resolve(m[1]);
      }
    });
  });
}

async function cleanup() {
  await browser?.close().catch(() => {});
  for (const c of children) {
    if (c.exitCode === null) {
      c.kill('SIGTERM');
    }
  }
  await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)));
  if (!process.env.E2E_KEEP) {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function buildAndStart() {
  const bin = path.join(tmp, 'bin');
  mkdirSync(bin);
  run('go', ['build', '-o', bin + '/', './cmd/esdev'], repoRoot);
  run('go', ['build', '-o', bin + '/', './tests/seed', './pkg/devserver'], pluginDir);
  // Always (re)build: go build is incremental, and a stale binary in dist/
  // (from make plugin-backend or an earlier run) would test old code.
  const pluginBinary = path.join(pluginDir, 'dist/gpx_auditpipe_linux_amd64');
  run('go', ['build', '-o', pluginBinary, './pkg'], pluginDir);
  if (!process.env.E2E_SKIP_PAGE_BUILD) {
    run('npx', ['webpack', '--config', 'tests/webpack.e2e.mjs'], pluginDir);
  }

  const esURL = await start('esdev', path.join(bin, 'esdev'), ['-addr', '127.0.0.1:0', '-data', path.join(tmp, 'es')], /listening on (http:\/\/\S+)/);
  log(`esdev at ${esURL}`);
  run(path.join(bin, 'seed'), ['-es', esURL, '-n', String(SEED_EVENTS), '-span', '24h'], pluginDir);
  // The data source starts pointed at a closed port: the test has to configure it.
  const grafanaURL = await start(
    'devserver',
    path.join(bin, 'devserver'),
    ['-plugin', pluginBinary, '-static', path.join(pluginDir, 'tests/page/dist'), '-es', 'http://127.0.0.1:1', '-addr', '127.0.0.1:0', '-uid', 'auditpipe'],
    /^(http:\/\/\S+)$/
  );
  log(`devserver at ${grafanaURL}`);
  return { esURL, grafanaURL };
}

async function launch() {
  browser = await chromium.launchPersistentContext(path.join(tmp, 'chromium'), {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  page.on('pageerror', (e) => log(`page error: ${e.message}`));
  return page;
}

async function shot(locator, name) {
  mkdirSync(shotsDir, { recursive: true });
  await locator.screenshot({ path: path.join(shotsDir, name) });
  log(`screenshot docs/screenshots/${name}`);
}

/** Flow 1: fill the config, Save & test fails against a closed port, then succeeds against esdev. */
async function configure(page, esURL) {
  const config = page.getByTestId('config-section');
  await config.getByLabel('URLs').waitFor();
  await config.getByRole('button', { name: 'Save & test' }).click();
  const health = page.getByLabel('Health');
  await health.waitFor();
  assert.equal(await health.getAttribute('data-status'), 'error', 'health against a closed port must fail');
  log(`health with a wrong URL: ${await health.innerText()}`);

  await config.getByLabel('URLs').fill(esURL);
  await config.getByLabel('Index pattern').fill('logs-audit-*');
  await config.getByLabel('Annotations index').fill('audit-annotations');
  await config.getByRole('radio', { name: 'API key' }).click();
  await config.locator('#config-api-key').fill('not-checked-by-esdev');
  await config.getByRole('radio', { name: 'No auth' }).click();
  await config.getByLabel('Export row limit').fill('100000');
  await config.getByLabel('OTLP endpoint').fill('');
  await config.getByRole('button', { name: 'Save & test' }).click();
  await page.waitForFunction(() => document.querySelector('[aria-label="Health"]')?.getAttribute('data-status') === 'success', null, { timeout: 30000 });
  const message = await health.innerText();
  log(`health: ${message}`);
  assert.match(message, /\S/, 'Save & test shows the health message');
  await shot(config, 'config-editor.png');
}

/** Flow 2: a filtered search built with the Lucene box and a chip picked from backend suggestions. */
async function search(page) {
  const q = page.getByTestId('query-section');
  await q.getByRole('radio', { name: 'Search' }).click();
  await q.getByLabel('Filter field').click();
  await page.getByRole('option', { name: 'Module' }).click();
  const value = q.getByRole('combobox', { name: 'Filter value' });
  await value.click();
  await value.pressSequentially('bon');
  const list = q.getByRole('listbox', { name: 'Module values' });
  await page.waitForFunction(
    () => {
      const opts = [...document.querySelectorAll('[role="listbox"][aria-label="Module values"] [role="option"]')];
      return opts.length > 0 && opts.every((o) => o.textContent.startsWith('bon'));
    },
    null,
    { timeout: 30000 }
  );
  log(`suggestions for "bon": ${(await list.getByRole('option').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ')).join('; ')}`);
  await value.press('ArrowDown');
  await value.press('Enter');
  const chip = q.getByRole('list', { name: 'Filters' }).getByRole('listitem');
  await chip.first().waitFor();
  const module = (await chip.first().getAttribute('aria-label')).replace(/^Module = /, '');
  assert.match(module, /^bon/, 'the chip holds the suggested module');
  log(`filter: module = ${module}`);

  await q.getByLabel('Lucene query').fill('NOT outcome:failure');
  await q.getByLabel('Lucene query').press('Enter');
  await page.waitForFunction(() => document.querySelector('[aria-label="Result summary"]')?.getAttribute('data-state') === 'Done', null, { timeout: 30000 });
  const summary = await page.getByLabel('Result summary').innerText();
  log(`search: ${summary}`);
  assert.doesNotMatch(summary, /error/, summary);
  const rows = q.getByRole('table', { name: 'Events' }).locator('tbody tr');
  assert.ok((await rows.count()) > 0, 'the filtered search returns events');
  for (const outcome of await rows.locator('td:nth-child(4)').allInnerTexts()) {
    assert.notEqual(outcome, 'failure', 'Lucene NOT outcome:failure is applied');
  }
  await shot(q, 'query-editor.png');
  return { module };
}

/** Flow 3: open the first event; its diff must match the stored old and new values. */
async function openEvent(page, grafanaURL, module) {
  const q = page.getByTestId('query-section');
  const details = q.getByRole('table', { name: 'Events' }).getByRole('button', { name: /^Details of / }).first();
  const id = (await details.getAttribute('aria-label')).replace(/^Details of /, '');
  await details.click();
  const article = page.getByRole('article', { name: `Audit event ${id}` });
  await article.waitFor({ timeout: 30000 });
  const stored = await (await fetch(`${grafanaURL}/api/datasources/uid/auditpipe/resources/events/${encodeURIComponent(id)}`)).json();
  const ev = stored.event;
  const changeFields = ev.change_fields ?? [];
  assert.equal(ev.module, module, `event ${id} is from the filtered module`);
  const changes = article.getByRole('region', { name: 'Changes' });
  const changedRows = changes.locator('tbody tr[data-changed="true"]');
  assert.ok((await changedRows.count()) > 0, 'the diff marks changed fields');
  const oldObj = JSON.parse(ev.old_value || '{}');
  const newObj = JSON.parse(ev.new_value || '{}');
  for (const row of await changes.locator('tbody tr').all()) {
    const key = (await row.locator('th').innerText()).replace(/\s*\(changed\)$/, '');
    const [oldCell, newCell] = await row.locator('td').allInnerTexts();
    const show = (v) => (v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v));
    assert.equal(oldCell, show(oldObj[key]), `old ${key}`);
    assert.equal(newCell, show(newObj[key]), `new ${key}`);
    const changed = (await row.getAttribute('data-changed')) === 'true';
    assert.equal(changed, show(oldObj[key]) !== show(newObj[key]) || changeFields.includes(key), `changed mark of ${key}`);
  }
  assert.ok((await article.innerText()).includes(ev.actor_id), 'the detail names the actor');
  log(`event ${id}: ${await changedRows.count()} changed field(s), chain ${stored.chain?.status}`);
  // Add a comment; it is stored by the backend and shown after the reload.
  const note = `checked by e2e ${Date.now()}`;
  await article.getByLabel('Comment', { exact: true }).fill(note);
  await article.getByLabel('Tags').fill('e2e, reviewed');
  await article.getByRole('button', { name: 'Add comment' }).click();
  await article.getByText(note).waitFor({ timeout: 30000 });
  log(`comment added to ${id}`);
  // A taller window shows the whole drawer, from "Who" to the comments.
  await page.setViewportSize({ width: 1280, height: 1500 });
  await article.evaluate((el) => el.scrollIntoView({ block: 'start' }));
  await shot(page.locator('[role="dialog"]').last(), 'event-detail.png');
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.keyboard.press('Escape');
  await article.waitFor({ state: 'detached' });
  return id;
}

/** Flow 4: export the search as CSV; the file must hold exactly the matching events. */
async function exportCSV(page, grafanaURL, module, openedId) {
  const q = page.getByTestId('query-section');
  const [download] = await Promise.all([page.waitForEvent('download'), q.getByRole('button', { name: 'Export CSV' }).click()]);
  const file = path.join(tmp, download.suggestedFilename() || 'export.csv');
  await download.saveAs(file);
  const lines = readFileSync(file, 'utf8').replace(/^\uFEFF/, '').trimEnd().split(/\r?\n/);
  assert.equal(lines[0], CSV_HEADER, 'CSV header');
  const rows = lines.slice(1).map(parseCSVLine);
  const col = (name) => CSV_HEADER.split(',').indexOf(name);
  assert.ok(rows.length > 0, 'CSV has rows');
  for (const r of rows) {
    assert.equal(r[col('module')], module, `row ${r[col('id')]} module`);
    assert.notEqual(r[col('outcome')], 'failure', `row ${r[col('id')]} outcome`);
  }
  assert.ok(rows.some((r) => r[col('id')] === openedId), 'the opened event is in the export');
  // The export is the whole result, not the page: compare with a count of the same query.
  const count = await countMatching(grafanaURL, module);
  assert.equal(rows.length, count, 'CSV rows equal the matching events');
  log(`CSV ${download.suggestedFilename()}: ${rows.length} rows, all match`);
}

async function countMatching(grafanaURL, module) {
  const now = Date.now();
  const res = await fetch(`${grafanaURL}/api/ds/query`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      from: String(now - 2 * 86400000),
      to: String(now + 3600000),
      queries: [
        {
          refId: 'C',
          datasource: { uid: 'auditpipe' },
          queryType: 'stats',
          stat: 'count',
          query: 'NOT outcome:failure',
          filters: [{ field: 'module', op: 'eq', values: [module] }],
        },
      ],
    }),
  });
  const body = await res.json();
  const frame = body.results.C.frames[0];
  return frame.data.values[0][0];
}

/** parseCSVLine reads one RFC 4180 record (fields may be quoted, quotes doubled). */
function parseCSVLine(line) {
  const out = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      out.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  out.push(cur);
  return out;
}

/** Flow 6: every query of the provisioned Audit overview dashboard runs without error and returns data. */
async function dashboard(grafanaURL) {
  const dash = JSON.parse(readFileSync(path.join(pluginDir, 'provisioning/dashboards/audit-overview.json'), 'utf8'));
  const targets = dash.panels.flatMap((p) => p.targets.map((t) => [p.title, t]));
  targets.push(...dash.annotations.list.filter((a) => a.target).map((a) => [`annotation ${a.name}`, a.target]));
  const now = Date.now();
  for (const [title, target] of targets) {
    const res = await fetch(`${grafanaURL}/api/ds/query`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ from: String(now - 86400000), to: String(now), queries: [{ ...target, intervalMs: 60000, maxDataPoints: 500 }] }),
    });
    const result = (await res.json()).results?.[target.refId];
    assert.ok(result && !result.error, `${title}: ${result?.error}`);
    const rows = (result.frames ?? []).reduce((n, f) => n + (f.data.values[0]?.length ?? 0), 0);
    assert.ok(rows > 0, `${title} returns data`);
  }
  log(`dashboard: ${targets.length} queries return data`);
}

/** Flow 5: the variable editor lists a field's values from the backend. */
async function variable(page) {
  const v = page.getByTestId('variable-section');
  await v.getByRole('button', { name: 'Preview values' }).click();
  const values = await page.getByLabel('Variable values').innerText();
  assert.ok(values.split(', ').length > 1, `module values: ${values}`);
  log(`variable values of module: ${values}`);
  await shot(v, 'variable-editor.png');
}

/**
 * The @grafana/plugin-e2e specs in tests/grafana/ need a real Grafana and
 * packages that download their own browsers; they run only when both exist.
 */
async function realGrafanaSpecs() {
  if (!process.env.GRAFANA_URL) {
    log('skipped: GRAFANA_URL not set (real-Grafana specs need @grafana/plugin-e2e)');
    return;
  }
  try {
    createRequire(import.meta.url).resolve('@grafana/plugin-e2e');
  } catch {
    log('skipped: GRAFANA_URL is set but @grafana/plugin-e2e is not installed (npm i -D @grafana/plugin-e2e @playwright/test, then npx playwright install chromium)');
    return;
  }
  run('npx', ['playwright', 'test', '-c', 'tests/grafana/playwright.config.ts'], pluginDir);
}

async function main() {
  await realGrafanaSpecs();
  const { esURL, grafanaURL } = await buildAndStart();
  const page = await launch();
  await page.goto(`${grafanaURL}/index.html`);
  await configure(page, esURL);
  const { module } = await search(page);
  const id = await openEvent(page, grafanaURL, module);
  await exportCSV(page, grafanaURL, module, id);
  await variable(page);
  await dashboard(grafanaURL);
  log('all browser flows passed');
}

main()
  .then(cleanup)
  .catch(async (e) => {
    console.error(e);
    await cleanup();
    process.exit(1);
  });

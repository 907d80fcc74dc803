// Support for the browser end-to-end tests: starts the real `folio` binary on a free port
// serving the built client, drives the distribution's Chromium (/usr/bin/chromium) through
// playwright-core, signs users up through the API, makes test photos, and saves screenshots
// under client-web/e2e-artifacts/ (gitignored).

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const CLIENT_DIR = path.resolve(here, '..');
export const FOLIO_BIN = process.env.FOLIO_BIN || path.resolve(CLIENT_DIR, '../target/debug/folio');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const ARTIFACTS = path.join(CLIENT_DIR, 'e2e-artifacts');
export const VIEWPORT = { width: 1280, height: 800 };

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts folio on 127.0.0.1:0 with a fresh data dir; resolves once /readyz answers. With
 * FOLIO_E2E_URL set, uses that running server instead (e.g. one `scripts/run` started, to
 * walk the README's flow against the real run command); it is left running afterwards.
 */
export async function startFolio() {
  if (process.env.FOLIO_E2E_URL) {
    const url = process.env.FOLIO_E2E_URL.replace(/\/$/, '');
    const ready = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
    if (!ready) throw new Error(`FOLIO_E2E_URL=${url} is not ready (GET /readyz failed)`);
    return { url, stop: async () => {}, logs: () => '' };
  }
  if (!existsSync(FOLIO_BIN)) throw new Error(`folio binary not found at ${FOLIO_BIN}; run \`cargo build -p folio-server --bin folio\` or set FOLIO_BIN`);
  const dist = path.join(CLIENT_DIR, 'dist');
  if (!existsSync(path.join(dist, 'index.html'))) throw new Error('client-web/dist is not built; run `npm run build` first');
  const dataDir = await mkdtemp(path.join(tmpdir(), 'folio-e2e-'));
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k === 'DATABASE_URL' || k === 'REDIS_URL' || k.startsWith('S3_') || k.startsWith('FOLIO_')) delete env[k];
  const proc = spawn(FOLIO_BIN, ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--static-dir', dist], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs = [];
  const keep = (line) => {
    logs.push(line);
    if (logs.length > 300) logs.shift();
    if (process.env.FOLIO_TEST_LOG) process.stderr.write(`[folio] ${line}\n`);
  };
  readline.createInterface({ input: proc.stderr }).on('line', keep);
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`folio did not start within 60 s\n${logs.join('\n')}`)), 60_000);
    readline.createInterface({ input: proc.stdout }).on('line', (line) => {
      keep(line);
      const m = /folio listening on (http:\/\/[^\s]+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m[1].replace(/\/$/, ''));
      }
    });
    proc.once('exit', (code) => reject(new Error(`folio exited early (${code})\n${logs.join('\n')}`)));
  });
  for (let i = 0; i < 200; i++) {
    const ok = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
    if (ok) break;
    await sleep(100);
  }
  return {
    url,
    logs: () => logs.slice(-80).join('\n'),
    async stop() {
      proc.kill('SIGTERM');
      await Promise.race([new Promise((r) => proc.once('exit', r)), sleep(10_000)]);
      if (proc.exitCode === null) proc.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}; install it with \`apt-get install chromium\``);
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** Calls the API as `token`; throws on an error answer. */
export async function api(base, token, method, apiPath, body) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${base}/api${apiPath}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${apiPath} → ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

let counter = 0;
/** A new account; resolves with {user, token, email, password}. */
export async function signup(base, name) {
  const email = `${name.toLowerCase()}-${Date.now()}-${counter++}@example.com`;
  const password = 'correct horse battery';
  const { user, token } = await api(base, null, 'POST', '/auth/signup', { email, name, password });
  return { user, token, email, password };
}

/**
 * Makes `member` (an account from `signup`) a member of the project at `role`, as `manager`.
 * The server adds by PUT only friends of the manager, people who already share a book with
 * them (SPEC §12); anyone else joins the real way first, by accepting a one-use invite link
 * the manager makes. Then the role is set by PUT. Resolves with the PUT's {user, role}.
 */
export async function addMember(base, manager, projectId, member, role) {
  const put = () => api(base, manager.token, 'PUT', `/projects/${projectId}/members/${member.user.id}`, { role });
  try {
    return await put();
  } catch (e) {
    if (!/→ 403 .*not_a_friend/.test(String(e.message))) throw e;
  }
  const { token } = await api(base, manager.token, 'POST', `/projects/${projectId}/invites`, { role, max_uses: 1 });
  await api(base, member.token, 'POST', `/invites/${token}/accept`);
  return put();
}

/** A browser context logged in as `account` (or logged out without one), at 1280×800. */
export async function newContext(browser, account) {
  const context = await browser.newContext({ viewport: VIEWPORT, acceptDownloads: true });
  if (account) {
    await context.addInitScript(
      ([token, user]) => {
        if (!localStorage.getItem('folio.token')) {
          localStorage.setItem('folio.token', token);
          localStorage.setItem('folio.user', user);
        }
      },
      [account.token, JSON.stringify(account.user)],
    );
  }
  return context;
}

/** Opens a project's editor and waits until it is synced. */
export async function openEditor(context, base, projectId) {
  const page = await context.newPage();
  page.on('pageerror', (e) => process.stderr.write(`[page error] ${e.message}\n`));
  if (process.env.FOLIO_E2E_CONSOLE) page.on('console', (m) => m.type() !== 'debug' && process.stderr.write(`[console ${m.type()}] ${m.text()}\n`));
  await page.goto(`${base}/projects/${projectId}`);
  await page.locator('[data-testid=connection-status][data-status=synced]').waitFor({ timeout: 15_000 });
  return page;
}

/** Saves a screenshot under e2e-artifacts/<suite>/<name>.png. */
export async function shot(page, suite, name) {
  const dir = path.join(ARTIFACTS, suite);
  await mkdir(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`) });
}

/** Polls `f` until it returns a truthy value; throws with `what` after `ms`. */
export async function waitFor(f, ms, what) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try {
      const v = await f();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? ` (${last.message})` : ''}`);
    await sleep(25);
  }
}

// ---------------------------------------------------------------------------------------
// Test photos: PNG files drawn here, each a different colour gradient.

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/**
 * A w×h RGB PNG drawn like a simple landscape: sky, sea and sand in flat bands of the given
 * colours, and a sun. Flat areas keep the files (and the screenshots showing them) small.
 */
export function pngImage(w, h, sky, sea, sand, sun = [250, 200, 60]) {
  const raw = Buffer.alloc((w * 3 + 1) * h);
  const [sx, sy, sr] = [w * 0.72, h * 0.25, Math.min(w, h) * 0.1];
  for (let y = 0; y < h; y++) {
    const row = y * (w * 3 + 1);
    raw[row] = 0;
    for (let x = 0; x < w; x++) {
      const wave = Math.sin(x / (w / 6)) * h * 0.02;
      let c = y < h * 0.55 + wave ? sky : y < h * 0.75 - wave ? sea : sand;
      if ((x - sx) ** 2 + (y - sy) ** 2 < sr * sr) c = sun;
      raw.set(c, row + 1 + x * 3);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** Three photos of different shapes, as Playwright file payloads. */
export function threePhotos() {
  return [
    { name: 'beach.png', mimeType: 'image/png', buffer: pngImage(1200, 800, [120, 190, 235], [30, 110, 170], [235, 210, 160]) },
    { name: 'palm.png', mimeType: 'image/png', buffer: pngImage(800, 1200, [150, 210, 200], [40, 150, 120], [90, 140, 60], [255, 240, 200]) },
    { name: 'sunset.png', mimeType: 'image/png', buffer: pngImage(1000, 1000, [240, 140, 90], [110, 50, 120], [60, 30, 70], [255, 220, 120]) },
  ];
}

export async function writeTestPhotos(dir) {
  await mkdir(dir, { recursive: true });
  const out = [];
  for (const p of threePhotos()) {
    const file = path.join(dir, p.name);
    await writeFile(file, p.buffer);
    out.push(file);
  }
  return out;
}

/**
 * Saves a screenshot of every open page after a test, named after the test, so that each
 * test leaves artifacts whether it passed or failed.
 */
export async function shotAfter(suite, testName, pages) {
  const slug = testName.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
  for (const [label, page] of Object.entries(pages)) {
    if (!page || page.isClosed()) continue;
    await shot(page, suite, `after-${slug}-${label}`).catch(() => undefined);
  }
}

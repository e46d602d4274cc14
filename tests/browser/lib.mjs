// Shared helpers for the browser tests (tests/browser/*.test.mjs): TAP
// lines, temp dirs, sealcamd / CLI / agent processes on 127.0.0.1, and a
// headless Debian chromium driven by playwright-core with a fresh profile.
// Everything started here is killed by PID when the test ends.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = process.env.SEALCAM_ROOT ||
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BUILD = process.env.BUILD || 'build';
export const BIN = path.isAbsolute(BUILD) ? BUILD : path.join(ROOT, BUILD);
export const SEALCAMD = path.join(BIN, 'sealcamd');
export const SEALCAM = path.join(BIN, 'sealcam');
export const AGENT = path.join(BIN, 'sealcam-agent');
export const ARTIFACTS = path.join(ROOT, 'tests', 'artifacts');

process.env.ASAN_OPTIONS ??= 'abort_on_error=1:detect_leaks=1';
process.env.UBSAN_OPTIONS ??= 'halt_on_error=1:print_stacktrace=1';

let failed = 0;
const procs = [];
const dirs = [];
const closers = [];

export function ok(what) { console.log(`ok - ${what}`); }
export function notOk(what, detail) {
  failed = 1;
  console.log(`not ok - ${what}`);
  if (detail !== undefined)
    for (const l of String(detail).split('\n').slice(0, 20)) console.log(`# ${l}`);
}
export function check(cond, what, detail) {
  if (cond) ok(what); else notOk(what, detail);
  return !!cond;
}
export function note(s) { console.log(`# ${s}`); }

export function tmpDir() {
  const d = fs.mkdtempSync(path.join(process.env.TMPDIR || os.tmpdir(), 'sealcam-browser.'));
  dirs.push(d);
  return d;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Poll fn until it returns a truthy value (or throw after secs).
export async function waitFor(what, fn, secs = 30, everyMs = 100) {
  const end = Date.now() + secs * 1000;
  let last;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) { last = e; }
    await sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what}${last ? ': ' + last.message : ''}`);
}

async function cleanup() {
  for (const c of closers.reverse()) { try { await c(); } catch { /* gone */ } }
  for (const p of procs) if (p.exitCode === null) { try { process.kill(p.pid, 'SIGTERM'); } catch { /* gone */ } }
  for (const p of procs) {
    for (let i = 0; i < 100 && p.exitCode === null && p.signalCode === null; i++) await sleep(50);
    if (p.exitCode === null && p.signalCode === null) { try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ } }
  }
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
}

// Run the test body; print a failure for an exception; clean up; exit.
export async function run(body) {
  const guard = setTimeout(() => { notOk('the test finished within its time limit'); finish(); },
    Number(process.env.BROWSER_TEST_TIMEOUT || 240) * 1000);
  async function finish() {
    clearTimeout(guard);
    await cleanup();
    process.exit(failed);
  }
  try {
    await body();
  } catch (e) {
    notOk('the test ran to its end', e && e.stack ? e.stack : String(e));
  }
  await finish();
}

// A long-running process, tracked; its output goes to logFile.
export function startProc(cmd, args, logFile, opts = {}) {
  const out = fs.openSync(logFile, 'a');
  const p = spawn(cmd, args, { stdio: ['ignore', out, out], ...opts });
  fs.closeSync(out);
  procs.push(p);
  return p;
}

export async function stopProc(p, secs = 15) {
  if (p.exitCode !== null || p.signalCode !== null) return p.exitCode;
  p.kill('SIGTERM');
  for (let i = 0; i < secs * 20 && p.exitCode === null && p.signalCode === null; i++) await sleep(50);
  if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await sleep(50);
  return p.exitCode;
}

// A program that finishes: { status, stdout, stderr }.
export function runCmd(cmd, args, input) {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', timeout: 120000 });
  return { status: r.status, stdout: r.stdout || '', stderr: r.stderr || '' };
}

// sealcamd on 127.0.0.1 and a free port; resolves when /healthz answers.
export async function startSealcamd(dir, extra = []) {
  fs.mkdirSync(dir, { recursive: true });
  const portFile = path.join(dir, 'port');
  const log = path.join(dir, 'sealcamd.log');
  const p = startProc(SEALCAMD, ['--listen', '127.0.0.1', '--port', '0', '--port-file', portFile,
    '--data-dir', path.join(dir, 'data'), ...extra], log);
  const port = await waitFor('sealcamd to listen', () => {
    if (p.exitCode !== null) throw new Error('sealcamd exited: ' + fs.readFileSync(log, 'utf8').slice(-2000));
    return fs.existsSync(portFile) && fs.readFileSync(portFile, 'utf8').trim();
  }, 30, 50);
  const url = `http://127.0.0.1:${port}`;
  await waitFor('sealcamd /healthz', async () => (await fetch(url + '/healthz')).ok, 30, 50);
  return { proc: p, url, port: Number(port), dir, log, data: path.join(dir, 'data') };
}

/*
 * Headless chromium with a fresh profile directory, loopback only: host
 * names do not resolve, and any request to another origin than
 * allowOrigin is recorded in browser.foreign (tests assert it stays empty). Console errors (CSP
 * violations among them) are recorded in browser.errors.
 */
export async function launchBrowser(allowOrigin, opts = {}) {
  const profile = tmpDir();
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    acceptDownloads: true,
    viewport: opts.viewport || { width: 1280, height: 800 },
    deviceScaleFactor: opts.deviceScaleFactor || 1,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
  });
  const b = { ctx, foreign: [], errors: [] };
  // Passive (routing would turn off the HTTP cache and slow every request);
  // the resolver rule above already keeps other hosts unreachable.
  ctx.on('request', (req) => {
    const u = req.url();
    if (!(u.startsWith(allowOrigin + '/') || u.startsWith('blob:' + allowOrigin) || u.startsWith('data:')))
      b.foreign.push(u);
  });
  const watch = (page) => {
    page.on('console', (m) => { if (m.type() === 'error') b.errors.push(m.text()); });
    page.on('pageerror', (e) => b.errors.push('pageerror: ' + e.message));
  };
  ctx.on('page', watch);
  for (const pg of ctx.pages()) watch(pg);
  closers.push(() => ctx.close());
  return b;
}

export function artifact(name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, name);
}

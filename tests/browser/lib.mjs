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

// A program's binary standard output (throws if it fails).
export function runBin(cmd, args) {
  const r = spawnSync(cmd, args, { maxBuffer: 1 << 30, timeout: 120000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args[0]}: ${r.stderr}`);
  return r.stdout;
}

// sealcamd on 127.0.0.1 and a free port; resolves when /healthz answers.
export async function startSealcamd(dir, extra = []) {
  fs.mkdirSync(dir, { recursive: true });
  const portFile = path.join(dir, 'port');
  const log = path.join(dir, 'sealcamd.log');
  fs.rmSync(portFile, { force: true });
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

// --- a recorded world: server, an owner made with the CLI, an agent --------

// Quadrant colours of the test clip: block k (seconds 4k..4k+4) shows
// PALETTE[k], [k+1], [k+2], [k+3] (mod n) top-left, top-right,
// bottom-left, bottom-right. Distinct and far apart after YUV 4:2:0.
export const PALETTE = [[230, 30, 30], [30, 200, 40], [40, 60, 230], [240, 230, 30], [220, 40, 220],
  [30, 220, 220], [245, 245, 245], [250, 140, 20], [130, 40, 240], [120, 120, 120]];

const hexc = (c) => '0x' + c.map((v) => v.toString(16).padStart(2, '0')).join('');

// An H.264 clip of `blocks` 4-second blocks of four coloured quadrants,
// keyframes every 2 s (so the agent's 4 s segments are the blocks); with
// audio, an AAC track too (a 440 Hz tone, as a doorbell's microphone).
export function makeColourClip(path, blocks = 10, w = 640, hgt = 360, { audio = false } = {}) {
  const args = ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y'];
  const n = PALETTE.length;
  for (let k = 0; k < blocks; k++) {
    const q = [0, 1, 2, 3].map((i) => hexc(PALETTE[(k + i) % n]));
    args.push('-f', 'lavfi', '-i', `color=c=${q[0]}:s=${w}x${hgt}:r=25:d=4,` +
      `drawbox=x=${w / 2}:y=0:w=${w / 2}:h=${hgt / 2}:color=${q[1]}:t=fill,` +
      `drawbox=x=0:y=${hgt / 2}:w=${w / 2}:h=${hgt / 2}:color=${q[2]}:t=fill,` +
      `drawbox=x=${w / 2}:y=${hgt / 2}:w=${w / 2}:h=${hgt / 2}:color=${q[3]}:t=fill`);
  }
  if (audio) args.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${4 * blocks}`);
  const ins = Array.from({ length: blocks }, (_, k) => `[${k}:v]`).join('');
  args.push('-filter_complex', `${ins}concat=n=${blocks}:v=1:a=0[v]`, '-map', '[v]');
  if (audio) args.push('-map', `${blocks}:a`, '-c:a', 'aac', '-b:a', '64k');
  args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-g', '50', '-keyint_min', '50', '-sc_threshold', '0',
    '-pix_fmt', 'yuv420p', path);
  const r = runCmd('ffmpeg', args);
  if (r.status !== 0) throw new Error('ffmpeg: ' + r.stderr);
}

// sealcam CLI with its own home, against url.
export function cli(home, url, args, input) {
  return runCmd(SEALCAM, ['--home', home, '--server', url, ...args], input);
}

// Sign up with the CLI: { email, password, code, home }.
export function cliSignup(dir, url, email) {
  const home = path.join(dir, 'client-' + email.replace(/[^a-z0-9]/g, '_'));
  const password = 'pw ' + Math.random().toString(36).slice(2) + ' of ' + email;
  const r = cli(home, url, ['signup', '--email', email, '--password-stdin'], password + '\n');
  const m = /Recovery code: *(\S+)/.exec(r.stdout);
  if (r.status !== 0 || !m) throw new Error(`signup ${email}: ${r.stdout} ${r.stderr}`);
  return { email, password, code: m[1], home };
}

/*
 * Pair a camera through the CLI (camera add, sealcam-agent pair, camera
 * pending --wait) recording `source` with agent options; resolves
 * { agent, log, camId, state } once the agent accepted keyring epoch 1.
 */
export async function pairAgent(dir, url, owner, name, source, agentArgs = []) {
  const out = cli(owner.home, url, ['camera', 'add', '--name', name, '--no-wait']);
  const m = /Pairing string: *(\S+)/.exec(out.stdout);
  if (out.status !== 0 || !m) throw new Error('camera add: ' + out.stdout + out.stderr);
  const state = path.join(dir, 'agent-' + name.replace(/\W/g, '_'));
  const log = state + '.log';
  const agent = startProc(AGENT, ['pair', m[1], '--source', source, '--name', name, '--state', state, ...agentArgs], log);
  const pend = cli(owner.home, url, ['camera', 'pending', '--wait', '--timeout', '60']);
  if (pend.status !== 0) throw new Error('camera pending: ' + pend.stdout + pend.stderr + fs.readFileSync(log, 'utf8'));
  await waitFor('the agent to accept the keyring', () => fs.readFileSync(log, 'utf8').includes('keyring accepted'), 30);
  const camId = /paired camera ([0-9a-f]{32})/.exec(fs.readFileSync(log, 'utf8'))[1];
  return { agent, log, camId, state };
}

// GET with a bearer token (node side), JSON.
export async function apiGet(url, pathq, token) {
  const r = await fetch(url + pathq, { headers: { Authorization: `Bearer ${token}` } });
  if (!r.ok) throw new Error(`${pathq}: ${r.status}`);
  return r.json();
}

export async function apiLogin(url, email, password) {
  const r = await fetch(url + '/v1/login', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password }) });
  if (!r.ok) throw new Error('login ' + r.status);
  return (await r.json()).token;
}

// live_browser.mjs — the browser half of tests/e2e/42-live-browser.sh.
//
// usage: node live_browser.mjs SEALCAMD_URL TOKEN VAULT_FILE CAMERA_ID SECONDS
//
// Serves web/live.js, web/liveplayer.js and web/mp4.js, libsodium.js from node_modules
// and a bare test page from a local HTTP server that also forwards /v1/* to
// sealcamd (same origin, streamed), opens it in Chromium (/usr/bin/chromium,
// playwright-core), starts the live player with the owner's keys (the
// vault file the CLI keeps) and watches <video>: it must play and its
// currentTime must advance for SECONDS. Prints TAP lines and the glass to
// glass estimate (capture time of the newest fragment to now, plus what is
// buffered ahead of the playhead).
import { createServer, request } from 'node:http';
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const [url, token, vaultFile, camId, secondsArg] = process.argv.slice(2);
const SECONDS = Number(secondsArg || 10);
const root = new URL('../../', import.meta.url);
let failed = 0;
const ok = (c, what, detail) => {
  console.log(`${c ? 'ok' : 'not ok'} - ${what}`);
  if (!c) { failed++; if (detail) console.log('# ' + String(detail).split('\n').join('\n# ')); }
};

const files = {
  '/live.js': new URL('web/live.js', root),
  '/liveplayer.js': new URL('web/liveplayer.js', root),
  '/mp4.js': new URL('web/mp4.js', root),
  '/sodium/libsodium-wrappers.mjs': new URL('node_modules/libsodium-wrappers-sumo/dist/modules-sumo-esm/libsodium-wrappers.mjs', root),
  '/sodium/libsodium-sumo.mjs': new URL('node_modules/libsodium-sumo/dist/modules-sumo-esm/libsodium-sumo.mjs', root),
};
const page_html = `<!doctype html><meta charset="utf-8"><title>live test</title>
<video id="v" muted autoplay playsinline width="640"></video>
<script type="module">
import sodium from '/sodium/libsodium-wrappers.mjs';
import { playLive } from '/liveplayer.js';
window.startLive = async (a) => {
  await sodium.ready;
  const ser = sodium.from_hex(a.vault);           // SVLT, version, X25519 sk, Ed25519 seed
  const boxSk = ser.slice(5, 37);
  const boxPk = sodium.crypto_scalarmult_base(boxSk);
  window.liveStats = [];
  window.liveErr = null;
  const live = playLive({ sodium, url: '/v1/cameras/' + a.cam + '/live', token: a.token,
    cameraPk: sodium.from_hex(a.cameraPk), boxPk, boxSk, video: document.getElementById('v'),
    onStats: (s) => window.liveStats.push(s) });
  live.done.catch((e) => { window.liveErr = String(e); });
  window.live = live;
};
</script>`;

const upstream = new URL(url);
const server = createServer((req, res) => {
  if (req.url.startsWith('/v1/')) {   // forward to sealcamd, streaming both ways
    const p = request({ host: upstream.hostname, port: upstream.port, path: req.url,
      method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode, r.headers);
      r.pipe(res);
    });
    p.on('error', () => res.destroy());
    req.pipe(p);
    res.on('close', () => p.destroy());
    return;
  }
  if (req.url === '/' || req.url === '/index.html') {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    return res.end(page_html);
  }
  const f = files[req.url];
  if (!f) { res.writeHead(404); return res.end(); }
  res.writeHead(200, { 'Content-Type': 'text/javascript' });
  res.end(readFileSync(f));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;

const cams = await (await fetch(url + '/v1/cameras', { headers: { Authorization: 'Bearer ' + token } })).json();
const cam = cams.cameras.find((c) => c.camera_id === camId);
const vault = readFileSync(vaultFile).toString('hex');
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
  args: ['--autoplay-policy=no-user-gesture-required', '--no-sandbox'] });
try {
  const page = await browser.newPage();
  const logs = [];
  page.on('console', (m) => logs.push(m.text()));
  page.on('pageerror', (e) => logs.push(String(e)));
  await page.goto(base + '/');
  await page.evaluate((a) => window.startLive(a), { vault, cam: camId, token, cameraPk: cam.camera_pk });
  // Wait for playback to begin (the agent starts at its next keyframe).
  let t0 = null;
  for (let i = 0; i < 150 && t0 === null; i++) {
    const s = await page.evaluate(() => ({ t: document.getElementById('v').currentTime,
      err: window.liveErr, ready: document.getElementById('v').readyState }));
    if (s.err) break;
    if (s.t > 0) t0 = s;
    else await new Promise((r) => setTimeout(r, 100));
  }
  ok(t0 !== null, 'the live video starts playing in Chromium (MSE, decrypted in the page)',
    JSON.stringify(await page.evaluate(() => window.liveErr)) + '\n' + logs.join('\n'));
  const samples = [];
  for (let i = 0; i <= SECONDS && t0 !== null; i++) {
    samples.push(await page.evaluate(() => ({ t: document.getElementById('v').currentTime,
      paused: document.getElementById('v').paused, err: window.liveErr })));
    await new Promise((r) => setTimeout(r, 1000));
  }
  const adv = samples.length ? samples[samples.length - 1].t - samples[0].t : 0;
  const rising = samples.every((s, i) => i === 0 || s.t > samples[i - 1].t);
  ok(t0 !== null && rising && adv >= SECONDS * 0.7 && !samples.some((s) => s.err),
    `currentTime advances every second for ${SECONDS} s (${adv.toFixed(2)} s of video played)`,
    JSON.stringify(samples));
  const st = await page.evaluate(() => window.liveStats);
  const g2g = st.slice(-Math.min(st.length, 50)).map((s) => s.behindMs + s.bufferMs).sort((a, b) => a - b);
  const p50 = g2g[Math.floor(g2g.length / 2)], p99 = g2g[Math.floor(g2g.length * 0.99)];
  console.log(`# glass to glass (capture of the newest fragment to now + buffered ahead): p50 ${Math.round(p50)} ms, p99 ${Math.round(p99)} ms over ${g2g.length} fragments; live-edge jumps ${st.length ? st[st.length - 1].jumps : 0}`);
  ok(g2g.length > 0 && p50 < 3000, `the page stays near the live edge (glass to glass p50 ${Math.round(p50)} ms)`);
  // Fall behind on purpose (quarter speed for 4 s: 3 s behind): the player
  // must jump back to the live edge.
  const before = await page.evaluate(() => window.live.stats.jumps);
  await page.evaluate(() => { document.getElementById('v').playbackRate = 0.25; });
  await new Promise((r) => setTimeout(r, 4000));
  await page.evaluate(() => { document.getElementById('v').playbackRate = 1; });
  await new Promise((r) => setTimeout(r, 1000));
  const after = await page.evaluate(() => {
    const v = document.getElementById('v'), b = v.buffered;
    return { jumps: window.live.stats.jumps, ahead: b.length ? b.end(b.length - 1) - v.currentTime : -1 };
  });
  ok(after.jumps > before && after.ahead >= 0 && after.ahead < 1.5,
    `fallen more than 1.5 s behind, the player jumps to the live edge (${after.jumps - before} jump(s), ${after.ahead.toFixed(2)} s behind after)`,
    JSON.stringify(after));
  await page.evaluate(() => window.live.stop());
} finally {
  await browser.close();
  server.close();
}
process.exit(failed ? 1 : 0);

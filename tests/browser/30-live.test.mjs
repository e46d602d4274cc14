// Live view from the camera page: the Live button streams the camera
// through sealcamd's relay into the page, where every record is verified
// and decrypted (web/live.js, web/liveplayer.js) and played; the picture is
// the camera's (the colour-block clip, with a sound track, looping on the
// agent) and its sound is decoded too; a click on the
// timeline goes back to recorded footage; the view is in the owner's live
// history. Screenshots in tests/artifacts/.
import fs from 'node:fs';
import path from 'node:path';
import * as L from './lib.mjs';

const { check, ok } = L;
const N = L.PALETTE.length;
const dist = (a, b) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
const nearest = (c) => L.PALETTE.reduce((best, p, i) => (dist(c, p) < dist(c, L.PALETTE[best]) ? i : best), 0);
const blockOf = (q) => {
  if (!q) return -1;
  const idx = q.map(nearest);
  return idx.every((v, i) => v === (idx[0] + i) % N) && q.every((c) => dist(c, L.PALETTE[nearest(c)]) < 60) ? idx[0] : -1;
};

async function frame(page) {
  return page.evaluate(() => {
    const v = document.querySelector('#video');
    if (!v || v.readyState < 2 || !v.videoWidth) return null;
    const c = document.createElement('canvas');
    c.width = v.videoWidth;
    c.height = v.videoHeight;
    const g = c.getContext('2d', { willReadFrequently: true });
    g.drawImage(v, 0, 0);
    const w = c.width / 2, h = c.height / 2;
    const q = [[0, 0], [1, 0], [0, 1], [1, 1]].map(([x, y]) => {
      const d = g.getImageData(x * w + w / 4, y * h + h / 4, w / 2, h / 2).data;
      let r = 0, gg = 0, b = 0;
      for (let i = 0; i < d.length; i += 4) { r += d[i]; gg += d[i + 1]; b += d[i + 2]; }
      return [r / (d.length / 4), gg / (d.length / 4), b / (d.length / 4)];
    });
    return { q, t: v.currentTime, paused: v.paused };
  });
}

await L.run(async () => {
  const dir = L.tmpDir();
  const srv = await L.startSealcamd(path.join(dir, 's'), ['--live-grace', '1s']);
  const url = srv.url;
  const clip = path.join(dir, 'clip.mp4');
  L.makeColourClip(clip, 3, 640, 360, { audio: true });
  const alice = L.cliSignup(dir, url, 'alice@example.com');
  const cam = await L.pairAgent(dir, url, alice, 'Garden', clip, ['--loop', '--live-fragment-ms', '200']);
  await L.waitFor('the live command channel', () => fs.readFileSync(cam.log, 'utf8').includes('live command channel open'), 30);
  const token = await L.apiLogin(url, alice.email, alice.password);
  await L.waitFor('a recorded segment', async () =>
    (await L.apiGet(url, `/v1/cameras/${cam.camId}/objects?kind=segment`, token)).objects.length >= 2, 60, 250);

  const br = await L.launchBrowser(url);
  const page = br.ctx.pages()[0] || await br.ctx.newPage();
  await page.goto(url + '/');
  await page.fill('#email', alice.email);
  await page.fill('#password', alice.password);
  await page.click('button[type=submit]');
  await page.fill('#code', alice.code);
  await page.click('button[type=submit]');
  await page.waitForSelector('.cam-card', { timeout: 60000 });
  await page.click('.cam-card');
  await page.waitForSelector('#live:not([disabled])', { timeout: 15000 });
  ok('the camera page offers Live for the online camera');

  await page.click('#live');
  let f = null, t0 = null;
  try {
    await L.waitFor('live pictures', async () => {
      f = await frame(page);
      if (f && blockOf(f.q) >= 0 && !f.paused) {
        if (t0 === null) t0 = f.t;
        return f.t > t0 + 1.5;
      }
      return false;
    }, 40, 200);
  } catch { /* reported below */ }
  check(f && blockOf(f.q) >= 0 && t0 !== null && f.t > t0 + 1.5,
    "Live plays the camera's picture in the page (verified and decrypted there), currentTime advancing",
    JSON.stringify(f));
  const audio = await page.$eval('video', (v) => ({ bytes: v.webkitAudioDecodedByteCount, muted: v.muted }));
  check(audio.bytes > 0, "...with the camera's sound: the AAC track is carried live and decoded in the page",
    JSON.stringify(audio));
  const on = await page.$eval('#live', (b) => b.classList.contains('on') && b.getAttribute('aria-pressed') === 'true');
  const state = await page.$eval('#player-state', (e) => e.textContent);
  check(on && state === '', 'the Live button shows it is on; no message over the picture', state);
  await page.screenshot({ path: L.artifact('live-desktop.png') });
  await page.setViewportSize({ width: 375, height: 812 });
  await L.sleep(400);
  await page.screenshot({ path: L.artifact('live-phone.png') });
  await page.setViewportSize({ width: 1280, height: 800 });

  // Back to a recording: click the timeline where segment 1 is.
  const segs = (await L.apiGet(url, `/v1/cameras/${cam.camId}/objects?kind=segment`, token)).objects;
  const box = await page.locator('#timeline').boundingBox();
  const [a, b] = await page.$eval('#timeline', (c) => [Number(c.dataset.viewStart), Number(c.dataset.viewEnd)]);
  const ms = segs[0].start_ms + 1000;
  await page.mouse.click(box.x + ((ms - a) / (b - a)) * box.width, box.y + box.height / 2);
  let g = null;
  try {
    await L.waitFor('recorded block 0', async () => { g = await frame(page); return g && blockOf(g.q) === 0; }, 20, 150);
  } catch { /* reported below */ }
  const off = await page.$eval('#live', (el) => !el.classList.contains('on'));
  check(g && blockOf(g.q) === 0 && off, 'a click on the timeline leaves live and plays the recording (block 0)', JSON.stringify(g));

  let views = [];
  await L.waitFor('the view to end', async () => {
    views = (await L.apiGet(url, `/v1/cameras/${cam.camId}/live/history`, token)).views || [];
    return views.length === 1 && views[0].ended_ms !== null;
  }, 20, 250).catch(() => {});
  check(views.length === 1 && views[0].email === alice.email && views[0].ended_ms !== null && views[0].bytes > 0,
    "the view is in the camera's live history: alice, ended when she left live", JSON.stringify(views));

  check(br.foreign.length === 0, 'nothing was requested from another origin', br.foreign.join('\n'));
  const bad = br.errors.filter((e) => /Content Security Policy|pageerror/.test(e));
  check(bad.length === 0, 'no CSP violation and no uncaught error', bad.join('\n'));
});

// An H.265 camera in a browser that cannot decode H.265 (Debian's
// chromium has no H.265 decoder): the camera is listed, its footage is
// verified and decrypted as any other, and both the recording player and
// the Live button say plainly that this browser cannot play the camera's
// video (naming the codec) and what can (the CLI) — no silent black
// picture, no uncaught error.
import path from 'node:path';
import fs from 'node:fs';
import * as L from './lib.mjs';

const { check } = L;

await L.run(async () => {
  const dir = L.tmpDir();
  const srv = await L.startSealcamd(path.join(dir, 's'), ['--live-grace', '1s']);
  const url = srv.url;
  const clip = path.join(dir, 'hevc.mp4');
  const enc = L.runCmd('ffmpeg', ['-nostdin', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25',
    '-t', '8', '-c:v', 'libx265', '-x265-params', 'log-level=error', '-g', '50', '-pix_fmt', 'yuv420p', clip]);
  check(enc.status === 0, 'ffmpeg makes an 8 s H.265 clip', enc.stderr);
  const owner = L.cliSignup(dir, url, 'owner@example.com');
  const cam = await L.pairAgent(dir, url, owner, 'Gate', clip,
    ['--loop', '--record', 'continuous', '--segment-seconds', '2', '--live-fragment-ms', '200']);
  await L.waitFor('the live command channel', () => fs.readFileSync(cam.log, 'utf8').includes('live command channel open'), 30);
  const token = await L.apiLogin(url, owner.email, owner.password);
  await L.waitFor('a recorded segment', async () =>
    (await L.apiGet(url, `/v1/cameras/${cam.camId}/objects?kind=segment`, token)).objects.length >= 1, 60, 250);

  const br = await L.launchBrowser(url);
  const page = br.ctx.pages()[0] || await br.ctx.newPage();
  await page.goto(url + '/');
  await page.fill('#email', owner.email);
  await page.fill('#password', owner.password);
  await page.click('button[type=submit]');
  await page.fill('#code', owner.code);
  await page.click('button[type=submit]');
  await page.waitForSelector('.cam-card', { timeout: 60000 });
  const card = await page.locator('.cam-card').innerText();
  check(/Gate/.test(card) && !/Keys do not check out/.test(card), 'the H.265 camera is listed, its keys trusted', card);
  await page.click('.cam-card');

  const stateText = async (re, secs) => {
    let t = '';
    await L.waitFor(`player message ${re}`, async () => {
      t = await page.$eval('#player-state', (e) => e.textContent).catch(() => '');
      return re.test(t);
    }, secs, 200).catch(() => {});
    return t;
  };
  await stateText(/press play/, 30);
  await page.click('#play');
  const rec = await stateText(/cannot play/, 30);
  check(/This browser cannot play this camera's video \(hev1\.1\.6\.L\d+/.test(rec) && /sealcam clips get/.test(rec),
    'recordings: the player says this browser cannot play the H.265 video, names the codec and the CLI export', rec);

  await page.waitForSelector('#live:not([disabled])', { timeout: 15000 });
  await page.click('#live');
  const live = await stateText(/Live view:.*cannot play/, 40);
  check(/Live view: this browser cannot play this camera's video \(hev1\./.test(live) && /sealcam live/.test(live),
    'live: the same, naming the codec and `sealcam live`', live);
  await page.screenshot({ path: L.artifact('hevc-desktop.png') });

  const bad = br.errors.filter((e) => /Content Security Policy|pageerror/.test(e));
  check(bad.length === 0, 'no CSP violation and no uncaught error', bad.join('\n'));
  await L.stopProc(cam.agent);
  check(await L.stopProc(srv.proc) === 0, 'sealcamd stops cleanly (exit 0; under ASan: no leak)');
});

// The browser viewer, end to end, as a household uses it: an owner signed
// up with the CLI, a camera recorded by the real agent (an ffmpeg clip of
// 4-second blocks of coloured quadrants, so every picture tells which
// moment it is), then in headless chromium: log in (wrong password first),
// unlock (mistyped and wrong recovery codes first), the camera with its
// thumbnail, play (currentTime advances, the frame shows the recorded
// colours), seek on the timeline, play across segments, a segment altered
// in the blob store shown as an error and never played, download a range
// and check it with ffprobe, share with a household member, another
// account seeing nothing, reload, expired session, server offline,
// "forget this browser". Screenshots go to tests/artifacts/.
import fs from 'node:fs';
import path from 'node:path';
import * as L from './lib.mjs';

const { check, ok, notOk, note } = L;
const N = L.PALETTE.length;
const BLOCKS = 10;
const TAMPERED = 7;               // seq of the segment altered at rest (block 6)
const dist = (a, b) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
const nearest = (c) => L.PALETTE.reduce((best, p, i) => (dist(c, p) < dist(c, L.PALETTE[best]) ? i : best), 0);

// Which block a frame shows: -1 if the quadrants are not a block's colours.
function blockOf(q) {
  if (!q) return -1;
  const idx = q.map(nearest);
  const k = idx[0];
  const good = idx.every((v, i) => v === (k + i) % N) && q.every((c) => dist(c, L.PALETTE[nearest(c)]) < 60);
  return good ? k : -1;
}

// Mean colour of the middle of each quadrant of the frame on screen.
async function frame(page) {
  return page.evaluate(async () => {
    const v = document.querySelector('#video');
    if (!v || v.readyState < 2 || !v.videoWidth) return null;
    if (!v.paused) {
      await Promise.race([new Promise((r) => v.requestVideoFrameCallback(() => r())),
        new Promise((r) => setTimeout(r, 1000))]);
    }
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
      const n = d.length / 4;
      return [r / n, gg / n, b / n];
    });
    return { q, t: v.currentTime, paused: v.paused, w: c.width, h: c.height };
  });
}

// Click the timeline at wall-clock ms.
async function clickTimeline(page, ms) {
  const box = await page.locator('#timeline').boundingBox();
  const [a, b] = await page.$eval('#timeline', (c) => [Number(c.dataset.viewStart), Number(c.dataset.viewEnd)]);
  if (ms < a || ms > b) throw new Error(`time ${ms} is outside the timeline view ${a}..${b}`);
  const x = box.x + ((ms - a) / (b - a)) * box.width;
  await page.mouse.click(x, box.y + box.height / 2);
}

// Wait until the video shows block k (or time out): the frame read then.
async function waitBlock(page, k, secs = 15) {
  let last = null;
  try {
    await L.waitFor(`block ${k} on screen`, async () => {
      last = await frame(page);
      return last && blockOf(last.q) === k;
    }, secs, 100);
  } catch { /* reported by the caller with `last` */ }
  return last;
}

await L.run(async () => {
  const dir = L.tmpDir();
  const srv = await L.startSealcamd(path.join(dir, 's'));
  const url = srv.url;

  // --- the world: owner, camera, recordings ------------------------------------
  const clip = path.join(dir, 'clip.mp4');
  L.makeColourClip(clip, BLOCKS);
  const alice = L.cliSignup(dir, url, 'alice@example.com');
  const bob = L.cliSignup(dir, url, 'bob@example.com');
  const cam = await L.pairAgent(dir, url, alice, 'Front door', clip, ['--speed', '4']);
  await L.waitFor('the agent to record the whole clip', () => fs.readFileSync(cam.log, 'utf8').includes('source ended'), 90);
  const aliceToken = await L.apiLogin(url, alice.email, alice.password);
  await L.waitFor('all segments and thumbnails on the server', async () => {
    const s = await L.apiGet(url, `/v1/cameras/${cam.camId}/objects?kind=segment`, aliceToken);
    const t = await L.apiGet(url, `/v1/cameras/${cam.camId}/objects?kind=thumbnail`, aliceToken);
    return s.objects.length >= BLOCKS && t.objects.length >= BLOCKS;
  }, 90, 250);
  const segs = (await L.apiGet(url, `/v1/cameras/${cam.camId}/objects?kind=segment`, aliceToken)).objects;
  check(segs.length === BLOCKS && segs.every((s, i) => s.seq === i + 1 && s.duration_ms === 4000),
    `the agent recorded ${BLOCKS} segments of 4 s (one per colour block), each with a thumbnail`,
    JSON.stringify(segs));
  const startOf = (seq) => segs[seq - 1].start_ms;

  // The CLI fetches a thumbnail too: verified, decrypted, a JPEG of the
  // segment's first picture.
  const jpg = path.join(dir, 'thumb.jpg');
  const th = L.cli(alice.home, url, ['clips', 'thumb', '--camera', 'Front door', '--seq', '3', '-o', jpg]);
  const tprobe = L.runCmd('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'csv=p=0', jpg]);
  const tpx = th.status === 0 ? L.runBin('ffmpeg', ['-nostdin', '-v', 'error', '-i', jpg, '-vf', 'scale=64:36:flags=neighbor',
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']) : Buffer.alloc(64 * 36 * 3);
  const tq = [[16, 9], [48, 9], [16, 27], [48, 27]].map(([x, y]) => [...tpx.subarray(3 * (y * 64 + x), 3 * (y * 64 + x) + 3)]);
  check(th.status === 0 && tprobe.stdout.trim() === 'mjpeg,320,180' && blockOf(tq) === 2,
    "sealcam clips thumb --seq 3 saves segment 3's thumbnail: a 320x180 JPEG of block 2",
    th.stdout + th.stderr + tprobe.stdout + JSON.stringify(tq));

  // Alter segment TAMPERED where it rests: one byte of its body, in the
  // blob store, behind the server's back.
  const want = Buffer.from(await (await fetch(`${url}/v1/cameras/${cam.camId}/objects/segment/${TAMPERED}`,
    { headers: { Authorization: `Bearer ${aliceToken}` } })).arrayBuffer());
  let blobPath = null;
  for (const d of fs.readdirSync(path.join(srv.data, 'blobs'))) {
    const sub = path.join(srv.data, 'blobs', d);
    if (!fs.statSync(sub).isDirectory()) continue;
    for (const f of fs.readdirSync(sub)) {
      const p = path.join(sub, f);
      if (fs.statSync(p).size === want.length && fs.readFileSync(p).equals(want)) blobPath = p;
    }
  }
  if (blobPath) {
    const b = fs.readFileSync(blobPath);
    b[b.length - 1000] ^= 0x01;
    fs.writeFileSync(blobPath, b);
  }
  check(blobPath !== null, `segment ${TAMPERED} found in the blob store and one byte of it flipped`);

  // --- log in, unlock ---------------------------------------------------------------
  const br = await L.launchBrowser(url);
  const page = br.ctx.pages()[0] || await br.ctx.newPage();
  await page.goto(url + '/');
  await page.waitForSelector('#email');
  check(await page.locator('h1').innerText() === 'Log in to sealcam', 'the viewer opens on the log-in page');
  await page.fill('#email', alice.email);
  await page.fill('#password', 'not the password');
  await page.click('button[type=submit]');
  await page.waitForSelector('.form-error:not([hidden])');
  const wrongPw = await page.locator('.form-error').innerText();
  check(/Wrong e-mail address or password/.test(wrongPw), 'a wrong password says so clearly', wrongPw);

  await page.fill('#password', alice.password);
  await page.click('button[type=submit]');
  await page.waitForSelector('#code');
  ok('the right password logs in and asks for the recovery code (this browser holds no keys yet)');

  const code = alice.code;
  const sym = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  const typo = code.slice(0, 5) + sym[(sym.indexOf(code[5]) + 7) % 32] + code.slice(6);
  await page.fill('#code', typo);
  let t0 = Date.now();
  await page.click('button[type=submit]');
  await page.waitForSelector('.form-error:not([hidden])');
  const mistyped = await page.locator('.form-error').innerText();
  check(/mistyped/.test(mistyped) && Date.now() - t0 < 3000,
    'a mistyped recovery code is reported as mistyped, at once (checksum, before any key derivation)', mistyped);

  const other = JSON.parse(fs.readFileSync(path.join(L.ROOT, 'tests/vectors/recovery.json'), 'utf8')).valid[0].formatted;
  await page.fill('#code', other);
  await page.click('button[type=submit]');
  await page.waitForFunction(() => /not the recovery code/.test(document.querySelector('.form-error')?.textContent || ''),
    null, { timeout: 60000 });
  ok('a valid but wrong recovery code says it is not this account\'s code');
  await page.screenshot({ path: L.artifact('unlock-desktop.png') });

  await page.fill('#code', code.toLowerCase().replace(/-/g, ' '));
  t0 = Date.now();
  await page.click('button[type=submit]');
  await page.waitForSelector('.cam-card', { timeout: 60000 });
  note(`unlock (Argon2id MODERATE in libsodium.js) took ${Date.now() - t0} ms`);
  ok('the recovery code (typed in lower case with spaces) unlocks; the cameras page shows');

  // --- cameras page ------------------------------------------------------------------
  await page.waitForSelector('.cam-card .thumb img', { timeout: 30000 });
  const thumb = await page.$eval('.cam-card .thumb img', (img) => new Promise((res) => {
    const go = () => {
      const c = document.createElement('canvas');
      c.width = img.naturalWidth;
      c.height = img.naturalHeight;
      const g = c.getContext('2d');
      g.drawImage(img, 0, 0);
      const w = c.width / 2, h = c.height / 2;
      const q = [[0, 0], [1, 0], [0, 1], [1, 1]].map(([x, y]) => {
        const d = g.getImageData(x * w + w / 4, y * h + h / 4, w / 2, h / 2).data;
        let r = 0, gg = 0, b = 0;
        for (let i = 0; i < d.length; i += 4) { r += d[i]; gg += d[i + 1]; b += d[i + 2]; }
        return [r / (d.length / 4), gg / (d.length / 4), b / (d.length / 4)];
      });
      res({ w: img.naturalWidth, h: img.naturalHeight, q, src: img.src.slice(0, 5) });
    };
    if (img.complete) go(); else img.onload = go;
  }));
  const card = await page.locator('.cam-card').innerText();
  check(/Front door/.test(card) && /Online/.test(card), 'the camera is listed by name, online', card);
  check(thumb.w === 320 && thumb.h === 180 && thumb.src === 'blob:' && blockOf(thumb.q) === BLOCKS - 1,
    `its thumbnail is the latest segment's first picture (320x180 JPEG, decrypted in the page, colours of block ${BLOCKS - 1})`,
    JSON.stringify(thumb));
  await page.screenshot({ path: L.artifact('cameras-desktop.png') });

  // --- timeline, play, seek ----------------------------------------------------------------
  await page.click('.cam-card');
  await page.waitForSelector('#timeline');
  await page.waitForFunction(() => /recordings/.test(document.querySelector('#summary')?.textContent || ''));
  await L.sleep(300);
  await page.screenshot({ path: L.artifact('timeline-desktop.png') });
  check(/10 recordings/.test(await page.locator('#summary').innerText()), 'the timeline lists the day\'s 10 recordings',
    await page.locator('#summary').innerText());

  // Click to first frame (the benchmark): a fresh player, nothing cached.
  const firstFrame = [];
  for (const seq of [3, 9, 1, 5]) {
    const target = startOf(seq) + 1500;
    // Paused first, then timed from the click to the first frame of the
    // target segment presented on screen.
    await page.evaluate(({ a, b }) => {
      const v = document.querySelector('#video');
      v.pause();
      const day = new Date();
      day.setHours(0, 0, 0, 0);
      const lo = (a - day.getTime()) / 1000, hi = (b - day.getTime()) / 1000;
      window.__ff = new Promise((res) => {
        const t0 = performance.now();
        const tick = () => v.requestVideoFrameCallback((now, meta) => {
          if (meta.mediaTime >= lo && meta.mediaTime < hi) res(performance.now() - t0); else tick();
        });
        tick();
      });
    }, { a: startOf(seq), b: startOf(seq) + 4000 });
    await clickTimeline(page, target);
    const ms = await page.evaluate(() => window.__ff);
    const f = await waitBlock(page, seq - 1);
    firstFrame.push(ms);
    check(blockOf(f && f.q) === seq - 1,
      `click on ${seq === 3 ? 'the timeline' : 'another moment'} (segment ${seq}): the frame shows block ${seq - 1}'s colours ` +
      `(first frame after ${ms.toFixed(0)} ms)`, JSON.stringify(f));
    if (seq === 3) {
      const t1 = f.t;
      await L.sleep(1200);
      const g = await frame(page);
      check(g && g.t > t1 + 0.5 && !g.paused, `playback runs: currentTime ${t1.toFixed(2)} -> ${g && g.t.toFixed(2)} s`);
      await page.screenshot({ path: L.artifact('playback-desktop.png') });
    }
  }
  const sorted = [...firstFrame].sort((a, b) => a - b);
  const median = (sorted[1] + sorted[2]) / 2;
  note(`bench: click to first frame on loopback: ${firstFrame.map((x) => x.toFixed(0)).join(', ')} ms; median ${median.toFixed(0)} ms (goal < 500)`);
  check(median < 500, `click to first frame: median ${median.toFixed(0)} ms (goal < 500 ms)`);

  // Across segment boundaries: from 1 s before the end of segment 4 on.
  await clickTimeline(page, startOf(4) + 3000);
  await waitBlock(page, 3);
  const f5 = await waitBlock(page, 4, 10);
  const f6 = await waitBlock(page, 5, 10);
  check(blockOf(f5 && f5.q) === 4 && blockOf(f6 && f6.q) === 5,
    'playback continues across segments (4 -> 5 -> 6) without a click', JSON.stringify([f5, f6]));

  // The altered segment: shown as an error, never on screen; playback
  // carries on with the next one.
  const seen = new Set();
  await clickTimeline(page, startOf(TAMPERED) + 500);
  const end = Date.now() + 6000;
  while (Date.now() < end) {
    const f = await frame(page);
    if (f) seen.add(blockOf(f.q));
    if (seen.has(TAMPERED)) break;
    await L.sleep(100);
  }
  await page.waitForSelector(`#problems li[data-seq="${TAMPERED}"]`, { timeout: 10000 }).catch(() => {});
  const problems = await page.locator('#problems').innerText().catch(() => '');
  check(/altered|signature/.test(problems), `the altered segment ${TAMPERED} is listed as failing verification`, problems);
  check(!seen.has(TAMPERED - 1) && seen.has(TAMPERED), `its picture (block ${TAMPERED - 1}) never showed; playback went on with block ${TAMPERED}`,
    `blocks seen: ${[...seen].join(',')}`);
  // The pixels of its span on the bar, 1 px wider each side (a segment
  // shorter than 2 px is drawn 2 px wide, edges blended): red shows in
  // them. Not one fixed pixel: the 1-px "now" line is drawn over the bar
  // when the footage is younger than a pixel's worth of time, and none of
  // the other colours there (recorded green, track, now line) is reddish.
  const failColours = await page.evaluate(({ s, e }) => {
    const c = document.querySelector('#timeline');
    const a = Number(c.dataset.viewStart), b = Number(c.dataset.viewEnd);
    const X = (ms) => ((ms - a) / (b - a)) * c.width;
    const x0 = Math.max(0, Math.floor(X(s)) - 1), x1 = Math.min(c.width - 1, Math.ceil(X(e)) + 2);
    const d = c.getContext('2d').getImageData(x0, Math.round(c.height * 0.45), x1 - x0 + 1, 1).data;
    const out = [];
    for (let i = 0; i < d.length; i += 4) out.push([d[i], d[i + 1], d[i + 2]]);
    return out;
  }, { s: startOf(TAMPERED), e: startOf(TAMPERED) + 4000 });
  check(failColours.some(([r, g]) => r > 150 && r - g > 40), 'the timeline marks it in the error colour',
    JSON.stringify(failColours.slice(0, 16)));
  await page.screenshot({ path: L.artifact('tampered-desktop.png') });

  // --- download ------------------------------------------------------------------------------------
  const hms = (ms) => new Date(ms).toTimeString().slice(0, 8);
  await page.fill('#dl-from', hms(startOf(1) + 500));
  await page.fill('#dl-to', hms(startOf(4) + 1500));
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 30000 }), page.click('#dl-go')]);
  const mp4 = path.join(dir, 'download.mp4');
  await dl.saveAs(mp4);
  const probe = L.runCmd('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries',
    'stream=codec_name,width,height,nb_read_frames', '-of', 'csv=p=0', mp4]);
  const decode = L.runCmd('ffmpeg', ['-nostdin', '-v', 'error', '-i', mp4, '-f', 'null', '-']);
  check(probe.status === 0 && probe.stdout.trim() === 'h264,640,360,400' && decode.stderr.trim() === '',
    `the downloaded range is one MP4 ffprobe accepts: 4 segments, 400 frames of the camera's 640x360 H.264 (${dl.suggestedFilename()})`,
    probe.stdout + probe.stderr + decode.stderr);
  // The picture inside is the recording: frame 250 shows block 2.
  const px = L.runBin('ffmpeg', ['-nostdin', '-v', 'error', '-i', mp4, '-vf', 'select=eq(n\\,250),scale=64:36:flags=neighbor',
    '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']);
  const q = [[16, 9], [48, 9], [16, 27], [48, 27]].map(([x, y]) => [...px.subarray(3 * (y * 64 + x), 3 * (y * 64 + x) + 3)]);
  check(blockOf(q) === 2, 'its frame 250 shows block 2, as recorded', JSON.stringify(q));
  const head = fs.readFileSync(mp4).subarray(0, 64).toString('latin1');
  check(head.includes('ftyp') && !head.includes('SEAL'), 'it is plain MP4, not a sealed container');

  await page.fill('#dl-from', hms(startOf(TAMPERED) - 1000));
  await page.fill('#dl-to', hms(startOf(TAMPERED) + 5000));
  let refused = true;
  page.once('download', () => { refused = false; });
  await page.click('#dl-go');
  await page.waitForFunction(() => /failed verification/.test(document.querySelector('#dl-state')?.textContent || ''),
    null, { timeout: 15000 }).catch(() => {});
  const dlState = await page.locator('#dl-state').innerText();
  check(refused && /failed verification/.test(dlState) && /nothing was saved/.test(dlState),
    'a range with the altered segment is refused, nothing saved', dlState);

  // --- phone width --------------------------------------------------------------------------------
  await page.setViewportSize({ width: 375, height: 812 });
  await clickTimeline(page, startOf(2) + 1000);
  await waitBlock(page, 1);
  await L.sleep(300);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
  check(overflow <= 375, `at phone width (375 px) nothing overflows sideways (page ${overflow} px wide)`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: L.artifact('playback-phone.png') });
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  await page.screenshot({ path: L.artifact('timeline-phone.png') });
  await page.goto(url + '/#/cameras');
  await page.reload();
  await page.waitForSelector('#email');   // a reload forgets the session (memory only)
  ok('a reload asks for the password again (the session token lives in memory only)');
  await page.fill('#email', alice.email);
  await page.fill('#password', alice.password);
  await page.click('button[type=submit]');
  await page.waitForSelector('.cam-card .thumb img', { timeout: 30000 });
  ok('...but not for the recovery code: the keys stayed unlocked, wrapped in IndexedDB');
  await page.screenshot({ path: L.artifact('cameras-phone.png') });
  await page.setViewportSize({ width: 1280, height: 800 });

  // --- household ------------------------------------------------------------------------------------
  await page.goto(`${url}/#/camera/${cam.camId}/household`);
  await page.waitForSelector('#members li');
  const members = await page.locator('#members').innerText();
  const who = L.cli(alice.home, url, ['whoami']).stdout;
  const aliceFpr = (/Key fingerprint: *(\S+)/.exec(who) || [])[1];
  check(/alice@example.com/.test(members) && /Owner/.test(members) && aliceFpr && members.includes(aliceFpr),
    `the household page lists the owner with the fingerprint her CLI shows (${aliceFpr})`, members);

  // Bob first sees nothing of alice's.
  const brB = await L.launchBrowser(url);
  const pb = brB.ctx.pages()[0] || await brB.ctx.newPage();
  await pb.goto(url + '/');
  await pb.fill('#email', bob.email);
  await pb.fill('#password', bob.password);
  await pb.click('button[type=submit]');
  await pb.fill('#code', bob.code);
  await pb.click('button[type=submit]');
  await pb.waitForSelector('.empty', { timeout: 60000 });
  check(/No cameras yet/.test(await pb.locator('.empty').innerText()), 'another account sees no camera');
  await pb.goto(`${url}/#/camera/${cam.camId}`);
  await pb.waitForSelector('.form-error');
  check(/No such camera/.test(await pb.locator('.form-error').innerText()),
    'another account opening the camera\'s address gets "no such camera"');
  const bobToken = await L.apiLogin(url, bob.email, bob.password);
  const r404 = await fetch(`${url}/v1/cameras/${cam.camId}/objects/segment/1`, { headers: { Authorization: `Bearer ${bobToken}` } });
  check(r404.status === 404, 'and the server gives it nothing (404 for a segment)');

  // Share with bob from the browser, as the CLI does.
  const bobWho = L.cli(bob.home, url, ['whoami']).stdout;
  const bobFpr = (/([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})/.exec(bobWho) || [])[1];
  await page.fill('#share-email', bob.email);
  await page.click('form button[type=submit]');
  await page.waitForSelector('#share-fpr');
  const shownFpr = await page.locator('#share-fpr').innerText();
  check(shownFpr === bobFpr, `sharing shows bob's account fingerprint, the one his CLI shows (${bobFpr})`, `${shownFpr} vs ${bobWho}`);
  await page.screenshot({ path: L.artifact('household-share-desktop.png') });
  await page.click('#share-confirm');
  await page.waitForFunction(() => document.querySelectorAll('#members li').length === 2, null, { timeout: 15000 });
  const kr = await L.apiGet(url, `/v1/cameras/${cam.camId}/keyring`, aliceToken);
  check(kr.epoch === 2, 'the browser signed and published keyring epoch 2 with bob in it');
  await page.waitForFunction((f) => document.querySelector('#members').textContent.includes(f), bobFpr, { timeout: 10000 })
    .catch(() => {});
  check((await page.locator('#members').innerText()).includes(bobFpr), 'bob is listed as a member with his fingerprint');
  const listB = L.cli(bob.home, url, ['camera', 'list']);
  check(listB.status === 0 && /Front door/.test(listB.stdout) && /member/.test(listB.stdout),
    'bob\'s CLI accepts the browser-made keyring (owner-signed, same format) and lists the camera', listB.stdout + listB.stderr);
  await page.screenshot({ path: L.artifact('household-desktop.png') });
  await pb.goto(`${url}/#/cameras`);
  await pb.waitForSelector('.cam-card', { timeout: 15000 });
  const bobCard = await pb.locator('.cam-card').innerText();
  check(/Shared with you/.test(bobCard), 'bob now sees the camera, marked shared with him', bobCard);
  await pb.goto(`${url}/#/camera/${cam.camId}`);
  await pb.waitForFunction(() => /not shared with you/.test(document.querySelector('#summary')?.textContent || ''),
    null, { timeout: 15000 }).catch(() => {});
  const bobSummary = await pb.locator('#summary').innerText();
  check(/Nothing recorded|not shared with you/.test(bobSummary),
    'footage recorded before he was added stays closed to him (not sealed to his key)', bobSummary);

  // Unshare again from the browser.
  await page.click(`button[data-unshare="${bob.email}"]`);
  await page.click(`button[data-unshare="${bob.email}"]`);
  await page.waitForFunction(() => document.querySelectorAll('#members li').length === 1, null, { timeout: 15000 });
  const kr3 = await L.apiGet(url, `/v1/cameras/${cam.camId}/keyring`, aliceToken);
  check(kr3.epoch === 3, 'unsharing publishes keyring epoch 3 without bob');

  // --- expired session ------------------------------------------------------------------------------
  // sealcamd again on the same port and data, with 5-second sessions.
  check(await L.stopProc(srv.proc) === 0, 'sealcamd stops cleanly (exit 0; under ASan: no leak)');
  let srv2 = await L.startSealcamd(path.join(dir, 's'), ['--port', String(srv.port), '--session-ttl', '5s']);
  await page.goto(`${url}/#/cameras`);
  await page.reload();
  await page.fill('#email', alice.email);
  await page.fill('#password', alice.password);
  await page.click('button[type=submit]');
  await page.waitForSelector('.cam-card', { timeout: 30000 });
  await L.sleep(5500);
  await page.click('.cam-card');
  await page.waitForSelector('#email', { timeout: 30000 });
  await page.waitForSelector('.form-error:not([hidden])');
  const expired = await page.locator('.form-error').innerText();
  check(/session has expired/.test(expired), 'an expired session sends the viewer to the log-in page, saying so', expired);

  // --- forget this browser ------------------------------------------------------------------------
  await L.stopProc(srv2.proc);
  srv2 = await L.startSealcamd(path.join(dir, 's'), ['--port', String(srv.port)]);
  await page.fill('#email', alice.email);
  await page.fill('#password', alice.password);
  await page.click('button[type=submit]');
  await page.waitForSelector('.cam-card', { timeout: 30000 });
  await page.goto(`${url}/#/account`);
  await page.waitForSelector('#my-fpr');
  const myFpr = await page.locator('#my-fpr').innerText();
  check(who.includes(myFpr), 'the account page shows the same fingerprint as the CLI\'s whoami', `${myFpr}\n${who}`);
  await page.screenshot({ path: L.artifact('account-desktop.png') });
  await page.click('button.danger');
  await page.click('button.danger');
  await page.waitForSelector('#email');
  const keys = await page.evaluate(() => new Promise((res) => {
    const rq = indexedDB.open('sealcam');
    rq.onupgradeneeded = () => rq.result.createObjectStore('kv');
    rq.onsuccess = () => {
      const tx = rq.result.transaction('kv', 'readonly');
      const g = tx.objectStore('kv').getAllKeys();
      g.onsuccess = () => { res(g.result.map(String)); rq.result.close(); };
    };
  }));
  check(!keys.some((k) => k.startsWith('vault:') || k.startsWith('trust:')),
    '"Forget this browser" removes the wrapped keys and camera pins from IndexedDB', keys.join(','));
  await page.fill('#email', alice.email);
  await page.fill('#password', alice.password);
  await page.click('button[type=submit]');
  await page.waitForSelector('#code');
  ok('...and the next log-in asks for the recovery code again');

  // --- server offline ---------------------------------------------------------------------------------
  await page.click('text=Log out');
  await page.waitForSelector('#email');
  check(await L.stopProc(srv2.proc) === 0, 'sealcamd stops cleanly again');
  await page.fill('#email', alice.email);
  await page.fill('#password', alice.password);
  await page.click('button[type=submit]');
  await page.waitForSelector('.form-error:not([hidden])');
  const offline = await page.locator('.form-error').innerText();
  check(/Cannot reach the sealcam server/.test(offline), 'with the server down the viewer says it cannot reach it', offline);

  // --- hygiene ------------------------------------------------------------------------------------
  const all = [...br.foreign, ...brB.foreign];
  check(all.length === 0, 'nothing was requested from another origin', all.join('\n'));
  const bad = [...br.errors, ...brB.errors].filter((e) => /Content Security Policy|pageerror/.test(e));
  check(bad.length === 0, 'no CSP violation and no uncaught error in the pages', bad.join('\n'));
  void notOk;
});

// The viewer trusts a camera's keyring only when the transparency log
// proves it, as the agent and `sealcam log verify` do. An owner (CLI) with
// a paired camera (real agent) logs in in headless chromium: the camera is
// usable and the browser keeps the log tree it verified. Then sealcamd is
// stopped and its data altered (tests/tools/tlogtool: the server binary has
// no way to misbehave), restarted on the same address, and the owner logs
// in again each time:
//   1. history rewritten (same key, same size): the camera is refused and
//      the page says the log's history was rewritten; undone: usable again;
//   2. a keyring signed with the owner's key put in force without a log
//      entry (an intruder's key added): the camera is refused, saying its
//      keyring is not proven to be in the transparency log.
import fs from 'node:fs';
import path from 'node:path';
import * as L from './lib.mjs';

const { check } = L;
const TLOGTOOL = path.join(L.BIN, 'tools', 'tlogtool');

await L.run(async () => {
  const dir = L.tmpDir();
  let srv = await L.startSealcamd(path.join(dir, 's'));
  const { url, data, port } = srv;
  const owner = L.cliSignup(dir, url, 'owner@example.com');
  const cam = await L.pairAgent(dir, url, owner, 'Front door', 'lavfi:testsrc2=size=320x180:rate=10',
    ['--speed', '2', '--segment-seconds', '1']);

  const br = await L.launchBrowser(url);
  const page = br.ctx.pages()[0] || await br.ctx.newPage();
  // A fresh page (the session lives in memory only): log in (the recovery
  // code only the first time: the keys stay wrapped in IndexedDB), then
  // the camera card as the cameras page shows it.
  let first = true;
  const cardAfterLogin = async () => {
    await page.goto(url + '/');
    await page.reload();
    await page.waitForSelector('#email');
    await page.fill('#email', owner.email);
    await page.fill('#password', owner.password);
    await page.click('button[type=submit]');
    if (first) {
      await page.waitForSelector('#code');
      await page.fill('#code', owner.code);
      await page.click('button[type=submit]');
      first = false;
    }
    const card = page.locator('.cam-card', { hasText: 'Front door' });
    await card.waitFor({ timeout: 60000 });
    return { disabled: /\bdisabled\b/.test(await card.getAttribute('class')), text: await card.innerText() };
  };
  const restart = async (alter) => {
    check(await L.stopProc(srv.proc) === 0, 'sealcamd stops cleanly');
    alter();
    const log = path.join(srv.dir, 'sealcamd.log');
    const p = L.startProc(L.SEALCAMD, ['--listen', '127.0.0.1', '--port', String(port), '--data-dir', data], log);
    await L.waitFor('sealcamd /healthz', async () => {
      if (p.exitCode !== null) throw new Error('sealcamd exited: ' + fs.readFileSync(log, 'utf8').slice(-2000));
      try { return (await fetch(url + '/healthz')).ok; } catch { return false; }
    }, 30, 50);
    srv = { ...srv, proc: p };
  };
  const tool = (args) => {
    const r = L.runCmd(TLOGTOOL, args);
    if (r.status !== 0) throw new Error(`tlogtool ${args[0]}: ${r.stderr}`);
    return r.stdout;
  };
  const kept = () => page.evaluate(() => JSON.parse(localStorage.getItem('sealcam.logcp') || 'null'));

  // --- the honest server ----------------------------------------------------
  let c = await cardAfterLogin();
  check(!c.disabled, 'the honest server: the camera is usable (keyring receipt verified in the browser)', c.text);
  const cp0 = await kept();
  check(cp0 && cp0.size >= 2 && cp0.root.length === 44,
    `the browser keeps the log tree it verified (size ${cp0 && cp0.size})`, JSON.stringify(cp0));

  // --- 1. history rewritten ---------------------------------------------------
  await restart(() => tool(['fork', data, '0']));
  c = await cardAfterLogin();
  check(c.disabled && /history was rewritten/.test(c.text) && /Front door/.test(c.text),
    'a rewritten history (same key): the camera is refused, the page says the log\'s history was rewritten', c.text);
  const cp1 = await kept();
  check(cp1 && cp1.size === cp0.size && cp1.root === cp0.root,
    '...and the browser keeps the tree it verified, not the forged one', JSON.stringify(cp1));
  await restart(() => {
    fs.rmSync(path.join(data, 'log'), { recursive: true });
    fs.renameSync(path.join(data, 'log.orig'), path.join(data, 'log'));
  });
  c = await cardAfterLogin();
  check(!c.disabled, '...and with the real history back the camera is usable again', c.text);

  // --- 2. a keyring in force that is not in the log ------------------------------
  const tok = await L.apiLogin(url, owner.email, owner.password);
  const me = await L.apiGet(url, '/v1/me', tok);
  const intruder = Buffer.from(Array.from({ length: 32 }, () => Math.floor(Math.random() * 256))).toString('hex');
  await restart(() => tool(['keyring', data, owner.home, cam.camId, '2', me.vault.box_pk, intruder]));
  const kr = await L.apiGet(url, `/v1/cameras/${cam.camId}/keyring`, tok);
  check(kr.epoch === 2 && kr.log === null, 'the server now serves keyring epoch 2 (owner-signed, intruder added) ' +
    'with no log receipt', JSON.stringify({ epoch: kr.epoch, log: kr.log }));
  c = await cardAfterLogin();
  check(c.disabled && /epoch 2\) is not proven to be in the transparency log/.test(c.text),
    'the camera whose keyring in force is not in the log is refused, and the page says why', c.text);
  await page.screenshot({ path: L.artifact('log-refused-desktop.png') });

  check(br.errors.length === 0, 'no console errors', br.errors.join('\n'));
  await L.stopProc(cam.agent);
  check(await L.stopProc(srv.proc) === 0, 'sealcamd stops cleanly (exit 0; under ASan: no leak)');
});

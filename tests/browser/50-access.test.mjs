// The viewer's "Access & consent" page, end to end: an owner (CLI) with a
// camera (real agent), a support staff member (staff init, the admin tool,
// staff login), a grant made with the CLI and one fetch under it. In
// headless chromium the owner logs in and unlocks, opens Access & consent:
// the grant is listed (its owner signature checked in the browser) and the
// access is shown verified against the transparency log (checkpoint under
// the pinned log key, inclusion proofs, the chain). A second fetch while
// the page is open appears on its own (server-sent events) with a notice,
// verified. Revoking from the page (signed in the browser) makes the
// staff member's next fetch fail; the page says fetched footage cannot be
// un-seen. A server that hides an access's record is caught.
import fs from 'node:fs';
import path from 'node:path';
import * as L from './lib.mjs';

const { check } = L;

await L.run(async () => {
  const dir = L.tmpDir();
  const srv = await L.startSealcamd(path.join(dir, 's'));
  const url = srv.url;
  const owner = L.cliSignup(dir, url, 'owner@example.com');
  const cam = await L.pairAgent(dir, url, owner, 'Front door', 'lavfi:testsrc2=size=320x180:rate=10',
    ['--speed', '2', '--segment-seconds', '1']);

  // Jo, support staff: key on her machine, registered by the admin, logged in.
  const jo = path.join(dir, 'jo');
  const init = L.runCmd(L.SEALCAM, ['--home', jo, 'staff', 'init']);
  const key = /Public key: *(\S+)/.exec(init.stdout)[1];
  const add = L.runCmd(L.SEALCAMD, ['admin', 'staff', 'add', 'jo@vendor.example', '--role', 'support', '--key', key,
    '--name', 'Support (Jo)', '--password-stdin', '--data-dir', srv.data], 'password of jo\n');
  const login = L.cli(jo, url, ['staff', 'login', '--email', 'jo@vendor.example', '--password-stdin'],
    'password of jo\n');
  check(add.status === 0 && login.status === 0, 'a support staff member is registered (logged) and logged in',
    add.stderr + login.stderr);

  // A grant of two segments, fetched once.
  const otok = await L.apiLogin(url, owner.email, owner.password);
  await L.waitFor('segments', async () => (await L.apiGet(url, `/v1/cameras/${cam.camId}/objects`, otok))
    .objects.length >= 4, 60);
  const objs = (await L.apiGet(url, `/v1/cameras/${cam.camId}/objects`, otok)).objects;
  const from = `@${(objs[1].start_ms / 1000).toFixed(3)}`;
  const until = `@${((objs[2].start_ms + objs[2].duration_ms) / 1000).toFixed(3)}`;
  const gc = L.cli(owner.home, url, ['grant', 'create', '--to', 'Support (Jo)', '--camera', 'Front door',
    '--from', from, '--until', until, '--purpose', 'Ticket 4711: the doorbell misses rings']);
  const gid = (/Grant ([0-9a-f]{32}) created/.exec(gc.stdout) || [])[1];
  check(gid, 'the owner grants Jo a clip with the CLI', gc.stdout + gc.stderr);
  const out = path.join(dir, 'out');
  fs.mkdirSync(out);
  const f1 = L.cli(jo, url, ['staff', 'fetch', gid, '-o', out]);
  check(f1.status === 0, 'Jo fetches it once', f1.stdout + f1.stderr);

  // The owner's browser.
  const br = await L.launchBrowser(url);
  const page = br.ctx.pages()[0] || await br.ctx.newPage();
  await page.goto(url + '/');
  await page.waitForSelector('#email');
  await page.fill('#email', owner.email);
  await page.fill('#password', owner.password);
  await page.click('button[type=submit]');
  await page.waitForSelector('#code');
  await page.fill('#code', owner.code);
  await page.click('button[type=submit]');
  await page.waitForSelector('.cam-card', { timeout: 60000 });
  await page.click('a[href="#/access"]');
  await page.waitForSelector('#log-status', { timeout: 30000 });
  const grantRow = await page.locator(`tr[data-grant="${gid}"]`).innerText();
  check(/Support \(Jo\) \(support\)/.test(grantRow) && /Front door/.test(grantRow) && /original/.test(grantRow) &&
    /Ticket 4711/.test(grantRow) && /active · 1 access/.test(grantRow),
  'the page lists the grant (signature checked in the browser): to whom, camera, mode, purpose, state, 1 access',
  grantRow);
  const rows = await page.locator('#accesses tbody tr.verified').allInnerTexts();
  check(rows.length === 1 && /Support \(Jo\)/.test(rows[0]) && /2 segments/.test(rows[0]) &&
    /verified \(log entry \d+\)/.test(rows[0]),
  'the access is shown verified against the transparency log (checkpoint, inclusion, chain) in the browser', rows);
  const status = await page.locator('#log-status').innerText();
  check(/entries verified in the log's tree of \d+/.test(status) && !(await page.locator('#problems').count()),
    'the log status shows the verified chain and no problems', status);
  check(/cannot be un-seen/.test(await page.locator('.access').innerText()),
    'the page says that fetched footage cannot be un-seen');
  await page.screenshot({ path: L.artifact('access-page.png'), fullPage: true });

  // A second fetch while the page is open: it appears on its own.
  const f2start = Date.now();
  const f2 = L.cli(jo, url, ['staff', 'fetch', gid, '-o', out]);
  check(f2.status === 0, 'Jo fetches again while the owner watches', f2.stdout + f2.stderr);
  let shownAt = 0;
  try {
    await page.waitForSelector('#new-access:not([hidden])', { timeout: 10000 });
    shownAt = Date.now();
  } catch { /* reported below */ }
  const banner = shownAt ? await page.locator('#new-access').innerText() : '';
  const rows2 = await page.locator('#accesses tbody tr.verified').count();
  check(shownAt && /Support \(Jo\) \(support\) fetched Front door's footage .* verified in your log/.test(banner) &&
    rows2 === 2,
  `the new access appears by itself (server-sent events), verified, ${shownAt - f2start} ms after the fetch began`,
  banner);

  // Revoke from the page: signed in the browser, logged; Jo is refused next.
  const btn = page.locator(`button[data-revoke="${gid}"]`);
  await btn.click();
  check(/they keep what they already fetched/.test(await btn.innerText()),
    'revoking asks again and says the staff member keeps what they fetched');
  await btn.click();
  await page.waitForSelector(`tr[data-grant="${gid}"][data-state="revoked"]`, { timeout: 15000 });
  const f3 = L.cli(jo, url, ['staff', 'fetch', gid, '-o', out]);
  check(f3.status !== 0 && /the owner revoked grant/.test(f3.stderr),
    'after revoking on the page, Jo\'s next fetch is refused', f3.stderr);
  const log = L.cli(owner.home, url, ['log', 'show']);
  check(/grant [0-9a-f]{8} revoked for staff principal/.test(log.stdout),
    'the revocation the browser signed is in the owner\'s verified log', log.stdout);
  await page.screenshot({ path: L.artifact('access-page-revoked.png'), fullPage: true });

  check(br.errors.length === 0, 'no console errors (CSP included)', br.errors.join('\n'));

  // A server that withholds an access's record: the page says so. (The
  // restart refuses connections for a moment: the event stream retries.)
  await L.stopProc(cam.agent);
  await L.stopProc(srv.proc);
  L.runCmd('sqlite3', [path.join(srv.data, 'sealcamd.db'), 'DELETE FROM accesses WHERE seq = 1']);
  const srv2 = L.startProc(L.SEALCAMD, ['--listen', '127.0.0.1', '--port', String(srv.port), '--data-dir', srv.data],
    path.join(dir, 's2.log'));
  await L.waitFor('sealcamd again', async () => (await fetch(url + '/healthz')).ok, 30, 100);
  await page.evaluate(() => { location.hash = '#/cameras'; });
  await page.waitForSelector('.cam-card', { timeout: 30000 }).catch(() => {});
  if (await page.locator('#password').count()) {
    await page.fill('#email', owner.email);
    await page.fill('#password', owner.password);
    await page.click('button[type=submit]');
    await page.waitForSelector('.cam-card', { timeout: 30000 });
  }
  await page.click('a[href="#/access"]');
  await page.waitForSelector('#log-status', { timeout: 30000 });
  const hidden = await page.locator('.hidden-access').allInnerTexts();
  check(hidden.length === 1 && /whose record the server does not show/.test(hidden[0]) &&
    (await page.locator('#problems').count()) === 1,
  'an access in the log whose record the server withholds is reported on the page', hidden);
  // The restart refuses connections for a moment, and may cut the live
  // event stream mid-response (the server ends the stream when it stops; the
  // page reopens it at once on its kept-alive connection, which the server
  // still serves until it closes every connection): both are the restart,
  // and the page recovers from them; anything else is an error.
  const later = br.errors.filter((e) => !/ERR_CONNECTION_REFUSED|ERR_INCOMPLETE_CHUNKED_ENCODING/.test(e));
  check(later.length === 0, 'no console errors after the restart but the refused connections and the cut event stream',
    later.join('\n'));
  check(br.foreign.length === 0, 'the page talked to nothing but its own origin', br.foreign.join('\n'));
  await L.stopProc(srv2);
});

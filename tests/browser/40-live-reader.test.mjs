// The web viewer's live reader (web/live.js) against the C vectors
// (tests/vectors/live.json): it opens the committed stream in any
// chunking, lets a viewer join at a keyframe, and refuses tampering,
// reordering, a stranger's key, a stale (replayed) stream and truncation.
// Plain node (libsodium-wrappers-sumo is the same code the page loads).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { LiveReader, LiveError } from '../../web/live.js';

const sodium = createRequire(import.meta.url)('libsodium-wrappers-sumo');
await sodium.ready;
let failed = 0;
const ok = (c, what) => { console.log(`${c ? 'ok' : 'not ok'} - ${what}`); if (!c) failed++; };
const root = new URL('../../', import.meta.url);
const v = JSON.parse(readFileSync(new URL('tests/vectors/live.json', root)));
const hex = (h) => sodium.from_hex(h);
const me = sodium.crypto_box_seed_keypair(hex(v.recipient_box_seeds[1]));
const stranger = sodium.crypto_box_seed_keypair(new Uint8Array(32).fill(0x99));
const cameraPk = hex(v.camera_pk);
const head = hex(v.head), recs = v.records.map((r) => hex(r.wire));
// The vectors were sealed at a fixed time: their clock is "then".
const then = () => v.records[0].time_ms + 1000;

function run(pieces, opts = {}, chunk = 1 << 20) {
  const r = new LiveReader(sodium, { cameraPk, boxPk: me.publicKey, boxSk: me.privateKey, now: then, ...opts });
  const out = [];
  try {
    for (const p of pieces)
      for (let o = 0; o < p.length; o += chunk) out.push(...r.push(p.subarray(o, o + chunk)));
    r.finish();
    return { out, err: null };
  } catch (e) {
    return { out, err: e instanceof LiveError ? e.code : String(e) };
  }
}

for (const chunk of [1, 7, 1 << 20]) {
  const { out, err } = run([head, ...recs], { sessionSeq: BigInt('0x' + v.session_id.slice(0, 16)) }, chunk);
  const pts = out.filter((e) => e.type).map((e) => sodium.to_hex(e.pt));
  ok(err === null && pts.length === 4 && pts.every((p, i) => p === v.records[i].plaintext),
    `the committed stream opens record by record (chunks of ${chunk}) with the C plaintexts`);
}
ok(run([head, recs[0], recs[3]]).err === null, 'a session may end right after its init (a viewer who joined then)');
ok(run([head, recs[0], recs[1], recs[3]]).err === 'order', 'a dropped fragment before the end is refused');
ok(run([head, recs[0], recs[2]]).err === 'order', 'joining at a fragment that is not a keyframe is refused');
ok(run([head, recs[0], recs[1], recs[1]]).err === 'order', 'a replayed record is refused');
ok(run([head, recs[0], recs[2], recs[1]]).err === 'order', 'reordered records are refused');
ok(run([head, recs[0], recs[1]]).err === 'truncated', 'a stream without its end record is truncated');
const bad = recs[1].slice(); bad[40] ^= 1;
ok(run([head, recs[0], bad]).err === 'bad_signature', 'a flipped ciphertext bit fails the camera signature');
const badh = head.slice(); badh[33] ^= 1;
ok(run([badh]).err === 'bad_signature', 'a flipped header bit fails the header signature');
ok(run([head], { boxPk: stranger.publicKey, boxSk: stranger.privateKey }).err === 'not_recipient',
  "a stranger's key is not a recipient");
ok(run([head, ...recs], { now: () => Date.now() }).err === 'stale', 'footage older than 120 s is refused as replayed');
ok(run([head], { sessionSeq: 5n }).err === 'wrong_session', 'a stream of another session is refused');
process.exit(failed ? 1 : 0);

// tlog — the transparency log as the browser checks it (docs/FORMAT.md
// "Transparency log"; the C side is src/lib/tlog_*.c and src/cli/logv.c):
// the checkpoint's signed note under the log key pinned in this browser,
// each entry's RFC 9162 inclusion proof, and the per-account chain (no gap,
// no reorder, no foreign entry), consistency of every checkpoint with the
// last one this browser verified (a rewritten history is caught), and log
// receipts (one entry proven in the log). Used by the Access & consent page
// and by trust.js (a keyring is used only if its receipt verifies).
import { get } from './api.js';
import { b64, concat, equal, getBE64, hex, keyFingerprint, unb64, utf8 } from './codec.js';
import { sodium } from './sodium.js';

export class LogError extends Error {
  constructor(msg) { super(msg); this.name = 'LogError'; }
}

const sha256 = (u8) => sodium.crypto_hash_sha256(u8);
export const leafHash = (entry) => sha256(concat(Uint8Array.of(0), entry));
const nodeHash = (l, r) => sha256(concat(Uint8Array.of(1), l, r));

// RFC 9162 2.1.3.2: does proof lead from leaf `index` to root of `size`?
const isHash = (h) => h instanceof Uint8Array && h.length === 32;

export function verifyInclusion(leaf, index, size, proof, root) {
  if (index >= size || proof.length > 64 || !isHash(leaf) || !isHash(root) || !proof.every(isHash)) return false;
  let fn = index, sn = size - 1, r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0)
        while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(r, root);
}

// RFC 9162 2.1.4.2: does proof show that the tree of size1 (root1) is a
// prefix of the tree of size2 (root2)? An empty first tree proves nothing
// (and never arises here: clients only keep trees they verified).
export function verifyConsistency(size1, size2, proof, root1, root2) {
  if (size1 < 1 || size1 > size2 || proof.length > 64) return false;
  if (size1 === size2) return proof.length === 0 && equal(root1, root2);
  if (proof.length === 0 || !isHash(root1) || !isHash(root2) || !proof.every(isHash)) return false;
  // A power-of-two size1 is a whole subtree: its root starts the path.
  const path = 2 ** Math.round(Math.log2(size1)) === size1 ? [root1, ...proof] : proof;
  let fn = size1 - 1, sn = size2 - 1;
  while (fn % 2 === 1) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
  let fr = path[0], sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0)
        while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(fr, root1) && equal(sr, root2);
}

// "<name>+<8 hex key id>+<base64(0x01 || Ed25519 pk)>" -> { name, id, pk }.
export function parseVerifierKey(s) {
  const m = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(s || '');
  if (!m) throw new LogError('not a log verifier key');
  const raw = unb64(m[3]);
  if (raw.length !== 33 || raw[0] !== 1) throw new LogError('not an Ed25519 log key');
  const pk = raw.subarray(1);
  const id = sha256(concat(utf8(m[1]), Uint8Array.of(0x0a, 0x01), pk)).subarray(0, 4);
  if (hex(id) !== m[2]) throw new LogError('the log key id does not match its key');
  return { name: m[1], id, pk, fingerprint: keyFingerprint(pk), text: s };
}

// Open a C2SP checkpoint note under key: { origin, size, root }, or throw.
export function openCheckpoint(note, key) {
  const blank = note.indexOf('\n\n');
  if (blank < 0) throw new LogError('the checkpoint is not a signed note');
  const text = note.slice(0, blank + 1);
  const lines = text.split('\n').slice(0, -1);
  if (lines.length < 3 || lines[0] !== key.name || !/^(0|[1-9][0-9]*)$/.test(lines[1]))
    throw new LogError('the checkpoint is not this log\'s');
  const root = unb64(lines[2]);
  if (root.length !== 32) throw new LogError('malformed checkpoint root');
  let good = false;
  for (const l of note.slice(blank + 2).split('\n')) {
    if (l === '') continue;
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(l);
    if (!m) throw new LogError('malformed checkpoint signature line');
    if (m[1] !== key.name) continue;
    const sig = unb64(m[2]);
    if (sig.length !== 68 || !equal(sig.subarray(0, 4), key.id)) continue;
    if (!sodium.crypto_sign_verify_detached(sig.subarray(4), utf8(text), key.pk))
      throw new LogError('the checkpoint signature does not verify');
    good = true;
  }
  if (!good) throw new LogError('the checkpoint is not signed by the log key pinned in this browser');
  return { origin: lines[0], size: Number(lines[1]), root };
}

// The 144-byte log entry (src/lib/tlog_entry.h).
export function parseEntry(b) {
  if (b.length !== 144 || b[0] !== 0x53 || b[1] !== 0x43 || b[2] !== 0x4c || b[3] !== 0x45 || b[4] !== 1)
    throw new LogError('not a sealcam log entry');
  return {
    type: b[5], account: b.subarray(8, 24), seq: getBE64(b, 24), prev: b.subarray(32, 64),
    timeMs: getBE64(b, 64), subject: b.subarray(72, 88), actor: b.subarray(88, 104),
    number: getBE64(b, 104), commitment: b.subarray(112, 144), bytes: b,
  };
}

const KEY_STORE = 'sealcam.logkey';
const CP_STORE = 'sealcam.logcp';

let keyOnce = null;

/*
 * The log key this browser trusts: pinned on first use from the server
 * (GET /v1/log/key) and kept in localStorage; a different key later is
 * refused. { key, firstUse } (firstUse: pinned by this page). Asked once
 * per page load.
 */
export function pinnedKey() {
  keyOnce ||= (async () => {
    const served = (await get('/v1/log/key', { auth: false })).key;
    const kept = localStorage.getItem(KEY_STORE);
    if (kept && kept !== served)
      throw new LogError('the server presents another transparency log key than the one this browser pinned; ' +
        'this is not the log it trusted');
    const key = parseVerifierKey(served);
    if (!kept) localStorage.setItem(KEY_STORE, served);
    return { key, firstUse: !kept };
  })();
  keyOnce.catch(() => { keyOnce = null; });
  return keyOnce;
}

function lastCheckpoint(key) {
  try {
    const c = JSON.parse(localStorage.getItem(CP_STORE) || 'null');
    if (c && c.key === key.text && Number.isSafeInteger(c.size) && c.size > 0)
      return { size: c.size, root: unb64(c.root) };
  } catch { /* unreadable: as if none */ }
  return null;
}

/*
 * The tree this browser verified last (localStorage, per log key) and cp
 * (opened under key) must be one history: same root at the same size,
 * else a consistency proof from the server (GET /v1/log/consistency) from
 * the smaller to the larger. The larger is kept as the new "last". Throws
 * LogError when the log shrank or was rewritten.
 */
async function advance(cp, key) {
  const last = lastCheckpoint(key);
  if (last && cp.size === last.size && !equal(cp.root, last.root))
    throw new LogError(`the log's history was rewritten: its tree of ${cp.size} entries differs from the one this ` +
      'browser verified before');
  if (last && cp.size !== last.size) {
    const [a, b] = cp.size < last.size ? [cp, last] : [last, cp];
    let r;
    try {
      r = await get(`/v1/log/consistency?from=${a.size}&to=${b.size}`);
    } catch (e) {
      if (e.name === 'ApiError' && e.code === 'bad_request' && b === last)
        throw new LogError(`the log shrank: this browser verified a tree of ${last.size} entries, the server ` +
          `cannot prove it now (history was removed)`);
      throw e;
    }
    let proof;
    try { proof = (r.proof || []).map((p) => unb64(p)); } catch { proof = null; }
    if (!proof || r.from !== a.size || r.to !== b.size || !verifyConsistency(a.size, b.size, proof, a.root, b.root))
      throw new LogError(`the log's history was rewritten: its tree of ${cp.size} entries does not extend the ` +
        `tree of ${last.size} entries this browser verified before`);
  }
  if (!last || cp.size > last.size)
    localStorage.setItem(CP_STORE, JSON.stringify({ key: key.text, size: cp.size, root: b64(cp.root) }));
}

// One at a time in this page, and across this browser's tabs (Web Locks)
// where available: two tabs must not store an older tree over a newer one.
let advancing = Promise.resolve();
export function acceptCheckpoint(cp, key) {
  const locked = () => (globalThis.navigator && navigator.locks
    ? navigator.locks.request('sealcam.logcp', () => advance(cp, key)) : advance(cp, key));
  const p = advancing.then(locked);
  advancing = p.catch(() => {});
  return p;
}

/*
 * A log receipt ({index, entry, size, checkpoint, proof}: docs/PROTOCOL.md
 * "Log receipts") proving that the entry `want` describes ({type, subject,
 * number, commitment}) is in the log: checkpoint under key and consistent
 * with what this browser saw, inclusion, then the entry's own fields.
 * Returns { index, e } or throws LogError.
 */
export async function verifyReceipt(rc, key, want) {
  if (!rc || typeof rc.checkpoint !== 'string' || typeof rc.entry !== 'string' || !Array.isArray(rc.proof) ||
      !Number.isSafeInteger(rc.index))
    throw new LogError('the server sent no log receipt');
  const cp = openCheckpoint(rc.checkpoint, key);
  let bytes, proof;
  try {
    bytes = unb64(rc.entry);
    proof = rc.proof.map((p) => unb64(p));
  } catch {
    throw new LogError('the log receipt is malformed');
  }
  const e = parseEntry(bytes);
  if (!verifyInclusion(leafHash(bytes), rc.index, cp.size, proof, cp.root))
    throw new LogError(`the receipt's entry is not included in the log's tree of ${cp.size}`);
  if (e.type !== want.type || !equal(e.subject, want.subject) || e.number !== want.number ||
      !equal(e.commitment, want.commitment))
    throw new LogError(`the log entry of the receipt is not this ${want.what || 'record'}'s`);
  await acceptCheckpoint(cp, key);
  return { index: rc.index, e };
}

/*
 * A chain from the server (GET /v1/me/log or /v1/staff, which answer alike),
 * verified: the checkpoint under key, every entry included in its tree, the
 * chain whole from seq 0. Returns { logId, size, entries: [{ index, e }],
 * json } or throws LogError saying what is wrong.
 */
export async function verifiedChain(path, key) {
  const first = await get(path);
  const cp = openCheckpoint(first.checkpoint, key);
  await acceptCheckpoint(cp, key);
  const entries = [];
  let page = first;
  for (;;) {
    for (const x of page.entries) {
      const bytes = unb64(x.entry);
      const proof = x.proof.map((p) => unb64(p));
      if (!verifyInclusion(leafHash(bytes), x.index, cp.size, proof, cp.root))
        throw new LogError(`entry ${x.seq} is not included in the log's tree of ${cp.size}`);
      entries.push({ index: x.index, e: parseEntry(bytes) });
    }
    if (page.next_after_seq === null || page.next_after_seq === undefined) break;
    page = await get(`${path}${path.includes('?') ? '&' : '?'}size=${cp.size}&after_seq=${page.next_after_seq}`);
  }
  const logId = first.log_id;
  let prev = null;
  entries.forEach(({ e, index }, i) => {
    if (hex(e.account) !== logId) throw new LogError('the chain holds another account\'s entry');
    if (e.seq !== i) throw new LogError(`the chain has a gap: entry ${i} is missing`);
    if (i === 0 ? e.prev.some((v) => v !== 0) : !equal(e.prev, leafHash(prev.e.bytes)))
      throw new LogError(`entry ${i} does not follow entry ${i - 1}`);
    if (prev && index <= prev.index) throw new LogError('the chain is out of log order');
    prev = { e, index };
  });
  return { logId, size: cp.size, entries, json: first };
}

// tlog — the transparency log as the browser checks it (docs/FORMAT.md
// "Transparency log"; the C side is src/lib/tlog_*.c and src/cli/logv.c):
// the checkpoint's signed note under the log key pinned in this browser,
// each entry's RFC 9162 inclusion proof, and the per-account chain (no gap,
// no reorder, no foreign entry). Used by the Access & consent page.
import { get } from './api.js';
import { concat, equal, getBE64, hex, keyFingerprint, unb64, utf8 } from './codec.js';
import { sodium } from './sodium.js';

export class LogError extends Error {
  constructor(msg) { super(msg); this.name = 'LogError'; }
}

const sha256 = (u8) => sodium.crypto_hash_sha256(u8);
export const leafHash = (entry) => sha256(concat(Uint8Array.of(0), entry));
const nodeHash = (l, r) => sha256(concat(Uint8Array.of(1), l, r));

// RFC 9162 2.1.3.2: does proof lead from leaf `index` to root of `size`?
export function verifyInclusion(leaf, index, size, proof, root) {
  if (index >= size || proof.length > 64) return false;
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

// "<name>+<8 hex key id>+<base64(0x01 || Ed25519 pk)>" -> { name, id, pk }.
export function parseVerifierKey(s) {
  const m = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(s || '');
  if (!m) throw new LogError('not a log verifier key');
  const raw = unb64(m[3]);
  if (raw.length !== 33 || raw[0] !== 1) throw new LogError('not an Ed25519 log key');
  const pk = raw.subarray(1);
  const id = sha256(concat(utf8(m[1]), Uint8Array.of(0x0a, 0x01), pk)).subarray(0, 4);
  if (hex(id) !== m[2]) throw new LogError('the log key id does not match its key');
  return { name: m[1], id, pk, fingerprint: keyFingerprint(pk) };
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

/*
 * The log key this browser trusts: pinned on first use from the server
 * (GET /v1/log/key) and kept in localStorage; a different key later is
 * refused. { key, firstUse }.
 */
export async function pinnedKey() {
  const served = (await get('/v1/log/key', { auth: false })).key;
  const kept = localStorage.getItem(KEY_STORE);
  if (kept && kept !== served)
    throw new LogError('the server presents another transparency log key than the one this browser pinned; ' +
      'this is not the log it trusted');
  if (!kept) localStorage.setItem(KEY_STORE, served);
  return { key: parseVerifierKey(served), firstUse: !kept };
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

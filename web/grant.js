// grant — consent grants as the browser reads them (docs/FORMAT.md "Staff
// directory, grants and accesses"; src/lib/grant.c and staff.c): the
// owner-signed grant document, the owner's revocation (signed here), the
// access records sealcamd logs, and staff directory records.
import { concat, equal, getBE32, getBE64, hex, label16, labelhash, putBE64, utf8Printable } from './codec.js';
import { sodium } from './sodium.js';

export class GrantError extends Error {
  constructor(msg) { super(msg); this.name = 'GrantError'; }
}

const FIXED = 218;
const OBJ = { 1: 133, 2: 53 };
export const MODE_NAME = { 1: 'original', 2: 'anonymized' };
export const ROLE_NAME = { 1: 'support', 2: 'research' };

const magic = (b, s) => b.length >= 4 && [...s].every((c, i) => b[i] === c.charCodeAt(0));
const camId = (pk) => labelhash('sealcam-camid', pk, 16);
export const principalId = (signPk, boxPk) => labelhash('sealcam-staffid', concat(signPk, boxPk), 16);

/*
 * Parse and verify a grant document (grant_verify): structure, ids from
 * their keys, times, signer = ownerPk (when given), signature. Throws
 * GrantError.
 */
export function grantVerify(b, ownerPk) {
  if (b.length < FIXED + 64 || !magic(b, 'SGRT') || b[4] !== 1 || !OBJ[b[5]])
    throw new GrantError('not a grant document');
  const mode = b[5], plen = (b[6] << 8) | b[7], n = (b[216] << 8) | b[217], ob = OBJ[mode];
  if (plen < 1 || plen > 512 || n < 1 || n > 1024 || (mode === 2 && n !== 1) ||
      b.length !== FIXED + plen + n * ob + 64)
    throw new GrantError('malformed grant document');
  const purposeBytes = b.subarray(FIXED, FIXED + plen);
  if (!utf8Printable(purposeBytes)) throw new GrantError('malformed grant purpose');
  const g = {
    mode, grantId: b.subarray(8, 24), cameraId: b.subarray(24, 40), cameraPk: b.subarray(40, 72),
    ownerPk: b.subarray(72, 104), granteeId: b.subarray(104, 120), granteeBoxPk: b.subarray(120, 152),
    granteeSignPk: b.subarray(152, 184), fromMs: getBE64(b, 184), untilMs: getBE64(b, 192),
    createdMs: getBE64(b, 200), expiresMs: getBE64(b, 208),
    purpose: new TextDecoder().decode(purposeBytes), objects: [],
  };
  let pos = FIXED + plen;
  for (let i = 0; i < n; i++, pos += ob) {
    const o = { kind: b[pos], seq: getBE64(b, pos + 1), startMs: getBE64(b, pos + 9),
      durationMs: getBE32(b, pos + 17) };
    if (o.kind !== (mode === 1 ? 1 : 5) || (i > 0 && o.seq <= g.objects[i - 1].seq) ||
        o.startMs >= g.untilMs || o.startMs + Math.max(o.durationMs, 1) <= g.fromMs)
      throw new GrantError('malformed grant objects');
    g.objects.push(o);
  }
  if (g.fromMs >= g.untilMs || g.createdMs >= g.expiresMs || !equal(camId(g.cameraPk), g.cameraId) ||
      !equal(principalId(g.granteeSignPk, g.granteeBoxPk), g.granteeId))
    throw new GrantError('malformed grant document');
  if (ownerPk && !equal(ownerPk, g.ownerPk)) throw new GrantError('the grant is not signed by your key');
  const msg = concat(label16('sealcam-grant'), b.subarray(0, pos));
  if (!sodium.crypto_sign_verify_detached(b.subarray(pos), msg, g.ownerPk))
    throw new GrantError('the grant signature does not verify');
  g.idHex = hex(g.grantId);
  g.bytes = b;
  return g;
}

// Revocation (128 bytes), signed with the owner's key (libsodium form sk).
export function revocationSign(grantId, signSk, nowMs) {
  const out = new Uint8Array(128);
  out.set(utf8Bytes('SGRV'));
  out[4] = 1;
  out.set(grantId, 8);
  out.set(signSk.subarray(32, 64), 24);
  putBE64(out, 56, nowMs);
  out.set(sodium.crypto_sign_detached(concat(label16('sealcam-grantrev'), out.subarray(0, 64)), signSk), 64);
  return out;
}

function utf8Bytes(s) { return new TextEncoder().encode(s); }

// A revocation from the server, verified under ownerPk: { grantId, revokedMs }.
export function revocationVerify(b, ownerPk) {
  if (b.length !== 128 || !magic(b, 'SGRV') || b[4] !== 1 || b[5] || b[6] || b[7] ||
      !equal(b.subarray(24, 56), ownerPk) ||
      !sodium.crypto_sign_verify_detached(b.subarray(64), concat(label16('sealcam-grantrev'), b.subarray(0, 64)),
        ownerPk))
    throw new GrantError('the revocation does not verify');
  return { grantId: b.subarray(8, 24), revokedMs: getBE64(b, 56) };
}

// An access record: { accessId, grantId, principalId, cameraId, timeMs, objects }.
export function accessParse(b) {
  if (b.length < 80 || !magic(b, 'SACC') || b[4] !== 1 || b[5]) throw new GrantError('not an access record');
  const n = (b[6] << 8) | b[7];
  if (n < 1 || n > 1024 || b.length !== 80 + 9 * n) throw new GrantError('malformed access record');
  const a = { accessId: b.subarray(8, 24), grantId: b.subarray(24, 40), principalId: b.subarray(40, 56),
    cameraId: b.subarray(56, 72), timeMs: getBE64(b, 72), objects: [] };
  for (let i = 0; i < n; i++) a.objects.push({ kind: b[80 + 9 * i], seq: getBE64(b, 81 + 9 * i) });
  return a;
}

export const accessCommitment = (b) => labelhash('sealcam-logacc', b);
export const grantCommitment = (b) => labelhash('sealcam-loggrant', b);
export const staffCommitment = (b) => labelhash('sealcam-logstaff', b);

// A staff directory record: { action, role, principalId, boxPk, signPk, name }.
export function staffRecordParse(b) {
  if (b.length < 96 || !magic(b, 'SSTF') || b[4] !== 1 || b.length !== 96 + b[7] || b[7] < 1 || b[7] > 64 ||
      (b[5] !== 1 && b[5] !== 2) || (b[6] !== 1 && b[6] !== 2) || !utf8Printable(b.subarray(96)))
    throw new GrantError('not a staff directory record');
  const r = { action: b[5], role: b[6], principalId: b.subarray(8, 24), boxPk: b.subarray(24, 56),
    signPk: b.subarray(56, 88), timeMs: getBE64(b, 88), name: new TextDecoder().decode(b.subarray(96)) };
  if (!equal(principalId(r.signPk, r.boxPk), r.principalId)) throw new GrantError('a staff record\'s id does not match its keys');
  return r;
}

// keyring — a camera's owner-signed list of who may decrypt its footage
// (docs/FORMAT.md "Keyring"), as src/lib/keyring.c encodes and verifies it.
import { sodium } from './sodium.js';
import { compare, concat, equal, getBE32, getBE64, label16, labelhash, putBE32, putBE64,
  utf8, utf8Printable } from './codec.js';
import { keyId } from './seal.js';

export const ROLE = { owner: 1, member: 2, hub: 3 };
export const ROLE_NAME = { 1: 'owner', 2: 'member', 3: 'hub' };
export const MAX_RECIPIENTS = 32;
export const LABEL_MAX = 64;
const FIXED = 66;
const SIG = 64;

const REASONS = {
  KEYRING_ETRUNCATED: 'keyring truncated',
  KEYRING_EMAGIC: 'not a keyring',
  KEYRING_EVERSION: 'unsupported keyring version',
  KEYRING_ENONCANON: 'non-canonical keyring',
  KEYRING_ETOOMANY: 'keyring has more than 32 recipients',
  KEYRING_EDUPLICATE: 'keyring names a recipient twice',
  KEYRING_EWRONGOWNER: "keyring is not signed by the camera's owner",
  KEYRING_EBADSIG: 'keyring signature does not verify',
  KEYRING_EWRONGCAMERA: 'keyring is for another camera',
  KEYRING_EEPOCH: 'keyring epoch is not newer than the current one',
};

export class KeyringError extends Error {
  constructor(code) {
    super(REASONS[code] || code);
    this.name = 'KeyringError';
    this.code = code;
  }
}

function keyIdsDistinct(rs) {
  const ids = rs.map((r) => keyId(r.pk));
  for (let i = 0; i < ids.length; i++)
    for (let j = 0; j < i; j++) if (equal(ids[i], ids[j])) return false;
  return true;
}

// Structure only (no signature check): { n, cameraId, epoch, issuedMs,
// ownerPk, recipients: [{ pk, role, label }], bytes }.
export function keyringParse(buf) {
  const len = buf.length;
  if (len >= 4 && !(buf[0] === 0x53 && buf[1] === 0x4b && buf[2] === 0x52 && buf[3] === 0x47))
    throw new KeyringError('KEYRING_EMAGIC');
  if (len >= 5 && buf[4] !== 1) throw new KeyringError('KEYRING_EVERSION');
  if (len < FIXED + SIG) throw new KeyringError('KEYRING_ETRUNCATED');
  const n = buf[5];
  if (n > MAX_RECIPIENTS) throw new KeyringError('KEYRING_ETOOMANY');
  const kr = {
    cameraId: buf.slice(6, 22),
    epoch: getBE32(buf, 22),
    issuedMs: getBE64(buf, 26),
    ownerPk: buf.slice(34, 66),
    recipients: [],
    bytes: Uint8Array.from(buf),
  };
  if (n === 0 || kr.epoch === 0) throw new KeyringError('KEYRING_ENONCANON');
  let pos = FIXED;
  for (let i = 0; i < n; i++) {
    if (len - SIG < pos + 34) throw new KeyringError('KEYRING_ETRUNCATED');
    const pk = buf.slice(pos, pos + 32), role = buf[pos + 32], ll = buf[pos + 33];
    if (ll > LABEL_MAX) throw new KeyringError('KEYRING_ENONCANON');
    if (len - SIG - (pos + 34) < ll) throw new KeyringError('KEYRING_ETRUNCATED');
    const lb = buf.slice(pos + 34, pos + 34 + ll);
    pos += 34 + ll;
    if (i > 0) {
      const c = compare(kr.recipients[i - 1].pk, pk);
      if (c === 0) throw new KeyringError('KEYRING_EDUPLICATE');
      if (c > 0) throw new KeyringError('KEYRING_ENONCANON');
    }
    if (role < 1 || role > 3 || !utf8Printable(lb)) throw new KeyringError('KEYRING_ENONCANON');
    kr.recipients.push({ pk, role, label: new TextDecoder().decode(lb) });
  }
  if (pos + SIG !== len) throw new KeyringError('KEYRING_ENONCANON');
  if (!keyIdsDistinct(kr.recipients)) throw new KeyringError('KEYRING_EDUPLICATE');
  return kr;
}

function signedPart(body) {
  return concat(label16('sealcam-keyring'), body);
}

/*
 * What a reader runs on every keyring it is offered: structure, signer =
 * the owner key it trusts, signature, camera id, epoch > lastEpoch.
 */
export function keyringVerify(buf, pinnedOwnerPk, camId, lastEpoch = 0) {
  const kr = keyringParse(buf);
  if (!equal(kr.ownerPk, pinnedOwnerPk)) throw new KeyringError('KEYRING_EWRONGOWNER');
  const body = buf.subarray(0, buf.length - SIG);
  if (!sodium.crypto_sign_verify_detached(buf.subarray(buf.length - SIG), signedPart(body), pinnedOwnerPk))
    throw new KeyringError('KEYRING_EBADSIG');
  if (!equal(kr.cameraId, camId)) throw new KeyringError('KEYRING_EWRONGCAMERA');
  if (kr.epoch <= lastEpoch) throw new KeyringError('KEYRING_EEPOCH');
  return kr;
}

/*
 * Encode and sign as the owner: recipients sorted by public key (one set,
 * one encoding; Ed25519 is deterministic, so one signature).
 */
export function keyringSign(kr, ownerSignSk) {
  const rs = [...kr.recipients].sort((a, b) => compare(a.pk, b.pk));
  if (rs.length > MAX_RECIPIENTS) throw new KeyringError('KEYRING_ETOOMANY');
  if (rs.length === 0 || !(kr.epoch >= 1)) throw new KeyringError('KEYRING_ENONCANON');
  const parts = [];
  for (let i = 0; i < rs.length; i++) {
    const lb = utf8(rs[i].label || '');
    if (i > 0 && compare(rs[i - 1].pk, rs[i].pk) === 0) throw new KeyringError('KEYRING_EDUPLICATE');
    if (rs[i].role < 1 || rs[i].role > 3 || lb.length > LABEL_MAX || !utf8Printable(lb))
      throw new KeyringError('KEYRING_ENONCANON');
    parts.push(rs[i].pk, Uint8Array.of(rs[i].role, lb.length), lb);
  }
  if (!keyIdsDistinct(rs)) throw new KeyringError('KEYRING_EDUPLICATE');
  const head = new Uint8Array(FIXED);
  head.set([0x53, 0x4b, 0x52, 0x47, 1, rs.length]);
  head.set(kr.cameraId, 6);
  putBE32(head, 22, kr.epoch);
  putBE64(head, 26, kr.issuedMs);
  head.set(ownerSignSk.subarray(32, 64), 34);
  const body = concat(head, ...parts);
  const sig = sodium.crypto_sign_detached(signedPart(body), ownerSignSk);
  return concat(body, sig);
}

// keyring hash (for the transparency log) over the whole signed keyring.
export function keyringHash(buf) {
  return labelhash('sealcam-krhash', buf);
}

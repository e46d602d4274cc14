// pairing — the pairing string, pairing id and the camera's proof
// (docs/FORMAT.md "Pairing"), as src/lib/pairing.c.
import { sodium } from './sodium.js';
import { b32, concat, equal, labelhash, unb32, utf8, utf8Printable } from './codec.js';
import { cameraId } from './seal.js';

const PREFIX = 'sealcam-pair:';

export class PairingError extends Error {
  constructor(code, msg) {
    super(msg || code);
    this.name = 'PairingError';
    this.code = code;
  }
}

function urlOk(u8) {
  if (u8.length < 1 || u8.length > 256) return false;
  for (const b of u8) if (b < 0x21 || b > 0x7e) return false;
  const s = new TextDecoder().decode(u8);
  return s.startsWith('http://') || s.startsWith('https://');
}

export function pairingEncode({ url, ownerPk, secret }) {
  const u = utf8(url);
  if (!urlOk(u)) throw new PairingError('PAIRING_EURL');
  const pl = concat(Uint8Array.of(1, u.length >> 8, u.length & 255), u, ownerPk, secret);
  return PREFIX + b32(concat(pl, labelhash('sealcam-pairchk', pl, 4)));
}

export function pairingDecode(s) {
  s = String(s).trim();
  if (s.length < PREFIX.length || s.slice(0, PREFIX.length).toLowerCase() !== PREFIX)
    throw new PairingError('PAIRING_EPREFIX');
  const pl = unb32(s.slice(PREFIX.length));
  if (!pl) throw new PairingError('PAIRING_ECHAR');
  if (pl.length < 71) throw new PairingError('PAIRING_ELENGTH');
  const n = pl.length - 4;
  if (!equal(labelhash('sealcam-pairchk', pl.subarray(0, n), 4), pl.subarray(n)))
    throw new PairingError('PAIRING_ECHECKSUM');
  if (pl[0] !== 1) throw new PairingError('PAIRING_EVERSION');
  const ul = (pl[1] << 8) | pl[2];
  if (67 + ul !== n) throw new PairingError('PAIRING_ELENGTH');
  const u = pl.subarray(3, 3 + ul);
  if (!urlOk(u)) throw new PairingError('PAIRING_EURL');
  return {
    url: new TextDecoder().decode(u),
    ownerPk: pl.slice(3 + ul, 35 + ul),
    secret: pl.slice(35 + ul, 67 + ul),
  };
}

// pairing_id = first 16 bytes of labelhash("sealcam-pairid", secret)
export function pairingId(secret) {
  return labelhash('sealcam-pairid', secret, 16);
}

export function pairingProof(secret, camId, cameraPk, name = '') {
  const nm = utf8(name);
  if (nm.length > 64 || !utf8Printable(nm)) throw new PairingError('PAIRING_ENAME');
  return labelhash('sealcam-pairprf', concat(camId, cameraPk, Uint8Array.of(nm.length), nm), 32, secret);
}

// The id must commit to the key, then the MAC (constant time).
export function pairingProofVerify(secret, camId, cameraPk, name, proof) {
  if (!equal(cameraId(cameraPk), camId)) throw new PairingError('PAIRING_ECAMERAID');
  if (!sodium.memcmp(pairingProof(secret, camId, cameraPk, name), proof))
    throw new PairingError('PAIRING_EBADPROOF');
}

// codec — bytes <-> text, big-endian integers and the label hash used for
// every derived id (docs/FORMAT.md "Hashes and labels", "Base32").
import { sodium } from './sodium.js';

const B32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function hex(u8) {
  let s = '';
  for (const b of u8) s += b.toString(16).padStart(2, '0');
  return s;
}

// Lowercase hex of exactly n bytes (the protocol's one spelling), or throw.
export function unhex(s, n) {
  if (typeof s !== 'string' || !/^[0-9a-f]*$/.test(s) || s.length % 2 ||
      (n !== undefined && s.length !== 2 * n))
    throw new Error(`expected ${n ?? 'some'} bytes of lowercase hex`);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(2 * i, 2), 16);
  return out;
}

export function b64(u8) {
  return sodium.to_base64(u8, sodium.base64_variants.ORIGINAL);
}

export function unb64(s) {
  return sodium.from_base64(s, sodium.base64_variants.ORIGINAL);
}

export function utf8(s) {
  return new TextEncoder().encode(s);
}

export function concat(...parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

export function equal(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

// Bytewise order (memcmp).
export function compare(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

export function getBE32(u8, off) {
  return ((u8[off] << 24) | (u8[off + 1] << 16) | (u8[off + 2] << 8) | u8[off + 3]) >>> 0;
}

// u64 as a Number; sealcam's u64 fields (sequence numbers, ms times) stay
// far below 2^53. Larger values are refused rather than rounded.
export function getBE64(u8, off) {
  const hi = getBE32(u8, off), lo = getBE32(u8, off + 4);
  if (hi >= 0x200000) throw new RangeError('64-bit value beyond 2^53');
  return hi * 0x100000000 + lo;
}

export function putBE32(u8, off, v) {
  u8[off] = v >>> 24; u8[off + 1] = (v >>> 16) & 255;
  u8[off + 2] = (v >>> 8) & 255; u8[off + 3] = v & 255;
}

export function putBE64(u8, off, v) {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError('bad u64');
  putBE32(u8, off, Math.floor(v / 0x100000000));
  putBE32(u8, off + 4, v >>> 0);
}

// The label padded with NUL bytes to 16 bytes.
export function label16(label) {
  const out = new Uint8Array(16);
  out.set(utf8(label));
  return out;
}

// labelhash(label, msg) = BLAKE2b-256(label16 || msg), first outlen bytes
// (keyed BLAKE2b when key is given: the pairing proof).
export function labelhash(label, msg, outlen = 32, key = null) {
  const st = sodium.crypto_generichash_init(key, 32);
  sodium.crypto_generichash_update(st, label16(label));
  sodium.crypto_generichash_update(st, msg);
  return sodium.crypto_generichash_final(st, 32).subarray(0, outlen);
}

// Crockford base32, big-endian bits, no padding.
export function b32(u8) {
  let out = '', acc = 0, bits = 0;
  for (const b of u8) {
    acc = ((acc << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += B32[(acc >> bits) & 31];
    }
  }
  if (bits > 0) out += B32[(acc << (5 - bits)) & 31];
  return out;
}

// Symbol value of a base32 character (case folded, I/L = 1, O = 0), or -1.
// Crockford base32 decode as the C library (codec_b32_decode): look-alikes
// folded, '-' and ' ' skipped, non-zero pad bits refused. null if invalid.
export function unb32(s) {
  const out = [];
  let acc = 0, bits = 0;
  for (const c of s) {
    if (c === '-' || c === ' ') continue;
    const v = b32value(c);
    if (v < 0) return null;
    acc = ((acc << 5) | v) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 255);
    }
    acc &= (1 << bits) - 1;
  }
  if (bits >= 5 || acc !== 0) return null;
  return Uint8Array.from(out);
}

export function b32value(c) {
  c = c.toUpperCase();
  if (c === 'I' || c === 'L') return 1;
  if (c === 'O') return 0;
  return c.length === 1 ? B32.indexOf(c) : -1;
}

export function b32char(v) {
  return B32[v & 31];
}

// "Name, 3 symbols per 5 bits" fingerprints: first 10 bytes of the label
// hash in base32, grouped XXXX-XXXX-XXXX-XXXX.
export function fingerprintOf(label, msg) {
  const s = b32(labelhash(label, msg, 10));
  return s.match(/.{4}/g).join('-');
}

// A key's fingerprint (vault_fingerprint).
export function keyFingerprint(pk) {
  return fingerprintOf('sealcam-fpr', pk);
}

// An account's fingerprint over both of its public keys
// (vault_fingerprint_account): what people compare before sharing.
export function accountFingerprint(signPk, boxPk) {
  return fingerprintOf('sealcam-fpr-acct', concat(signPk, boxPk));
}

// Printable UTF-8 as the C library accepts it in keyring labels: shortest
// forms, no surrogates, no C0/DEL/C1 controls.
export function utf8Printable(u8) {
  let i = 0;
  while (i < u8.length) {
    const b = u8[i];
    if (b < 0x80) {
      if (b < 0x20 || b === 0x7f) return false;
      i++;
      continue;
    }
    let len, cp;
    if (b >= 0xc2 && b <= 0xdf) { len = 2; cp = b & 0x1f; }
    else if (b >= 0xe0 && b <= 0xef) { len = 3; cp = b & 0x0f; }
    else if (b >= 0xf0 && b <= 0xf4) { len = 4; cp = b & 0x07; }
    else return false;
    if (len > u8.length - i) return false;
    for (let k = 1; k < len; k++) {
      if ((u8[i + k] & 0xc0) !== 0x80) return false;
      cp = (cp << 6) | (u8[i + k] & 0x3f);
    }
    if ((len === 3 && cp < 0x800) || (len === 4 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff || (cp >= 0x80 && cp <= 0x9f))
      return false;
    i += len;
  }
  return true;
}

// vault — an account's keys, the recovery code and the backup blob
// (docs/FORMAT.md "Vault"), as src/lib/vault.c and vault_backup.c do it.
import { sodium, wipe } from './sodium.js';
import { b32char, b32value, concat, getBE64, accountFingerprint, keyFingerprint } from './codec.js';

export const RECOVERY_SYMBOLS = 28;
export const SERIAL_BYTES = 69;
export const BACKUP_BYTES = 147;
const BACKUP_HEADER = 62;
const GF_POLY = 0x25; // x^5 + x^2 + 1

// Messages a person can act on, by error.
const REASONS = {
  VAULT_ECHAR: 'The recovery code contains a character that is not in it. It uses digits and the letters A–Z except I, L, O and U.',
  VAULT_ECODELEN: 'A recovery code has 28 characters (7 groups of 4). Check that none is missing or doubled.',
  VAULT_ECHECKSUM: 'That recovery code is mistyped: one or two characters are wrong or swapped. Check it against the one you wrote down.',
  VAULT_EAUTH: 'That is not the recovery code of this account (it is a valid code, but it does not unlock your keys).',
  VAULT_ELENGTH: 'The key backup on the server is damaged (wrong size).',
  VAULT_EMAGIC: 'The key backup on the server is damaged (not a backup).',
  VAULT_EVERSION: 'The key backup on the server has an unknown version.',
  VAULT_ELIMITS: 'The key backup on the server asks for unsafe key-derivation settings; refusing it.',
  VAULT_ENOMEM: 'This browser could not get the memory to derive the key (256 MiB). Close other tabs and try again.',
};

export class VaultError extends Error {
  constructor(code) {
    super(REASONS[code] || code);
    this.name = 'VaultError';
    this.code = code;
  }
}

function gfMul(a, b) {
  let r = 0;
  for (let i = 0; i < 5; i++) {
    if (b & 1) r ^= a;
    b >>= 1;
    a <<= 1;
    if (a & 0x20) a ^= GF_POLY;
  }
  return r;
}

// (S0, S1) of 28 symbols; a code is valid iff both are zero.
export function recoverySyndrome(sym) {
  let s0 = 0, s1 = 0, ai = 1;
  for (let i = 0; i < sym.length; i++) {
    s0 ^= sym[i];
    s1 ^= gfMul(ai, sym[i]);
    ai = gfMul(ai, 2);
  }
  return [s0, s1];
}

// Typed code -> canonical 28 upper-case symbols, or VaultError
// (ECHAR, ECODELEN, ECHECKSUM: in this order, as the C library).
export function recoveryNormalize(typed) {
  const sym = [];
  for (const c of String(typed)) {
    if (c === ' ' || c === '-' || c === '\t' || c === '\n' || c === '\r') continue;
    const v = b32value(c);
    if (v < 0) throw new VaultError('VAULT_ECHAR');
    if (sym.length === RECOVERY_SYMBOLS) throw new VaultError('VAULT_ECODELEN');
    sym.push(v);
  }
  if (sym.length !== RECOVERY_SYMBOLS) throw new VaultError('VAULT_ECODELEN');
  const [s0, s1] = recoverySyndrome(sym);
  if (s0 !== 0 || s1 !== 0) throw new VaultError('VAULT_ECHECKSUM');
  return sym.map(b32char).join('');
}

export function recoveryFormat(canon) {
  return canon.match(/.{1,4}/g).join('-');
}

/*
 * A vault: { boxPk, boxSk, signPk, signSk, serial }. Public keys are
 * derived from the secrets, never stored, so a serialisation cannot pair
 * mismatched halves.
 */
export function vaultParse(ser) {
  if (ser.length !== SERIAL_BYTES) throw new VaultError('VAULT_ELENGTH');
  if (ser[0] !== 0x53 || ser[1] !== 0x56 || ser[2] !== 0x4c || ser[3] !== 0x54)
    throw new VaultError('VAULT_EMAGIC');
  if (ser[4] !== 1) throw new VaultError('VAULT_EVERSION');
  const boxSk = ser.slice(5, 37);
  const seed = ser.slice(37, 69);
  const boxPk = sodium.crypto_scalarmult_base(boxSk);
  const kp = sodium.crypto_sign_seed_keypair(seed);
  wipe(seed);
  return { boxPk, boxSk, signPk: kp.publicKey, signSk: kp.privateKey, serial: Uint8Array.from(ser) };
}

export function vaultWipe(v) {
  if (!v) return;
  wipe(v.boxSk); wipe(v.signSk); wipe(v.serial);
}

export function vaultFingerprint(v) {
  return accountFingerprint(v.signPk, v.boxPk);
}

export { accountFingerprint, keyFingerprint };

// Check a blob's structure and limits (before asking for any KDF work).
export function backupCheck(blob) {
  if (blob.length !== BACKUP_BYTES) throw new VaultError('VAULT_ELENGTH');
  if (blob[0] !== 0x53 || blob[1] !== 0x56 || blob[2] !== 0x42 || blob[3] !== 0x4b)
    throw new VaultError('VAULT_EMAGIC');
  if (blob[4] !== 1) throw new VaultError('VAULT_EVERSION');
  // The blob is untrusted: refuse a cheap KDF (eases guessing) and a huge
  // one (exhausts the device). Bounds as the C library: INTERACTIVE..SENSITIVE.
  let ops, mem;
  try {
    ops = getBE64(blob, 6);
    mem = getBE64(blob, 14);
  } catch {
    throw new VaultError('VAULT_ELIMITS');
  }
  if (blob[5] !== sodium.crypto_pwhash_ALG_ARGON2ID13 ||
      ops < sodium.crypto_pwhash_OPSLIMIT_INTERACTIVE || ops > sodium.crypto_pwhash_OPSLIMIT_SENSITIVE ||
      mem < sodium.crypto_pwhash_MEMLIMIT_INTERACTIVE || mem > sodium.crypto_pwhash_MEMLIMIT_SENSITIVE)
    throw new VaultError('VAULT_ELIMITS');
  return { ops, mem, salt: blob.slice(22, 38), nonce: blob.slice(38, 62) };
}

// Argon2id of the canonical code under the blob's salt and limits.
export function backupKey(canon, salt, ops, mem) {
  try {
    return sodium.crypto_pwhash(32, new TextEncoder().encode(canon), salt, ops, mem,
      sodium.crypto_pwhash_ALG_ARGON2ID13);
  } catch {
    throw new VaultError('VAULT_ENOMEM');
  }
}

/*
 * Open a backup with a typed recovery code: structure and limits, then the
 * code's checksum (a typo is reported before a second of Argon2id), then
 * the KDF and the AEAD (a wrong code), then the serialisation.
 */
export function backupOpen(blob, typed) {
  const p = backupCheck(blob);
  const canon = recoveryNormalize(typed);
  const key = backupKey(canon, p.salt, p.ops, p.mem);
  let ser;
  try {
    ser = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, blob.subarray(BACKUP_HEADER),
      blob.subarray(0, BACKUP_HEADER), p.nonce, key);
  } catch {
    throw new VaultError('VAULT_EAUTH');
  } finally {
    wipe(key);
  }
  try {
    return vaultParse(ser);
  } finally {
    wipe(ser);
  }
}

// For tests: the blob's AD is its first 62 bytes.
export function backupAd(blob) {
  return concat(blob.subarray(0, BACKUP_HEADER));
}

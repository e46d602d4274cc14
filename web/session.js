// session — who is logged in and this browser's keys for them.
//
//   login      e-mail + password -> a session token (memory only)
//   unlock     recovery code -> the vault from the server's encrypted
//              backup (Argon2id + XChaCha20-Poly1305, vault.js); optionally
//              kept on this browser wrapped by keystore.js
//   restore    the kept vault, if this browser has one for the account
//
// The vault's public keys must be the ones the account published: a server
// that swapped them would otherwise get footage sealed to its own key.
import { get, post, setToken } from './api.js';
import { equal, unb64, unhex } from './codec.js';
import { forgetBrowser, forgetVault, loadVault, saveVault } from './keystore.js';
import { backupOpen, vaultFingerprint, vaultParse, vaultWipe, VaultError } from './vault.js';

export const session = {
  me: null,        // GET /v1/me
  vault: null,     // { boxPk, boxSk, signPk, signSk, serial }
  kept: false,     // the vault is kept on this browser
};

export const accountId = () => session.me && session.me.account_id;
export const unlocked = () => session.vault !== null;
export const reader = () => ({ boxPk: session.vault.boxPk, boxSk: session.vault.boxSk });

function matchesPublished(v) {
  const pub = session.me && session.me.vault;
  if (!pub) return false;
  try {
    return equal(unhex(pub.box_pk, 32), v.boxPk) && equal(unhex(pub.sign_pk, 32), v.signPk);
  } catch {
    return false;
  }
}

export async function login(email, password) {
  const r = await post('/v1/login', { email: email.trim(), password }, { auth: false });
  if (r.role && r.role !== 'user') {
    throw new Error('This is a staff account; the viewer is for households.');
  }
  setToken(r.token);
  session.me = await get('/v1/me');
  return session.me;
}

// Use the vault this browser kept for the account, if any. true if unlocked.
export async function restore() {
  const ser = await loadVault(accountId());
  if (!ser) return false;
  let v;
  try {
    v = vaultParse(ser);
  } catch {
    await forgetVault(accountId());
    return false;
  } finally {
    ser.fill(0);
  }
  if (!matchesPublished(v)) {
    // The account's keys changed (or the server lies): ask for the code.
    vaultWipe(v);
    await forgetVault(accountId());
    return false;
  }
  session.vault = v;
  session.kept = true;
  return true;
}

/*
 * Open the account's key backup with the recovery code. Throws VaultError
 * (mistyped, wrong code, ...) or ApiError.
 */
export async function unlock(code, keep) {
  let backup;
  try {
    backup = unb64((await get('/v1/me/vault')).backup);
  } catch (e) {
    if (e.status === 404) throw new Error('This account has no key backup on the server yet. Sign up with the sealcam app first.');
    if (e.name === 'ApiError') throw e;
    throw new VaultError('VAULT_ELENGTH');
  }
  const v = backupOpen(backup, code);
  if (!matchesPublished(v)) {
    vaultWipe(v);
    throw new Error('The keys in your backup are not the ones the server publishes for your account. ' +
      'Do not use this server until this is explained.');
  }
  session.vault = v;
  session.kept = false;
  if (keep) {
    await saveVault(accountId(), v.serial);
    session.kept = true;
  }
  return v;
}

export function fingerprint() {
  return session.vault ? vaultFingerprint(session.vault) : null;
}

// End the session here and on the server (keys stay kept if they were).
export async function logout() {
  try {
    await post('/v1/logout');
  } catch { /* offline or already gone: forget it locally anyway */ }
  clear();
}

// Run when the session ends (caches of decrypted footage are dropped).
export const onClear = new Set();

export function clear() {
  for (const fn of onClear) fn();
  setToken(null);
  vaultWipe(session.vault);
  session.vault = null;
  session.me = null;
  session.kept = false;
}

// Log out and wipe everything this browser kept (keys and camera pins).
export async function forget() {
  await logout();
  await forgetBrowser();
}

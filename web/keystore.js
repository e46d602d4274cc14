// keystore — what this browser remembers, in IndexedDB (origin-scoped):
//
//   vault:<account>        the account's vault serialisation, encrypted with
//                          AES-256-GCM under a non-extractable WebCrypto key
//                          stored next to it. Script on this origin can use
//                          the key but never read it out, and the disk holds
//                          no key bytes an offline copy could use by itself.
//   trust:<account>:<cam>  a shared camera's owner key, camera key and the
//                          highest keyring epoch seen (pinned at first
//                          sight, like the CLI's trust/ files).
//
// "Forget this browser" deletes the whole database.

const DB = 'sealcam';
const STORE = 'kv';

function open() {
  return new Promise((resolve, reject) => {
    const rq = indexedDB.open(DB, 1);
    rq.onupgradeneeded = () => rq.result.createObjectStore(STORE);
    rq.onsuccess = () => resolve(rq.result);
    rq.onerror = () => reject(rq.error);
  });
}

async function tx(mode, fn) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      const st = t.objectStore(STORE);
      let result;
      Promise.resolve(fn(st)).then((r) => { result = r; });
      t.oncomplete = () => resolve(result);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error);
    });
  } finally {
    db.close();
  }
}

const req = (r) => new Promise((resolve, reject) => {
  r.onsuccess = () => resolve(r.result);
  r.onerror = () => reject(r.error);
});

export async function kvGet(key) {
  return tx('readonly', (st) => req(st.get(key)));
}

export async function kvPut(key, value) {
  return tx('readwrite', (st) => { st.put(value, key); });
}

export async function kvDelete(key) {
  return tx('readwrite', (st) => { st.delete(key); });
}

const ad = (accountId) => new TextEncoder().encode(`sealcam-vault:${accountId}`);

// Keep the vault unlocked on this browser: wrap it under a fresh
// non-extractable AES-GCM key (bound to the account id as AAD).
export async function saveVault(accountId, serial) {
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: ad(accountId) },
    key, serial));
  await kvPut(`vault:${accountId}`, { key, iv, ct, saved: Date.now() });
}

// The vault serialisation this browser keeps for the account, or null.
export async function loadVault(accountId) {
  const rec = await kvGet(`vault:${accountId}`);
  if (!rec || !(rec.key instanceof CryptoKey)) return null;
  try {
    return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: rec.iv, additionalData: ad(accountId) },
      rec.key, rec.ct));
  } catch {
    await kvDelete(`vault:${accountId}`);
    return null;
  }
}

export async function forgetVault(accountId) {
  await kvDelete(`vault:${accountId}`);
}

// Everything this browser remembers, for every account.
export async function forgetBrowser() {
  await new Promise((resolve, reject) => {
    const rq = indexedDB.deleteDatabase(DB);
    rq.onsuccess = () => resolve();
    rq.onerror = () => reject(rq.error);
    rq.onblocked = () => resolve();
  });
}

export const getTrust = (accountId, camId) => kvGet(`trust:${accountId}:${camId}`);
export const putTrust = (accountId, camId, v) => kvPut(`trust:${accountId}:${camId}`, v);

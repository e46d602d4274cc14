// sodium — libsodium.js (npm libsodium-wrappers-sumo), served by sealcamd
// from its own origin under /vendor/. Every other module imports `sodium`
// from here; the top-level await makes importers wait until it is ready.
import lib from '/vendor/libsodium-wrappers.mjs';

await lib.ready;

export const sodium = lib;

// The compiled libsodium module under the wrappers, when it exposes what
// the container reader's fast path needs (seal.js): heap buffers it owns,
// so a record is copied in once for both BLAKE2b and the decryption, no
// allocation per record, and every byte of key, state and plaintext left
// on the wasm heap is wiped when done (the wrappers leave copies in freed
// heap memory). null falls back to the wrapper functions.
const M = lib.libsodium;
export const raw = M && M.HEAPU8 && typeof M._malloc === 'function' &&
  typeof M._crypto_secretstream_xchacha20poly1305_pull === 'function' &&
  typeof M._crypto_generichash_update === 'function' ? M : null;

// Zero len bytes of the wasm heap at ptr.
export function heapWipe(ptr, len) {
  if (raw && ptr) raw.HEAPU8.fill(0, ptr, ptr + len);
}

// Wipe and free a libsodium state that the wrappers allocated on the wasm
// heap (the secretstream state holds the key; the wrappers never free or
// wipe it).
export function freeState(addr, size) {
  if (typeof addr !== 'number' || !raw) return;
  heapWipe(addr, size);
  raw._free(addr);
}

// Best-effort wipe of a JS byte array holding a secret.
export function wipe(u8) {
  if (u8 instanceof Uint8Array) u8.fill(0);
}

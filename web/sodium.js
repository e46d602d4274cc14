// sodium — libsodium.js (npm libsodium-wrappers-sumo), served by sealcamd
// from its own origin under /vendor/. Every other module imports `sodium`
// from here; the top-level await makes importers wait until it is ready.
import lib from '/vendor/libsodium-wrappers.mjs';

await lib.ready;

export const sodium = lib;

// Wipe and free a libsodium state that the wrappers allocated on the wasm
// heap (secretstream and generichash states hold keys; the wrappers never
// free or wipe the secretstream one).
export function freeState(addr, size) {
  const m = lib.libsodium;
  if (typeof addr !== 'number' || !m || !m._sodium_memzero) return;
  m._sodium_memzero(addr, size);
  m._free(addr);
}

// Best-effort wipe of a JS byte array holding a secret.
export function wipe(u8) {
  if (u8 instanceof Uint8Array) u8.fill(0);
}

// seal — the sealed container reader (docs/FORMAT.md "Sealed container"),
// byte-compatible with src/lib/seg_open.c and checked against the same
// known-answer vectors (tests/vectors/container.json).
//
// A reader trusts nothing it downloads: the header must parse canonically,
// name the camera, kind and sequence number asked for, and hold a stanza
// for this device's key; every record must authenticate under the header
// hash; the last must be TAG_FINAL; the camera's signature over the header
// and body hashes must verify. Plaintext leaves only from finish(), after
// all of that: a caller never sees a byte of a container that fails.
import { sodium, freeState, heapWipe, raw, wipe } from './sodium.js';
import { concat, equal, getBE32, getBE64, label16, labelhash, compare } from './codec.js';

export const KIND = { segment: 1, event: 2, thumbnail: 3, live: 4, derivative: 5 };
export const HEADER_FIXED = 72;
export const STANZA_BYTES = 88;
export const MAX_RECIPIENTS = 32;
export const RECORD_BYTES = 65536;
export const RECORD_ABYTES = 17;
export const RECORD_CBYTES = RECORD_BYTES + RECORD_ABYTES;
export const TRAILER_BYTES = 64;
export const MAX_RECORDS = 4096;
const LOOKAHEAD = RECORD_CBYTES + TRAILER_BYTES + 1;
const SS_STATE_BYTES = 52;
const TAG_MESSAGE = 0;
const TAG_FINAL = 3;

// What each error means to a person looking at their footage.
const REASONS = {
  SEG_ETRUNCATED: 'the recording is incomplete (cut off)',
  SEG_EMAGIC: 'this is not a sealed recording',
  SEG_EVERSION: 'the recording has an unknown format version',
  SEG_ENONCANON: 'the recording is malformed',
  SEG_ETOOBIG: 'the recording is larger than allowed',
  SEG_ENOTRECIPIENT: 'this recording was not sealed to your key',
  SEG_EKEY: 'the key for this recording does not open with your key',
  SEG_EAUTH: 'the recording was altered (it does not authenticate)',
  SEG_ENOFINAL: 'the recording is incomplete (no final record)',
  SEG_EAFTERFINAL: 'the recording has data after its end',
  SEG_EBADSIG: "the camera's signature does not match: altered or forged",
  SEG_EWRONGCAMERA: 'the recording comes from another camera',
  SEG_EWRONGSEQ: 'the server returned another recording than the one asked for',
  SEG_EWRONGKIND: 'the server returned another kind of object than asked for',
  SEG_EUNSUPPORTED: 'this kind of recording cannot be opened here',
  SEG_ESTATE: 'internal error (reader used after it finished)',
  SEG_ENOMEM: 'this browser ran out of memory opening the recording',
};

export class SealError extends Error {
  constructor(code) {
    super(REASONS[code] || code);
    this.name = 'SealError';
    this.code = code;
  }
}

// camera id = first 16 bytes of labelhash("sealcam-camid", camera pk)
export function cameraId(cameraPk) {
  return labelhash('sealcam-camid', cameraPk, 16);
}

// key id = first 8 bytes of labelhash("sealcam-keyid", X25519 pk)
export function keyId(boxPk) {
  return labelhash('sealcam-keyid', boxPk, 8);
}

// Parse a header canonically from the start of buf. Returns the header, or
// null when more bytes are needed; throws SealError when it can never parse.
export function parseHeader(buf) {
  const len = buf.length;
  const magic = [0x53, 0x45, 0x41, 0x4c];
  for (let i = 0; i < Math.min(4, len); i++)
    if (buf[i] !== magic[i]) throw new SealError('SEG_EMAGIC');
  if (len <= 4) return null;
  if (buf[4] !== 1) throw new SealError('SEG_EVERSION');
  if (len < HEADER_FIXED) return null;
  const kind = buf[5], flags = buf[6], n = buf[7];
  if (kind < 1 || kind > 5 || (flags & ~1) !== 0) throw new SealError('SEG_ENONCANON');
  if (n < 1 || n > MAX_RECIPIENTS) throw new SealError('SEG_ENONCANON');
  const need = HEADER_FIXED + n * STANZA_BYTES;
  if (len < need) return null;
  const stanzas = [];
  for (let i = 0; i < n; i++) {
    const o = HEADER_FIXED + i * STANZA_BYTES;
    const keyId = buf.slice(o, o + 8);
    // Strictly ascending key ids: one order, no duplicates.
    if (i > 0 && compare(stanzas[i - 1].keyId, keyId) >= 0) throw new SealError('SEG_ENONCANON');
    stanzas.push({ keyId, sealedKey: buf.slice(o + 8, o + STANZA_BYTES) });
  }
  const bytes = buf.slice(0, need);
  return {
    len: need,
    version: 1,
    kind,
    flags,
    cameraId: buf.slice(8, 24),
    seq: getBE64(buf, 24),
    startMs: getBE64(buf, 32),
    durationMs: getBE32(buf, 40),
    epoch: getBE32(buf, 44),
    ssHeader: buf.slice(48, 72),
    stanzas,
    bytes,
    hash: sodium.crypto_generichash(32, bytes, null),
  };
}

// The data key from this reader's stanza.
export function unwrapKey(header, boxPk, boxSk) {
  const id = keyId(boxPk);
  const st = header.stanzas.find((s) => equal(s.keyId, id));
  if (!st) throw new SealError('SEG_ENOTRECIPIENT');
  try {
    return sodium.crypto_box_seal_open(st.sealedKey, boxPk, boxSk);
  } catch {
    throw new SealError('SEG_EKEY');
  }
}

// The 80 bytes a camera signs: "sealcam-seal-v1" NUL || header hash || body hash.
export function signedMessage(headerHash, bodyHash) {
  return concat(label16('sealcam-seal-v1'), headerHash, bodyHash);
}

/*
 * Record engines: BLAKE2b of the ciphertext and secretstream pull with the
 * header hash as AD, record by record. RawEngine works on buffers it owns
 * on the wasm heap (one copy in per record, no allocation, everything
 * wiped by free()); WrapEngine uses the wrapper functions. Both return the
 * plaintext as { tag, pt } where pt is only valid until the next call.
 */
class RawEngine {
  constructor(ssHeader, key, ad) {
    const M = raw;
    this.M = M;
    this.sizes = { st: M._crypto_secretstream_xchacha20poly1305_statebytes(),
      hs: M._crypto_generichash_statebytes(), in: LOOKAHEAD, out: RECORD_BYTES, misc: 8 + 32 + 32 + 24 };
    this.st = M._malloc(this.sizes.st);
    this.hs = M._malloc(this.sizes.hs);
    this.inp = M._malloc(this.sizes.in);
    this.outp = M._malloc(this.sizes.out);
    this.misc = M._malloc(this.sizes.misc);
    if (!this.st || !this.hs || !this.inp || !this.outp || !this.misc) {
      this.free();
      throw new SealError('SEG_ENOMEM');
    }
    this.tagp = this.misc;
    this.adp = this.misc + 8;
    const keyp = this.misc + 40, hdrp = this.misc + 72;
    const H = M.HEAPU8;
    H.set(ad, this.adp);
    H.set(key, keyp);
    H.set(ssHeader, hdrp);
    const rc = M._crypto_secretstream_xchacha20poly1305_init_pull(this.st, hdrp, keyp);
    heapWipe(keyp, 32);
    if (rc !== 0) {
      this.free();
      throw new SealError('SEG_EAUTH');
    }
    M._crypto_generichash_init(this.hs, 0, 0, 32);
  }

  _in(ct) {
    this.M.HEAPU8.set(ct, this.inp);
  }

  _pull(len) {
    const M = this.M;
    if (M._crypto_secretstream_xchacha20poly1305_pull(this.st, this.outp, 0, this.tagp,
        this.inp, len, 0, this.adp, 32, 0) !== 0) return null;
    const H = M.HEAPU8;
    return { tag: H[this.tagp], pt: H.subarray(this.outp, this.outp + len - RECORD_ABYTES) };
  }

  // Hash and pull a record (not the last).
  record(ct) {
    this._in(ct);
    this.M._crypto_generichash_update(this.hs, this.inp, ct.length, 0);
    return this._pull(ct.length);
  }

  // Hash the final record's ciphertext and return the body hash.
  finalHash(ct) {
    this._in(ct);
    this.M._crypto_generichash_update(this.hs, this.inp, ct.length, 0);
    const outp = this.misc + 40;
    this.M._crypto_generichash_final(this.hs, outp, 32);
    const h = this.M.HEAPU8.slice(outp, outp + 32);
    heapWipe(outp, 32);
    return h;
  }

  // Pull ct (already hashed, or not to be hashed).
  pull(ct) {
    this._in(ct);
    return this._pull(ct.length);
  }

  free() {
    const M = this.M;
    for (const k of ['st', 'hs', 'inp', 'outp', 'misc']) {
      if (!this[k]) continue;
      heapWipe(this[k], this.sizes[{ st: 'st', hs: 'hs', inp: 'in', outp: 'out', misc: 'misc' }[k]]);
      M._free(this[k]);
      this[k] = 0;
    }
  }
}

class WrapEngine {
  constructor(ssHeader, key, ad) {
    this.ad = ad;
    this.hs = sodium.crypto_generichash_init(null, 32);
    try {
      this.ss = sodium.crypto_secretstream_xchacha20poly1305_init_pull(ssHeader, key);
    } catch {
      throw new SealError('SEG_EAUTH');
    }
    this.last = null;
  }

  _pull(ct) {
    if (this.last) wipe(this.last);
    const r = sodium.crypto_secretstream_xchacha20poly1305_pull(this.ss, ct, this.ad);
    if (!r) return null;
    this.last = r.message;
    return { tag: r.tag, pt: r.message };
  }

  record(ct) {
    sodium.crypto_generichash_update(this.hs, ct);
    return this._pull(ct);
  }

  finalHash(ct) {
    sodium.crypto_generichash_update(this.hs, ct);
    const h = sodium.crypto_generichash_final(this.hs, 32);
    this.hs = null;
    return h;
  }

  pull(ct) {
    return this._pull(ct);
  }

  free() {
    if (this.last) wipe(this.last);
    this.last = null;
    if (this.hs !== null) {
      try { sodium.crypto_generichash_final(this.hs, 32); } catch { /* freed */ }
      this.hs = null;
    }
    if (this.ss !== undefined && this.ss !== null) freeState(this.ss, SS_STATE_BYTES);
    this.ss = null;
  }
}

// Use the raw engine unless asked not to (tests run both).
export const engines = { raw: raw ? RawEngine : null, wrap: WrapEngine };
let defaultEngine = raw ? RawEngine : WrapEngine;
export function useEngine(name) {
  defaultEngine = name === 'wrap' || !raw ? WrapEngine : RawEngine;
}

/*
 * A streaming reader. expect = { cameraPk, kind, seq } (seq may be
 * undefined to accept any), reader = { boxPk, boxSk }. write() as bytes
 * arrive (any chunking), then finish() -> { header, plaintext }. Any error
 * is thrown as a SealError and sticks; nothing is returned after one.
 * sizeHint (the sealed size, if known) lets the plaintext be written into
 * one buffer instead of being joined at the end.
 */
export class SealOpener {
  constructor(expect, reader, sizeHint = 0) {
    this.expect = expect;
    this.reader = reader;
    this.camId = cameraId(expect.cameraPk);
    this.hbuf = new Uint8Array(0);
    this.header = null;
    this.pend = new Uint8Array(LOOKAHEAD);
    this.npend = 0;
    this.nrecords = 0;
    this.eng = null;
    this.err = null;
    this.done = false;
    this.out = sizeHint > 0 ? new Uint8Array(sizeHint) : null;
    this.outLen = 0;
    this.parts = [];
  }

  _fail(e) {
    this.err = e instanceof SealError ? e : new SealError('SEG_EAUTH');
    this._wipe();
    throw this.err;
  }

  _wipe() {
    if (this.eng) this.eng.free();
    this.eng = null;
    wipe(this.pend);
    if (this.out) wipe(this.out.subarray(0, this.outLen));
    for (const p of this.parts) wipe(p);
    this.parts = [];
    this.out = null;
  }

  _startBody() {
    const h = this.header;
    if (!equal(h.cameraId, this.camId)) throw new SealError('SEG_EWRONGCAMERA');
    if (this.expect.kind && h.kind !== this.expect.kind) throw new SealError('SEG_EWRONGKIND');
    if (this.expect.seq !== undefined && h.seq !== this.expect.seq) throw new SealError('SEG_EWRONGSEQ');
    if (h.kind === KIND.live) throw new SealError('SEG_EUNSUPPORTED');
    const key = unwrapKey(h, this.reader.boxPk, this.reader.boxSk);
    try {
      this.eng = new defaultEngine(h.ssHeader, key, h.hash);
    } finally {
      wipe(key);
    }
  }

  // Copy a record's plaintext out (the engine's buffer is reused).
  _keep(pt) {
    if (pt.length === 0) return;
    if (this.out && this.outLen + pt.length <= this.out.length) {
      this.out.set(pt, this.outLen);
      this.outLen += pt.length;
    } else {
      if (this.out) {
        this.parts.push(this.out.slice(0, this.outLen));
        wipe(this.out);
        this.out = null;
      }
      this.parts.push(Uint8Array.from(pt));
    }
  }

  // One record known not to be the last.
  _record(ct) {
    if (this.nrecords + 1 >= MAX_RECORDS) throw new SealError('SEG_ETOOBIG');
    this.nrecords++;
    const r = this.eng.record(ct);
    if (!r) throw new SealError('SEG_EAUTH');
    if (r.tag === TAG_FINAL) throw new SealError('SEG_EAFTERFINAL');
    if (r.tag !== TAG_MESSAGE) throw new SealError('SEG_ENONCANON');
    this._keep(r.pt);
  }

  _header(buf) {
    // Take just what the header needs: the fixed part, then the stanzas.
    let used = 0;
    for (;;) {
      const h = parseHeader(this.hbuf);
      if (h) {
        this.header = h;
        this._startBody();
        return used;
      }
      if (used === buf.length) return used;
      const need = this.hbuf.length < HEADER_FIXED ? HEADER_FIXED :
        HEADER_FIXED + this.hbuf[7] * STANZA_BYTES;
      const take = Math.min(need - this.hbuf.length, buf.length - used);
      this.hbuf = concat(this.hbuf, buf.subarray(used, used + take));
      used += take;
    }
  }

  write(buf) {
    if (this.err) throw this.err;
    if (this.done) throw new SealError('SEG_ESTATE');
    try {
      if (!this.header) buf = buf.subarray(this._header(buf));
      let off = 0;
      while (off < buf.length) {
        // Whole records straight from the caller's buffer.
        if (this.npend === 0 && buf.length - off >= LOOKAHEAD) {
          this._record(buf.subarray(off, off + RECORD_CBYTES));
          off += RECORD_CBYTES;
          continue;
        }
        const take = Math.min(LOOKAHEAD - this.npend, buf.length - off);
        this.pend.set(buf.subarray(off, off + take), this.npend);
        this.npend += take;
        off += take;
        if (this.npend === LOOKAHEAD) {
          this._record(this.pend.subarray(0, RECORD_CBYTES));
          this.pend.copyWithin(0, RECORD_CBYTES, this.npend);
          this.npend -= RECORD_CBYTES;
        }
      }
    } catch (e) {
      this._fail(e);
    }
  }

  finish() {
    if (this.err) throw this.err;
    if (this.done) throw new SealError('SEG_ESTATE');
    this.done = true;
    try {
      if (!this.header) throw new SealError('SEG_ETRUNCATED');
      if (this.npend < RECORD_ABYTES + TRAILER_BYTES) throw new SealError('SEG_ETRUNCATED');
      // The final record carries 0..65536 bytes; the trailer follows.
      const flen = this.npend - TRAILER_BYTES;
      const fin = this.pend.subarray(0, flen);
      const bodyHash = this.eng.finalHash(fin);
      const r = this.eng.pull(fin);
      if (!r) {
        // Was the trailer simply cut off? If everything left authenticates
        // as a record, report truncation rather than tampering. (A failed
        // pull leaves libsodium's state unchanged.)
        if (this.npend <= RECORD_CBYTES && this.eng.pull(this.pend.subarray(0, this.npend)))
          throw new SealError('SEG_ETRUNCATED');
        throw new SealError('SEG_EAUTH');
      }
      if (r.tag !== TAG_FINAL) throw new SealError(r.tag === TAG_MESSAGE ? 'SEG_ENOFINAL' : 'SEG_ENONCANON');
      const sig = this.pend.slice(flen, this.npend);
      if (!sodium.crypto_sign_verify_detached(sig, signedMessage(this.header.hash, bodyHash),
          this.expect.cameraPk))
        throw new SealError('SEG_EBADSIG');
      // Genuine: only now does any plaintext leave.
      this._keep(r.pt);
      this.eng.free();
      this.eng = null;
      wipe(this.pend);
      let plaintext;
      const tail = this.out ? this.out.subarray(0, this.outLen) : new Uint8Array(0);
      if (this.parts.length === 0) plaintext = tail;
      else plaintext = concat(...this.parts, tail);
      this.parts = [];
      this.out = null;
      return { header: this.header, plaintext, bodyHash };
    } catch (e) {
      this._fail(e);
    }
    return null;
  }
}

// Open a whole container held in memory.
export function openSealed(buf, expect, reader) {
  const o = new SealOpener(expect, reader, buf.length);
  o.write(buf);
  return o.finish();
}

// Open a container as it downloads (a fetch Response). Throws SealError,
// or the network's error.
export async function openResponse(resp, expect, reader) {
  const size = Number(resp.headers.get('Content-Length')) || 0;
  const o = new SealOpener(expect, reader, size);
  const rd = resp.body.getReader();
  try {
    for (;;) {
      const { done, value } = await rd.read();
      if (done) break;
      o.write(value);
    }
  } catch (e) {
    try { rd.cancel(); } catch { /* gone */ }
    if (!o.err) o._wipe();
    throw e;
  }
  return o.finish();
}

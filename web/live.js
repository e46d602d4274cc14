// live.js — the live stream reader of the web viewer (docs/FORMAT.md
// "Live stream"): the same checks as the C reader (src/lib/live.c), record
// by record as bytes arrive from fetch()'s ReadableStream.
//
//   const r = new LiveReader(sodium, { cameraPk, boxPk, boxSk });
//   for each chunk: for (const ev of r.push(chunk)) { ...ev.type, ev.pt... }
//   at the end: r.finish()   (throws unless the END record was seen)
//
// Every piece is handed on only after it verified: header signature, then
// per record the order rules, the camera's signature, then decryption.
// Any failure throws a LiveError and the reader stays failed.
//
// `sodium` is an initialised libsodium-wrappers(-sumo) instance.

export const REC_INIT = 1, REC_FRAG = 2, REC_END = 3, FLAG_KEY = 1;
const HEADER_FIXED = 72, STANZA = 88, REC_HDR = 24, TAG = 16, SIG = 64;
const MAX_PLAINTEXT = 4 << 20;

export class LiveError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const label16 = (s) => {
  const b = new Uint8Array(16);
  b.set(new TextEncoder().encode(s));
  return b;
};
const cat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
};
const be32 = (b, o) => ((b[o] << 24) >>> 0) + (b[o + 1] << 16) + (b[o + 2] << 8) + b[o + 3];
const be64 = (b, o) => BigInt(be32(b, o)) << 32n | BigInt(be32(b, o + 4));
const eq = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const lexcmp = (a, b) => {
  for (let i = 0; i < a.length && i < b.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
};

export class LiveReader {
  // opts: cameraPk (Ed25519, the key this device trusts), boxPk/boxSk (this
  // device's X25519 pair), sessionSeq (BigInt, optional), now() and staleMs:
  // records captured longer ago than staleMs are refused (a replayed
  // session), default 120 s.
  constructor(sodium, opts) {
    this.s = sodium;
    this.o = { staleMs: 120000, now: () => Date.now(), ...opts };
    this.camId = this.labelhash('sealcam-camid', this.o.cameraPk).slice(0, 16);
    this.buf = new Uint8Array(0);
    this.state = 'head';
    this.lastIndex = -1n;
    this.lastTime = 0n;
    this.err = null;
  }

  labelhash(label, msg) {
    return this.s.crypto_generichash(32, cat(label16(label), msg));
  }

  fail(code, msg) {
    this.err = new LiveError(code, msg);
    this.state = 'failed';
    throw this.err;
  }

  // Feed bytes; returns the events that became complete and verified.
  push(chunk) {
    if (this.err) throw this.err;
    this.buf = this.buf.length ? cat(this.buf, chunk) : chunk;
    const events = [];
    for (;;) {
      if (this.state === 'ended') {
        if (this.buf.length) this.fail('after_end', 'data after the end record');
        break;
      }
      const need = this.state === 'head' ? this.headNeed() : this.recNeed();
      if (need === 0 || this.buf.length < need) break;
      const piece = this.buf.subarray(0, need);
      events.push(this.state === 'head' ? this.head(piece) : this.record(piece));
      this.buf = this.buf.slice(need);
    }
    return events;
  }

  finish() {
    if (this.err) throw this.err;
    if (this.state !== 'ended' || this.buf.length)
      this.fail('truncated', 'live stream ended without its end record');
  }

  headNeed() {
    const b = this.buf;
    if (b.length < HEADER_FIXED) return 0;
    if (!eq(b.subarray(0, 4), new TextEncoder().encode('SEAL'))) this.fail('magic', 'not a sealed header');
    if (b[4] !== 1) this.fail('version', 'unknown container version');
    if (b[5] !== 4) this.fail('kind', 'not a live stream');
    const n = b[7];
    if (b[6] !== 0 || n < 1 || n > 32 || be32(b, 40) !== 0 || b.subarray(64, 72).some((x) => x))
      this.fail('noncanon', 'malformed live header');
    return HEADER_FIXED + n * STANZA + SIG;
  }

  head(piece) {
    const s = this.s, n = piece[7], hlen = HEADER_FIXED + n * STANZA;
    const header = piece.subarray(0, hlen);
    if (!eq(header.subarray(8, 24), this.camId)) this.fail('wrong_camera', 'stream is from another camera');
    this.seq = be64(header, 24);
    if (this.o.sessionSeq !== undefined && this.o.sessionSeq !== null && this.seq !== this.o.sessionSeq)
      this.fail('wrong_session', 'stream is of another live session');
    for (let i = 1; i < n; i++) {
      const a = header.subarray(HEADER_FIXED + (i - 1) * STANZA, HEADER_FIXED + (i - 1) * STANZA + 8);
      const c = header.subarray(HEADER_FIXED + i * STANZA, HEADER_FIXED + i * STANZA + 8);
      if (lexcmp(a, c) >= 0) this.fail('noncanon', 'stanzas not ascending');
    }
    this.hh = s.crypto_generichash(32, header);
    if (!s.crypto_sign_verify_detached(piece.subarray(hlen), cat(label16('sealcam-live-v1'), this.hh), this.o.cameraPk))
      this.fail('bad_signature', 'camera signature does not verify');
    const kid = this.labelhash('sealcam-keyid', this.o.boxPk).slice(0, 8);
    let key = null;
    for (let i = 0; i < n; i++) {
      const st = header.subarray(HEADER_FIXED + i * STANZA, HEADER_FIXED + (i + 1) * STANZA);
      if (eq(st.subarray(0, 8), kid)) {
        try {
          key = s.crypto_box_seal_open(st.subarray(8), this.o.boxPk, this.o.boxSk);
        } catch (e) {
          this.fail('key', 'the live key does not open');
        }
      }
    }
    if (!key) this.fail('not_recipient', "this device's key is not a recipient");
    this.key = key;
    this.prefix = header.slice(48, 64);
    this.startMs = be64(header, 32);
    this.epoch = be32(header, 44);
    this.state = 'init';
    return { type: 0, seq: this.seq, startMs: this.startMs, epoch: this.epoch };
  }

  recNeed() {
    const b = this.buf;
    if (b.length < REC_HDR) return 0;
    const type = b[0], flags = b[1], L = be32(b, 4);
    if (type < REC_INIT || type > REC_END || b[2] || b[3] ||
        (flags & ~(type === REC_FRAG ? FLAG_KEY : 0)) || L < TAG || (type === REC_END && L !== TAG))
      this.fail('noncanon', 'malformed live record');
    if (L > MAX_PLAINTEXT + TAG) this.fail('too_big', 'live record too large');
    return REC_HDR + L + SIG;
  }

  record(piece) {
    const s = this.s, rh = piece.subarray(0, REC_HDR);
    const ct = piece.subarray(REC_HDR, piece.length - SIG), sig = piece.subarray(piece.length - SIG);
    const type = rh[0], flags = rh[1], index = be64(rh, 8), time = be64(rh, 16);
    // Order: INIT 0, then a keyframe fragment (the join point) or END,
    // then consecutive indices; times never go back.
    let okOrder;
    if (this.state === 'init') okOrder = type === REC_INIT && index === 0n;
    else if (this.state === 'join') okOrder = index > 0n && type !== REC_INIT && (type !== REC_FRAG || (flags & FLAG_KEY));
    else okOrder = type !== REC_INIT && index === this.lastIndex + 1n;
    if (!okOrder || time < this.lastTime) this.fail('order', 'live records reordered, replayed or dropped');
    const msg = cat(label16('sealcam-live-rec'), this.hh, rh, s.crypto_generichash(32, ct));
    if (!s.crypto_sign_verify_detached(sig, msg, this.o.cameraPk))
      this.fail('bad_signature', 'camera signature does not verify');
    const nonce = new Uint8Array(24);
    nonce.set(this.prefix);
    new DataView(nonce.buffer).setBigUint64(16, index);
    let pt;
    try {
      pt = s.crypto_aead_xchacha20poly1305_ietf_decrypt(null, ct, cat(this.hh, rh), nonce, this.key);
    } catch (e) {
      this.fail('auth', 'a live record does not authenticate');
    }
    if (type !== REC_END && Number(time) + this.o.staleMs < this.o.now())
      this.fail('stale', 'live footage is too old (replayed?)');
    this.lastIndex = index;
    this.lastTime = time;
    this.state = type === REC_END ? 'ended' : type === REC_INIT ? 'join' : 'next';
    return { type, flags, index, timeMs: Number(time), pt };
  }
}

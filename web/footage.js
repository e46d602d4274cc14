// footage — a camera's sealed objects: listing by time, download, and
// verification (seal.js) before anything is used. Verified segments are
// kept in a small in-memory cache (bounded by bytes) so seeking back and
// downloading what was just watched cost no second download.
import { api, get } from './api.js';
import { KIND, SealError, openResponse } from './seal.js';
import { parseSegment } from './mp4.js';

const CACHE_BYTES = 192 << 20;

// All objects of a kind overlapping [fromMs, toMs), in seq order.
export async function listObjects(camIdHex, kind, fromMs, toMs) {
  const all = [];
  let after = null;
  for (let page = 0; page < 200; page++) {
    const q = `kind=${kind}&from_ms=${Math.floor(fromMs)}&to_ms=${Math.ceil(toMs)}&limit=1000` +
      (after !== null ? `&after_seq=${after}` : '');
    const r = await get(`/v1/cameras/${camIdHex}/objects?${q}`);
    all.push(...r.objects);
    if (r.next_after_seq === null || r.next_after_seq === undefined || !r.objects.length) break;
    after = r.next_after_seq;
  }
  return all;
}

/*
 * One camera's footage as this account may read it. cam: a trusted camera
 * (trust.js), reader: { boxPk, boxSk }.
 */
export class Footage {
  constructor(cam, reader) {
    this.cam = cam;
    this.reader = reader;
    this.cache = new Map();      // "kind:seq" -> { value, bytes }
    this.cacheBytes = 0;
    this.inflight = new Map();   // "kind:seq" -> Promise
    this.failed = new Map();     // seq -> SealError (segments that did not verify)
    this.listeners = new Set();
  }

  onFailure(fn) { this.listeners.add(fn); }

  _remember(key, value, bytes) {
    this.cache.set(key, { value, bytes });
    this.cacheBytes += bytes;
    for (const [k, v] of this.cache) {
      if (this.cacheBytes <= CACHE_BYTES) break;
      this.cache.delete(k);
      this.cacheBytes -= v.bytes;
    }
  }

  /*
   * Download and open object (kind, seq): the camera's signature under the
   * trusted camera key, this camera, this kind, this sequence number,
   * every record, the final tag. Resolves { header, plaintext } only for a
   * genuine object; rejects with SealError (or ApiError).
   */
  async open(kindName, seq, { signal } = {}) {
    const key = `${kindName}:${seq}`;
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit.value;
    }
    if (this.inflight.has(key)) return this.inflight.get(key);
    const p = (async () => {
      const resp = await api('GET', `/v1/cameras/${this.cam.idHex}/objects/${kindName}/${seq}`, { raw: true, signal });
      const r = await openResponse(resp, { cameraPk: this.cam.cameraPk, kind: KIND[kindName], seq }, this.reader);
      return r;
    })();
    this.inflight.set(key, p);
    try {
      const r = await p;
      this._remember(key, r, r.plaintext.length);
      return r;
    } catch (e) {
      if (e instanceof SealError && kindName === 'segment') {
        this.failed.set(seq, e);
        for (const fn of this.listeners) fn(seq, e);
      }
      throw e;
    } finally {
      this.inflight.delete(key);
    }
  }

  // A verified segment, parsed: { header, plaintext, mp4 }.
  async segment(seq, opts) {
    const r = await this.open('segment', seq, opts);
    if (!r.mp4) r.mp4 = parseSegment(r.plaintext);
    return r;
  }

  // A verified thumbnail: { url (an object URL for an <img>; the caller
  // revokes it), startMs (when the picture was taken) }.
  async thumbnail(seq, opts) {
    const r = await this.open('thumbnail', seq, opts);
    const b = r.plaintext;
    if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) throw new SealError('SEG_ENONCANON');
    return { url: URL.createObjectURL(new Blob([b], { type: 'image/jpeg' })), startMs: r.header.startMs };
  }
}

// playback — recorded footage into the MSE player (player.js): from a
// chosen moment, segment after segment, across recording runs and gaps.
//
// The media timeline is wall-clock time: media second s is base + s
// (base = the start of the day shown). Each verified segment is appended
// whole (its init and fragments) with timestampOffset = its start on that
// timeline minus its first decode time; consecutive segments of one run
// (tfdt continuing) keep the previous offset, so frames line up exactly.
// A segment is appended only after it verified; one that fails is
// reported and skipped, and playback jumps the gap it leaves.
import { ApiError } from './api.js';
import { mimeOf } from './mp4.js';
import { SealError } from './seal.js';

const AHEAD_S = 10;        // keep this much media buffered ahead
const GAP_JUMP_S = 0.3;    // stalled this close to a range's end: jump the gap

export class RecordedFeed {
  /*
   * footage: Footage (footage.js); player: MsePlayer; baseMs: wall-clock
   * time of media second 0; hooks: { onState(text, kind), onPosition(ms),
   * onSegmentError(seq, err) }.
   */
  constructor(footage, player, baseMs, hooks = {}) {
    this.footage = footage;
    this.player = player;
    this.video = player.video;
    this.baseMs = baseMs;
    this.hooks = hooks;
    this.segs = [];           // playable objects, by start time
    this.mine = null;         // epochs sealed to this account (null: all)
    this.gen = 0;
    this.next = 0;            // index of the next segment to append
    this.last = null;         // { idx, offset, end } of the last appended
    this.busy = false;
    this.opened = false;
    this._onTime = () => this._tick();
    this.video.addEventListener('timeupdate', this._onTime);
    this.video.addEventListener('waiting', this._onTime);
    this.timer = setInterval(this._onTime, 250);
  }

  destroy() {
    this.gen++;
    clearInterval(this.timer);
    this.video.removeEventListener('timeupdate', this._onTime);
    this.video.removeEventListener('waiting', this._onTime);
    this.player.close();
  }

  // The listing changed (new recordings): keep the position.
  setSegments(objs, mineEpochs) {
    const cur = this.segs[this.next - 1];
    this.mine = mineEpochs || null;
    this.segs = objs.filter((o) => !this.mine || this.mine.has(o.epoch))
      .sort((a, b) => a.start_ms - b.start_ms);
    if (cur) {
      const i = this.segs.findIndex((s) => s.seq === cur.seq);
      if (i >= 0) this.next = i + 1;
    }
  }

  timeMs() {
    return this.baseMs + this.video.currentTime * 1000;
  }

  _state(text, kind = 'info') {
    if (this.hooks.onState) this.hooks.onState(text, kind);
  }

  // Index of the segment playing at ms, or of the first one after it.
  _indexAt(ms) {
    for (let i = 0; i < this.segs.length; i++) {
      const s = this.segs[i];
      if (ms < s.start_ms + s.duration_ms) return i;
    }
    return -1;
  }

  // Fetch, verify and append segment idx. Returns false if it failed
  // verification (skipped), throws for a network failure.
  async _append(idx, gen) {
    const o = this.segs[idx];
    if (this.footage.failed.has(o.seq)) return false;
    let r;
    try {
      r = await this.footage.segment(o.seq);
    } catch (e) {
      if (e instanceof SealError || (e && e.name === 'Mp4Error')) {
        if (!(e instanceof SealError)) this.footage.failed.set(o.seq, e);
        if (this.hooks.onSegmentError) this.hooks.onSegmentError(o.seq, e);
        return false;
      }
      throw e;
    }
    if (gen !== this.gen) return true;
    const v = r.mp4.video;
    let offset = (o.start_ms - this.baseMs) / 1000 - v.start;
    // Same recording run as the segment appended just before: keep its
    // offset (decode times continue exactly; header ms are rounded).
    if (this.last && this.last.idx === idx - 1 && Math.abs(v.start - this.last.end) < 0.05 &&
        Math.abs(offset - this.last.offset) < 0.25)
      offset = this.last.offset;
    await this.player.append(mimeOf(r.mp4), r.plaintext, offset);
    this.last = { idx, offset, end: v.end };
    return true;
  }

  /*
   * Play from wall-clock time ms: the segment holding it (or the next
   * recorded one) is fetched, verified and appended, the video seeks
   * there and plays. Resolves with the ms playback starts at, or null.
   */
  async playFrom(ms) {
    const gen = ++this.gen;
    let idx = this._indexAt(ms);
    if (idx < 0) {
      this._state('Nothing was recorded after this time.', 'info');
      return null;
    }
    if (!this.opened) {
      await this.player.open(86400 * 3);
      this.opened = true;
    }
    const t = Math.max(ms, this.segs[idx].start_ms);
    const mediaT = (t - this.baseMs) / 1000;
    if (!this.player.rangeAt(mediaT, 0)) {
      await this.player.clear();
      this.last = null;
      // Skip segments that fail verification, up to the next good one.
      for (;;) {
        if (gen !== this.gen) return null;
        this._state('Loading…', 'busy');
        if (await this._append(idx, gen)) break;
        idx++;
        if (idx >= this.segs.length) {
          this._state('No playable recording after this time.', 'error');
          return null;
        }
      }
      this.next = idx + 1;
    }
    if (gen !== this.gen) return null;
    const start = Math.max(t, this.segs[idx].start_ms);
    this.video.currentTime = (start - this.baseMs) / 1000;
    try {
      await this.video.play();
    } catch { /* autoplay refused: the user presses play */ }
    this._state('', 'info');
    this._pump(gen);
    return start;
  }

  pause() { this.video.pause(); }

  async _pump(gen) {
    if (this.busy || gen !== this.gen) return;
    this.busy = true;
    try {
      while (gen === this.gen && this.next < this.segs.length) {
        const cur = this.video.currentTime;
        const r = this.player.rangeAt(cur);
        const ahead = r ? r[1] - cur : 0;
        const nextStart = (this.segs[this.next].start_ms - this.baseMs) / 1000;
        if (ahead >= AHEAD_S && nextStart > cur) break;
        try {
          await this._append(this.next, gen);
        } catch (e) {
          if (e instanceof ApiError && e.code === 'offline') {
            this._state(e.message, 'error');
            await new Promise((res) => setTimeout(res, 2000));
            continue;
          }
          throw e;
        }
        if (gen === this.gen) this.next++;
      }
      await this.player.trim(this.video.currentTime);
    } catch (e) {
      this._state(e.message, 'error');
    } finally {
      this.busy = false;
    }
  }

  _tick() {
    if (!this.opened) return;
    const t = this.video.currentTime;
    if (this.hooks.onPosition) this.hooks.onPosition(this.baseMs + t * 1000);
    if (this.video.paused && !this.video.seeking) return;
    this._pump(this.gen);
    // A gap (nothing recorded, or a segment that failed): jump it.
    const r = this.player.rangeAt(t);
    if (!r || r[1] - t < GAP_JUMP_S) {
      const n = this.player.rangeAfter(r ? r[1] - 0.01 : t);
      if (n && (!r || n[0] - r[1] > 0.05)) this.video.currentTime = n[0] + 0.001;
    }
  }
}

// player — a <video> fed through Media Source Extensions. It knows nothing
// about where bytes come from: a feed (recorded footage here, a live
// session later) hands it verified fMP4 (init + fragments) and says where
// on the media timeline they go (timestampOffset). Every operation on the
// SourceBuffer is queued, one at a time, as MSE requires.

export class MsePlayer {
  constructor(video) {
    this.video = video;
    this.ms = null;
    this.sb = null;
    this.mime = null;
    this.url = null;
    this.queue = Promise.resolve();
    this.gen = 0;
  }

  // A fresh MediaSource on the video; resolves once it is open.
  open(durationS) {
    this.close();
    const ms = new MediaSource();
    this.ms = ms;
    this.url = URL.createObjectURL(ms);
    this.video.src = this.url;
    return new Promise((resolve, reject) => {
      ms.addEventListener('sourceopen', () => {
        if (durationS) ms.duration = durationS;
        resolve();
      }, { once: true });
      setTimeout(() => reject(new Error('the video player did not start')), 10000);
    });
  }

  close() {
    this.gen++;
    this.queue = Promise.resolve();
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = null;
    this.sb = null;
    this.mime = null;
    this.ms = null;
  }

  // Run fn (which starts one SourceBuffer operation) after the ones
  // queued before it; resolve when its updateend arrives.
  _op(fn) {
    const gen = this.gen;
    const p = this.queue.then(() => new Promise((resolve, reject) => {
      if (gen !== this.gen || !this.sb) { resolve(false); return; }
      const sb = this.sb;
      const done = () => { sb.removeEventListener('updateend', done); sb.removeEventListener('error', fail); resolve(true); };
      const fail = () => { sb.removeEventListener('updateend', done); sb.removeEventListener('error', fail); reject(new Error('the browser could not play this video')); };
      sb.addEventListener('updateend', done);
      sb.addEventListener('error', fail);
      try {
        if (!fn(sb)) done();
      } catch (e) {
        sb.removeEventListener('updateend', done);
        sb.removeEventListener('error', fail);
        reject(e);
      }
    }));
    this.queue = p.catch(() => {});
    return p;
  }

  supports(mime) {
    return window.MediaSource && MediaSource.isTypeSupported(mime);
  }

  // Make sure a SourceBuffer for this type exists (codec settings may
  // change between recording runs: changeType where the browser has it).
  _ensure(mime) {
    if (!this.ms || this.ms.readyState !== 'open') throw new Error('the video player is not open');
    if (!this.supports(mime)) {
      const codecs = (/codecs="([^"]*)"/.exec(mime) || [])[1] || mime;
      throw new Error(`This browser cannot play this camera's video (${codecs}); ` +
        "'sealcam clips get' on the command line exports it as an MP4 file.");
    }
    if (!this.sb) {
      this.sb = this.ms.addSourceBuffer(mime);
      this.sb.mode = 'segments';
      this.mime = mime;
    } else if (mime !== this.mime && this.sb.changeType) {
      this.sb.changeType(mime);
      this.mime = mime;
    }
  }

  /*
   * Append verified bytes (an init segment and/or fragments) of type mime,
   * placed at timestampOffset seconds (media time = decode time + offset).
   * Retries once after trimming if the browser's buffer is full.
   */
  async append(mime, bytes, timestampOffset) {
    await this.queue;
    this._ensure(mime);
    const run = () => this._op((sb) => {
      if (sb.timestampOffset !== timestampOffset) sb.timestampOffset = timestampOffset;
      sb.appendBuffer(bytes);
      return true;
    });
    try {
      return await run();
    } catch (e) {
      if (e && e.name === 'QuotaExceededError') {
        await this.trim(this.video.currentTime, 10);
        return run();
      }
      throw e;
    }
  }

  // Drop buffered media more than keepBehind seconds before t (memory).
  async trim(t, keepBehind = 30) {
    const end = t - keepBehind;
    if (!this.sb || end <= 0) return;
    const b = this.sb.buffered;
    if (b.length && b.start(0) < end) await this._op((sb) => { sb.remove(0, end); return true; });
  }

  // Forget everything buffered (a seek elsewhere).
  async clear() {
    if (!this.sb) return;
    await this._op((sb) => {
      if (this.ms.readyState === 'open') sb.abort();
      if (!sb.buffered.length) return false;
      sb.remove(0, Infinity);
      return true;
    });
  }

  // The buffered range [start, end] containing t (with slack), or null.
  rangeAt(t, slack = 0.1) {
    const b = this.sb ? this.sb.buffered : this.video.buffered;
    for (let i = 0; i < b.length; i++) if (t >= b.start(i) - slack && t < b.end(i)) return [b.start(i), b.end(i)];
    return null;
  }

  // The first buffered range starting after t, or null.
  rangeAfter(t) {
    const b = this.sb ? this.sb.buffered : this.video.buffered;
    for (let i = 0; i < b.length; i++) if (b.start(i) > t) return [b.start(i), b.end(i)];
    return null;
  }
}

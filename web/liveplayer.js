// liveplayer.js — live view in the browser: fetch the relay's stream,
// verify and decrypt it record by record as bytes arrive (live.js), append
// each fragment to a Media Source Extensions SourceBuffer, and stay near
// the live edge: when playback falls more than 1.5 s behind what has
// arrived, jump forward.
//
//   const live = playLive({ sodium, url, token, cameraPk, boxPk, boxSk,
//                           video, onStats });
//   ... live.stop();   await live.done  (resolves at END, rejects on error)
//
// onStats({ behindMs, bufferMs, fragments, jumps }) is called per fragment:
// behindMs = now - the capture time of the newest fragment's first frame
// (the camera's clock; how stale what arrives is), bufferMs = what is
// buffered ahead of the playhead. Glass to glass ≈ behindMs + bufferMs.

import { LiveReader, REC_INIT, REC_FRAG, REC_END } from './live.js';
import { boxes, mimeOf, moovTracks } from './mp4.js';

const LIVE_EDGE_MAX_S = 1.5;   // further behind than this: jump
const LIVE_EDGE_TARGET_S = 0.2; // ... to this far behind the newest data
const KEEP_BEHIND_S = 10;      // drop buffered video older than this

// The MSE type of the stream, from the init segment's tracks: H.264 (or
// H.265, where the browser plays it) video, and AAC audio when the camera
// has a microphone.
function mimeOfInit(init) {
  let tracks;
  try {
    const moov = boxes(init).find((x) => x.type === 'moov');
    tracks = moov ? moovTracks(init, moov) : [];
  } catch (e) {
    throw new Error('live: malformed init segment: ' + e.message);
  }
  const video = tracks.find((t) => t.kind === 'video' && /^(avc[13]|hev1|hvc1)\./.test(t.codec || ''));
  if (!video) throw new Error('live: init segment without an H.264 or H.265 track');
  const mime = mimeOf({ tracks });
  if (!MediaSource.isTypeSupported(mime))
    throw new Error(`live: this browser cannot play this camera's video (${video.codec}); ` +
      "'sealcam live' on the command line can.");
  return mime;
}

export function playLive(o) {
  const ctl = new AbortController();
  const stats = { behindMs: 0, bufferMs: 0, fragments: 0, jumps: 0 };
  const done = (async () => {
    const ms = new MediaSource();
    o.video.src = URL.createObjectURL(ms);
    await new Promise((res) => ms.addEventListener('sourceopen', res, { once: true }));
    const resp = await fetch(o.url, { headers: { Authorization: 'Bearer ' + o.token }, signal: ctl.signal });
    if (!resp.ok) {
      let msg = `HTTP ${resp.status}`;
      try { msg = (await resp.json()).error.message; } catch (e) { /* not JSON */ }
      throw new Error('live: ' + msg);
    }
    const reader = new LiveReader(o.sodium, { cameraPk: o.cameraPk, boxPk: o.boxPk, boxSk: o.boxSk });
    const queue = [];
    let sb = null, ended = false;
    const pump = () => {
      if (!sb || sb.updating) return;
      const v = o.video;
      // Keep memory bounded: drop what is well behind the playhead.
      if (v.buffered.length && v.currentTime - v.buffered.start(0) > 2 * KEEP_BEHIND_S) {
        sb.remove(0, v.currentTime - KEEP_BEHIND_S);
        return;
      }
      if (queue.length) sb.appendBuffer(queue.shift());
      else if (ended && ms.readyState === 'open') ms.endOfStream();
    };
    const edge = () => {
      const v = o.video, b = v.buffered;
      if (!b.length) return;
      const end = b.end(b.length - 1);
      if (v.currentTime < b.start(b.length - 1) || end - v.currentTime > LIVE_EDGE_MAX_S) {
        v.currentTime = Math.max(b.start(b.length - 1), end - LIVE_EDGE_TARGET_S);
        stats.jumps++;
      }
      stats.bufferMs = Math.max(0, (end - v.currentTime) * 1000);
      if (v.paused) v.play().catch(() => {});
    };
    const body = resp.body.getReader();
    for (;;) {
      const { value, done: eof } = await body.read();
      if (eof) break;
      for (const ev of reader.push(value)) {
        if (ev.type === REC_INIT) {
          sb = ms.addSourceBuffer(mimeOfInit(ev.pt));
          sb.mode = 'segments';
          sb.addEventListener('updateend', () => { edge(); pump(); });
          queue.push(ev.pt);
        } else if (ev.type === REC_FRAG) {
          queue.push(ev.pt);
          stats.fragments++;
          stats.behindMs = Date.now() - ev.timeMs;
          if (o.onStats) o.onStats({ ...stats });
        } else if (ev.type === REC_END) {
          ended = true;
        }
      }
      pump();
    }
    reader.finish();   // throws unless the stream ended with END
    ended = true;
    pump();
  })();
  return { done, stop: () => ctl.abort(), stats };
}

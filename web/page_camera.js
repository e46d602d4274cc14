// page_camera — one camera's day: the player, the timeline scrubber, the
// problems found while verifying, and downloading a range as one MP4.
import { bearer } from './api.js';
import { footageFor, loadCamera, mineFor } from './cams.js';
import { listObjects } from './footage.js';
import { joinSegments } from './mp4.js';
import { RecordedFeed } from './playback.js';
import { playLive } from './liveplayer.js';
import { MsePlayer } from './player.js';
import { route } from './router.js';
import { session } from './session.js';
import { sodium } from './sodium.js';
import { Timeline, fmtTime } from './timeline.js';
import { fmtAgo, fmtBytes, fmtDay, h, icon, mount, plural, startOfDay, toast } from './ui.js';

const DAY = 24 * 3600 * 1000;
const REFRESH_MS = 10000;
const DOWNLOAD_MAX_MS = 2 * 3600 * 1000;

export function cameraHeader(cam, trust, tab) {
  return h('div', { class: 'cam-head' },
    h('a', { class: 'back', href: '#/cameras', 'aria-label': 'All cameras' }, icon('back', 18), h('span', {}, 'Cameras')),
    h('div', { class: 'cam-title' }, h('h1', {}, cam.name),
      cam.online ? h('span', { class: 'pill online' }, h('span', { class: 'dot' }), 'Online')
        : h('span', { class: 'pill offline' }, h('span', { class: 'dot' }),
          cam.last_seen_ms ? `Offline · seen ${fmtAgo(cam.last_seen_ms)}` : 'Offline')),
    h('nav', { class: 'tabs' },
      h('a', { href: `#/camera/${trust.idHex}`, class: tab === 'rec' ? 'active' : '' }, 'Recordings'),
      h('a', { href: `#/camera/${trust.idHex}/household`, class: tab === 'household' ? 'active' : '' },
        icon('users', 16), 'Household')));
}

// "HH:MM:SS" of a time input on the given day -> ms.
function inputMs(day, value) {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(value || '');
  if (!m) return null;
  const d = new Date(day);
  d.setHours(Number(m[1]), Number(m[2]), Number(m[3] || 0), 0);
  return d.getTime();
}

function timeValue(ms) {
  return fmtTime(ms, true);
}

route('camera/([0-9a-f]{32})', async (idHex) => {
  const { cam, trust } = await loadCamera(idHex);
  const footage = footageFor(trust);
  const mine = await mineFor(trust);
  let alive = true;
  let day = startOfDay(Date.now());
  let segments = [], notMine = [], events = [];
  let refreshTimer = null;

  // --- layout ---------------------------------------------------------------
  const video = h('video', { id: 'video', playsinline: true, muted: true, preload: 'auto' });
  video.muted = true;
  const stateEl = h('div', { class: 'player-state', id: 'player-state', role: 'status', 'aria-live': 'polite' });
  const playBtn = h('button', { class: 'icon-btn', id: 'play', 'aria-label': 'Play' }, icon('play'));
  const liveBtn = h('button', { class: 'live-btn', id: 'live', disabled: !cam.online,
    title: cam.online ? 'Watch live' : 'The camera is offline' }, h('span', { class: 'dot' }), 'Live');
  const clock = h('span', { class: 'clock', id: 'clock' }, '--:--:--');
  const dayLabel = h('span', { class: 'day', id: 'day' }, fmtDay(day));
  const prevDay = h('button', { class: 'icon-btn', 'aria-label': 'Previous day' }, icon('left'));
  const nextDay = h('button', { class: 'icon-btn', 'aria-label': 'Next day' }, icon('right'));
  const zoomOut = h('button', { class: 'icon-btn', 'aria-label': 'Zoom out' }, icon('minus'));
  const zoomIn = h('button', { class: 'icon-btn', 'aria-label': 'Zoom in' }, icon('plus'));
  const fsBtn = h('button', { class: 'icon-btn fs', 'aria-label': 'Full screen' }, icon('expand'));
  const canvas = h('canvas', { class: 'timeline', id: 'timeline' });
  const legend = h('div', { class: 'legend small muted' },
    h('span', {}, h('i', { class: 'sw rec' }), 'Recorded'),
    h('span', {}, h('i', { class: 'sw ev' }), 'Event'),
    h('span', {}, h('i', { class: 'sw bad' }), 'Failed verification'),
    h('span', {}, h('i', { class: 'sw notmine' }), 'Not shared with you'));
  const problems = h('ul', { class: 'problems', id: 'problems' });
  const problemsBox = h('section', { class: 'panel warn', hidden: true, role: 'alert' },
    h('h2', {}, icon('warn', 18), 'Recordings that failed verification'),
    h('p', { class: 'small' }, 'These were not played: they do not carry a valid signature from this camera, ' +
      'or were altered after recording.'), problems);
  const dlFrom = h('input', { type: 'time', step: '1', id: 'dl-from', 'aria-label': 'From' });
  const dlTo = h('input', { type: 'time', step: '1', id: 'dl-to', 'aria-label': 'To' });
  const dlBtn = h('button', { class: 'primary', id: 'dl-go' }, icon('download', 18), 'Download MP4');
  const dlState = h('p', { class: 'small muted', id: 'dl-state', role: 'status' });
  const summary = h('p', { class: 'small muted', id: 'summary' });

  mount(h('section', { class: 'page camera-page' },
    cameraHeader(cam, trust, 'rec'),
    h('div', { class: 'player' }, video, stateEl),
    h('div', { class: 'controls' },
      h('div', { class: 'row' }, playBtn, clock, liveBtn, fsBtn),
      h('div', { class: 'row' }, prevDay, dayLabel, nextDay),
      h('div', { class: 'row' }, zoomOut, zoomIn)),
    canvas, legend, summary,
    problemsBox,
    h('section', { class: 'panel' },
      h('h2', {}, icon('download', 18), 'Download a clip'),
      h('p', { class: 'small muted' }, 'Verified and decrypted here, saved as one MP4. Only what you are allowed ' +
        'to see is included.'),
      h('div', { class: 'row wrap' }, h('label', {}, 'From ', dlFrom), h('label', {}, 'to ', dlTo), dlBtn),
      dlState)));

  // --- player and timeline ----------------------------------------------------
  const player = new MsePlayer(video);
  let feed = null;
  const setState = (text, kind) => {
    stateEl.textContent = text;
    stateEl.className = `player-state ${kind || ''}`;
    stateEl.hidden = !text;
  };
  const timeline = new Timeline(canvas, { onSeek: (ms) => playAt(ms) });
  const problemSeqs = new Set();
  const onFail = (seq, err) => {
    timeline.markFailed(seq, err);
    if (problemSeqs.has(seq)) return;
    problemSeqs.add(seq);
    const o = segments.find((s) => s.seq === seq);
    problems.append(h('li', { dataset: { seq: String(seq) } },
      h('strong', {}, o ? fmtTime(o.start_ms, true) : `#${seq}`), ` — ${err.message}`));
    problemsBox.hidden = false;
  };
  footage.onFailure(onFail);
  for (const [seq, err] of footage.failed) onFail(seq, err);

  function newFeed() {
    if (feed) feed.destroy();
    feed = new RecordedFeed(footage, player, day, {
      onState: setState,
      onPosition: (ms) => {
        timeline.setPlayhead(ms);
        clock.textContent = fmtTime(ms, true);
      },
      onSegmentError: onFail,
    });
    feed.setSegments(segments, null);
  }

  async function playAt(ms) {
    if (live) stopLive();
    if (!feed) newFeed();
    if (!segments.length) {
      setState('Nothing recorded on this day.', 'info');
      return;
    }
    timeline.setPlayhead(ms);
    try {
      const at = await feed.playFrom(ms);
      if (at !== null) {
        dlFrom.value = timeValue(at);
        dlTo.value = timeValue(Math.min(at + 60000, day + DAY - 1000));
      }
    } catch (e) {
      setState(e.message, 'error');
    }
  }

  async function loadDay(keepPosition) {
    let objs, evs;
    try {
      [objs, evs] = await Promise.all([
        listObjects(idHex, 'segment', day, day + DAY),
        listObjects(idHex, 'event', day, day + DAY).catch(() => []),
      ]);
    } catch (e) {
      toast(e.message, 'error');
      return;
    }
    if (!alive) return;
    segments = objs.filter((o) => mine.has(o.epoch));
    notMine = objs.filter((o) => !mine.has(o.epoch));
    events = evs;
    timeline.setData({ segments, events, notMine });
    for (const seq of footage.failed.keys()) timeline.markFailed(seq, footage.failed.get(seq));
    if (!keepPosition) newFeed();
    else if (feed) feed.setSegments(segments, null);
    const total = segments.reduce((a, s) => a + s.duration_ms, 0);
    summary.textContent = segments.length
      ? `${plural(segments.length, 'recording')}, ${total < 60000 ? `${Math.round(total / 1000)} s` : `${Math.round(total / 60000)} min`} ` +
        `on ${fmtDay(day).toLowerCase()}` +
        (notMine.length ? ` · ${notMine.length} not shared with you` : '') +
        (events.length ? ` · ${plural(events.length, 'event')}` : '')
      : `Nothing recorded on ${fmtDay(day).toLowerCase()}.`;
    if (!keepPosition) {
      if (objs.length) timeline.fit(objs[0].start_ms, Math.max(...objs.map((o) => o.start_ms + o.duration_ms)));
      if (segments.length) {
        const last = segments[segments.length - 1];
        setState('Click the timeline to play from that moment, or press play.', 'info');
        dlFrom.value = timeValue(Math.max(segments[0].start_ms, last.start_ms + last.duration_ms - 5 * 60000));
        dlTo.value = timeValue(Math.min(last.start_ms + last.duration_ms, day + DAY - 1000));
        footage.thumbnail(last.seq).then((t) => { if (alive && !video.poster) video.poster = t.url; }).catch(() => {});
      } else {
        setState('Nothing recorded on this day.', 'info');
      }
    }
  }

  // --- live view (liveplayer.js + live.js: every record verified here) --------
  let live = null;
  function stopLive() {
    if (live) live.stop();
    live = null;
    liveBtn.classList.remove('on');
    liveBtn.setAttribute('aria-pressed', 'false');
  }
  function startLive() {
    if (feed) { feed.destroy(); feed = null; }
    if (video.poster) { URL.revokeObjectURL(video.poster); video.removeAttribute('poster'); }
    setState('Connecting to the camera…', 'busy');
    liveBtn.classList.add('on');
    liveBtn.setAttribute('aria-pressed', 'true');
    const mine = playLive({ sodium, url: `/v1/cameras/${idHex}/live`, token: bearer(),
      cameraPk: trust.cameraPk, boxPk: session.vault.boxPk, boxSk: session.vault.boxSk, video,
      onStats: (st) => {
        if (live !== mine) return;
        setState('', '');
        const now = Date.now();
        timeline.setPlayhead(now);
        clock.textContent = fmtTime(now, true);
        liveBtn.title = `Live · ${(st.behindMs / 1000).toFixed(1)} s behind the camera`;
      } });
    live = mine;
    mine.done.then(() => {
      if (live === mine) { stopLive(); setState('The live view ended.', 'info'); }
    }).catch((e) => {
      if (live !== mine) return;   // stopped by the user
      stopLive();
      setState(`Live view: ${String(e.message || e).replace(/^live: /, '')}`, 'error');
    });
  }
  liveBtn.addEventListener('click', () => {
    if (live) {
      stopLive();
      video.pause();
      setState('Live view stopped. Click the timeline to watch recordings.', 'info');
    } else {
      startLive();
    }
  });

  function setDay(d) {
    if (live) stopLive();
    day = d;
    dayLabel.textContent = fmtDay(day);
    nextDay.disabled = day >= startOfDay(Date.now());
    timeline.setDay(day);
    if (video.poster) { URL.revokeObjectURL(video.poster); video.removeAttribute('poster'); }
    loadDay(false);
  }

  const refresh = async () => {
    if (!alive) return;
    if (day === startOfDay(Date.now()) || day + DAY > Date.now()) await loadDay(true);
    refreshTimer = setTimeout(refresh, REFRESH_MS);
  };

  // --- controls --------------------------------------------------------------------
  playBtn.addEventListener('click', () => {
    if (!video.paused) { video.pause(); return; }
    if (live) { video.play().catch(() => {}); return; }
    if (!feed || !feed.opened) {
      const last = segments[segments.length - 1];
      if (last) playAt(last.start_ms);
      return;
    }
    video.play().catch(() => {});
  });
  const syncPlay = () => {
    playBtn.replaceChildren(icon(video.paused ? 'play' : 'pause'));
    playBtn.setAttribute('aria-label', video.paused ? 'Play' : 'Pause');
  };
  video.addEventListener('play', syncPlay);
  video.addEventListener('pause', syncPlay);
  video.addEventListener('playing', () => setState('', ''));
  prevDay.addEventListener('click', () => setDay(startOfDay(day - DAY / 2)));
  nextDay.addEventListener('click', () => setDay(startOfDay(day + DAY + DAY / 2)));
  zoomIn.addEventListener('click', () => timeline.zoom(0.4));
  zoomOut.addEventListener('click', () => timeline.zoom(2.5));
  fsBtn.addEventListener('click', () => {
    const el = video.parentElement;
    if (document.fullscreenElement) document.exitFullscreen();
    else if (el.requestFullscreen) el.requestFullscreen().catch(() => {});
  });

  // --- download ---------------------------------------------------------------------
  dlBtn.addEventListener('click', async () => {
    const from = inputMs(day, dlFrom.value), to = inputMs(day, dlTo.value);
    if (from === null || to === null || to <= from) {
      dlState.textContent = 'Choose a start and an end time (the end after the start).';
      return;
    }
    if (to - from > DOWNLOAD_MAX_MS) {
      dlState.textContent = 'Choose at most two hours at a time.';
      return;
    }
    const pick = segments.filter((s) => s.start_ms < to && s.start_ms + s.duration_ms > from);
    if (!pick.length) {
      dlState.textContent = 'Nothing shared with you was recorded in that range.';
      return;
    }
    dlBtn.disabled = true;
    const parsed = [];
    let bytes = 0;
    try {
      for (const [i, o] of pick.entries()) {
        dlState.textContent = `Verifying and decrypting ${i + 1} of ${pick.length}…`;
        let r;
        try {
          r = await footage.segment(o.seq);
        } catch (e) {
          if (e.name !== 'SealError' && e.name !== 'Mp4Error') throw e;
          throw new Error(`The recording at ${fmtTime(o.start_ms, true)} failed verification: ${e.message}; ` +
            'nothing was saved. Choose a range without it.');
        }
        parsed.push(r.mp4);
        bytes += r.plaintext.length;
      }
      const parts = joinSegments(parsed);
      const blob = new Blob(parts, { type: 'video/mp4' });
      const url = URL.createObjectURL(blob);
      const d = new Date(from);
      const pad = (n) => String(n).padStart(2, '0');
      const name = `${cam.name.replace(/[^\w.-]+/g, '-')}-${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-` +
        `${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}.mp4`;
      const a = h('a', { href: url, download: name, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      dlState.textContent = `Saved ${name}: ${plural(pick.length, 'recording')} verified, ${fmtBytes(bytes)}.`;
    } catch (e) {
      dlState.textContent = e.message;
    } finally {
      dlBtn.disabled = false;
    }
  });

  setDay(day);
  refreshTimer = setTimeout(refresh, REFRESH_MS);
  return {
    destroy() {
      alive = false;
      clearTimeout(refreshTimer);
      footage.listeners.delete(onFail);
      stopLive();
      if (feed) feed.destroy();
      timeline.destroy();
      if (video.poster) URL.revokeObjectURL(video.poster);
    },
  };
});

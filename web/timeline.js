// timeline — the day scrubber: what was recorded (and what failed
// verification, or was not sealed to this account), events, the playhead.
// Zoom from the whole day down to a few minutes (buttons, wheel, keys),
// drag to pan, click or tap to play from that moment.

const MIN_SPAN = 2 * 60 * 1000;
const DAY = 24 * 3600 * 1000;
const MERGE_MS = 1500;

function css(name, fallback) {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

export function fmtTime(ms, withSeconds = false) {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit',
    second: withSeconds ? '2-digit' : undefined, hour12: false });
}

// Contiguous runs of objects: [{ start, end, objs }].
export function mergeRanges(objs) {
  const out = [];
  for (const o of [...objs].sort((a, b) => a.start_ms - b.start_ms)) {
    const end = o.start_ms + o.duration_ms;
    const last = out[out.length - 1];
    if (last && o.start_ms <= last.end + MERGE_MS) {
      last.end = Math.max(last.end, end);
      last.objs.push(o);
    } else {
      out.push({ start: o.start_ms, end, objs: [o] });
    }
  }
  return out;
}

export class Timeline {
  constructor(canvas, { onSeek } = {}) {
    this.canvas = canvas;
    this.onSeek = onSeek;
    this.day = 0;
    this.view = [0, DAY];
    this.segments = [];
    this.ranges = [];
    this.events = [];
    this.failed = new Map();
    this.notMine = [];
    this.playhead = null;
    this.drag = null;
    canvas.tabIndex = 0;
    canvas.setAttribute('role', 'slider');
    canvas.setAttribute('aria-label', 'Recordings of the day: click to play from that moment');
    canvas.addEventListener('pointerdown', (e) => this._down(e));
    canvas.addEventListener('pointermove', (e) => this._move(e));
    canvas.addEventListener('pointerup', (e) => this._up(e));
    canvas.addEventListener('pointercancel', () => { this.drag = null; });
    canvas.addEventListener('wheel', (e) => {
      e.preventDefault();
      this.zoom(e.deltaY < 0 ? 0.7 : 1 / 0.7, this._msAt(e.offsetX));
    }, { passive: false });
    canvas.addEventListener('keydown', (e) => this._key(e));
    this.ro = new ResizeObserver(() => this.draw());
    this.ro.observe(canvas);
    this.mq = window.matchMedia('(prefers-color-scheme: dark)');
    this.mq.addEventListener('change', () => this.draw());
  }

  destroy() { this.ro.disconnect(); }

  setDay(dayStartMs) {
    this.day = dayStartMs;
    this.view = [dayStartMs, dayStartMs + DAY];
    this.draw();
  }

  // Show [a, b] with some room around it (at least MIN_SPAN).
  fit(a, b) {
    const span = Math.min(DAY, Math.max(MIN_SPAN, (b - a) * 1.25));
    const mid = (a + b) / 2;
    this._setView(mid - span / 2, mid + span / 2);
  }

  setData({ segments = [], events = [], notMine = [] }) {
    this.segments = segments;
    this.ranges = mergeRanges(segments);
    this.events = events;
    this.notMine = mergeRanges(notMine);
    this.draw();
  }

  markFailed(seq, err) {
    const o = this.segments.find((s) => s.seq === seq);
    if (o) this.failed.set(seq, { o, err });
    this.draw();
  }

  setPlayhead(ms) {
    this.playhead = ms;
    // Follow the playhead when it leaves a zoomed view.
    const [a, b] = this.view;
    if (ms !== null && b - a < DAY && (ms < a || ms > b)) {
      const span = b - a;
      this._setView(ms - span * 0.25, ms + span * 0.75);
    } else {
      this.draw();
    }
  }

  zoom(factor, centerMs) {
    const [a, b] = this.view;
    const c = centerMs ?? (this.playhead ?? (a + b) / 2);
    let span = Math.min(DAY, Math.max(MIN_SPAN, (b - a) * factor));
    const frac = (c - a) / (b - a);
    this._setView(c - span * frac, c - span * frac + span);
  }

  _setView(a, b) {
    const span = b - a;
    a = Math.max(this.day, Math.min(a, this.day + DAY - span));
    this.view = [a, a + span];
    this.draw();
  }

  _msAt(x) {
    const w = this.canvas.clientWidth || 1;
    const [a, b] = this.view;
    return a + (x / w) * (b - a);
  }

  _down(e) {
    this.canvas.setPointerCapture(e.pointerId);
    this.drag = { x: e.offsetX, view: [...this.view], moved: false };
  }

  _move(e) {
    if (!this.drag) return;
    const dx = e.offsetX - this.drag.x;
    if (Math.abs(dx) > 4) this.drag.moved = true;
    if (!this.drag.moved) return;
    const [a, b] = this.drag.view;
    const dms = (dx / (this.canvas.clientWidth || 1)) * (b - a);
    this._setView(a - dms, b - dms);
  }

  _up(e) {
    const d = this.drag;
    this.drag = null;
    if (d && !d.moved && this.onSeek) this.onSeek(this._msAt(e.offsetX));
  }

  _key(e) {
    const step = e.shiftKey ? 60000 : 10000;
    const cur = this.playhead ?? this.view[0];
    if (e.key === 'ArrowLeft' && this.onSeek) this.onSeek(cur - step);
    else if (e.key === 'ArrowRight' && this.onSeek) this.onSeek(cur + step);
    else if (e.key === '+' || e.key === '=') this.zoom(0.5);
    else if (e.key === '-') this.zoom(2);
    else return;
    e.preventDefault();
  }

  // x of wall-clock ms in CSS pixels (for tests and overlays).
  xOf(ms) {
    const [a, b] = this.view;
    return ((ms - a) / (b - a)) * this.canvas.clientWidth;
  }

  draw() {
    const c = this.canvas;
    const w = c.clientWidth, h = c.clientHeight;
    if (!w || !h) return;
    const dpr = window.devicePixelRatio || 1;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
      c.width = Math.round(w * dpr);
      c.height = Math.round(h * dpr);
    }
    const g = c.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    const [a, b] = this.view;
    const X = (ms) => ((ms - a) / (b - a)) * w;
    const axisY = h - 18, barY = 22, barH = axisY - barY - 6;
    c.dataset.viewStart = String(a);
    c.dataset.viewEnd = String(b);

    // Background track.
    g.fillStyle = css('--track', '#e8eeec');
    g.fillRect(0, barY, w, barH);

    // Ticks: the largest step that leaves >= 60 px between labels.
    const steps = [5e3, 10e3, 15e3, 30e3, 60e3, 2 * 60e3, 5 * 60e3, 10 * 60e3, 15 * 60e3, 30 * 60e3, 3600e3,
      2 * 3600e3, 3 * 3600e3, 6 * 3600e3];
    const secs = (s) => s < 60e3;
    const step = steps.find((s) => (s / (b - a)) * w >= (secs(s) ? 80 : 64)) || 6 * 3600e3;
    g.fillStyle = css('--muted', '#5b6b66');
    g.strokeStyle = css('--grid', '#cfd8d5');
    g.font = '12px system-ui, sans-serif';
    g.textAlign = 'center';
    g.textBaseline = 'top';
    const tz = new Date(a).getTimezoneOffset() * 60000;
    for (let t = Math.ceil((a - tz) / step) * step + tz; t <= b; t += step) {
      const x = Math.round(X(t)) + 0.5;
      g.beginPath();
      g.moveTo(x, barY);
      g.lineTo(x, axisY + 3);
      g.stroke();
      const label = fmtTime(t, secs(step));
      const tw = g.measureText(label).width / 2;
      if (x - tw > 0 && x + tw < w) g.fillText(label, x, axisY + 4);
    }

    // Recorded, not sealed to this account, failed.
    const bar = (ra, color, y = barY, hh = barH) => {
      const x0 = X(ra.start), x1 = X(ra.end);
      if (x1 < 0 || x0 > w) return;
      g.fillStyle = color;
      g.fillRect(Math.max(0, x0), y, Math.max(2, Math.min(w, x1) - Math.max(0, x0)), hh);
    };
    for (const r of this.ranges) bar(r, css('--rec', '#2e8b72'));
    // Zoomed in far enough: where one recording ends and the next begins.
    if (this.segments.length && (4000 / (b - a)) * w > 12) {
      g.fillStyle = css('--card', '#ffffff');
      for (const o of this.segments) {
        const x = X(o.start_ms);
        if (x > 0 && x < w) g.fillRect(Math.round(x), barY, 1, barH);
      }
    }
    for (const r of this.notMine) bar(r, css('--notmine', '#b8c4c0'));
    for (const { o } of this.failed.values())
      bar({ start: o.start_ms, end: o.start_ms + o.duration_ms }, css('--bad', '#d64545'));

    // Events: a marker above the bar.
    g.fillStyle = css('--event', '#e08a1e');
    for (const ev of this.events) {
      const x = X(ev.start_ms);
      if (x < -6 || x > w + 6) continue;
      g.beginPath();
      g.moveTo(x - 5, barY - 12);
      g.lineTo(x + 5, barY - 12);
      g.lineTo(x, barY - 3);
      g.closePath();
      g.fill();
    }

    // Now (today) and the playhead.
    const now = Date.now();
    if (now > a && now < b) {
      g.fillStyle = css('--muted', '#5b6b66');
      g.fillRect(Math.round(X(now)), barY - 4, 1, barH + 8);
    }
    if (this.playhead !== null && this.playhead >= a && this.playhead <= b) {
      const x = Math.round(X(this.playhead));
      g.fillStyle = css('--playhead', '#11211c');
      g.fillRect(x - 1, 2, 2, axisY - 2);
      const label = fmtTime(this.playhead, true);
      g.font = 'bold 12px system-ui, sans-serif';
      const tw = g.measureText(label).width + 10;
      const lx = Math.min(Math.max(0, x - tw / 2), w - tw);
      g.fillRect(lx, 2, tw, 16);
      g.fillStyle = css('--playhead-text', '#ffffff');
      g.textBaseline = 'middle';
      g.fillText(label, lx + tw / 2, 10.5);
      this.canvas.setAttribute('aria-valuetext', label);
    }
  }
}

// page_cameras — every camera of the account: its latest thumbnail
// (verified and decrypted here), online or offline, latest recording.
import { footageFor, loadCameras } from './cams.js';
import { route } from './router.js';
import { fmtAgo, h, icon, mount, toast } from './ui.js';
import { fmtTime } from './timeline.js';

const REFRESH_MS = 15000;

function statusPill(cam) {
  return cam.online ? h('span', { class: 'pill online' }, h('span', { class: 'dot' }), 'Online')
    : h('span', { class: 'pill offline' }, h('span', { class: 'dot' }),
      cam.last_seen_ms ? `Offline · seen ${fmtAgo(cam.last_seen_ms)}` : 'Offline · never seen');
}

function when(ms) {
  const d = new Date(ms), today = new Date();
  const day = d.toDateString() === today.toDateString() ? 'today'
    : d.toLocaleDateString([], { day: 'numeric', month: 'short' });
  return `${day} ${fmtTime(ms)}`;
}

function card({ cam, trust, error }, thumbs) {
  const img = h('div', { class: 'thumb' });
  const note = h('p', { class: 'muted small' });
  const seq = cam.latest && cam.latest.thumbnail_seq;
  const prev = thumbs.get(cam.camera_id);
  const show = (t) => {
    img.replaceChildren(h('img', { src: t.url, alt: `Latest picture from ${cam.name}` }));
    note.textContent = `Latest picture ${when(t.startMs)}`;
  };
  if (error) {
    img.append(h('div', { class: 'thumb-msg bad' }, icon('warn', 28), h('span', {}, 'Keys do not check out')));
    note.className = 'form-error small';
    // Errors read as sentences here (their text also goes into longer messages).
    note.textContent = error.message.charAt(0).toUpperCase() + error.message.slice(1) + '.';
  } else if (seq === null || seq === undefined) {
    img.append(h('div', { class: 'thumb-msg' }, icon('camera', 28), h('span', {}, 'No recording yet')));
    note.textContent = 'Waiting for the first recording';
  } else if (prev && prev.seq === seq) {
    show(prev);
  } else {
    img.append(h('div', { class: 'thumb-msg' }, h('span', { class: 'spinner' })));
    footageFor(trust).thumbnail(seq).then((t) => {
      const old = thumbs.get(cam.camera_id);
      if (old && old.url) URL.revokeObjectURL(old.url);
      thumbs.set(cam.camera_id, { seq, ...t });
      show(t);
    }).catch((e) => {
      img.replaceChildren(h('div', { class: 'thumb-msg bad' }, icon('warn', 28),
        h('span', {}, e.name === 'SealError' ? 'Picture refused' : 'Picture unavailable')));
      note.className = 'form-error small';
      note.textContent = e.message;
    });
  }
  const body = h('div', { class: 'card-body' },
    h('div', { class: 'card-title' }, h('h2', {}, cam.name), statusPill(cam)),
    note,
    cam.role !== 'owner' ? h('p', { class: 'small' }, h('span', { class: 'badge' }, icon('users', 14), 'Shared with you'))
      : null);
  return error ? h('article', { class: 'cam-card disabled' }, img, body)
    : h('a', { class: 'cam-card', href: `#/camera/${cam.camera_id}`, dataset: { camera: cam.camera_id } }, img, body);
}

route('cameras', async () => {
  const thumbs = new Map();
  const grid = h('div', { class: 'cam-grid', id: 'cameras' });
  const page = h('section', { class: 'page' },
    h('div', { class: 'page-head' }, h('h1', {}, 'Cameras'),
      h('p', { class: 'muted' }, 'Everything below is decrypted in this browser. The server only ever sees ciphertext.')),
    grid);
  mount(page);
  grid.append(h('p', { class: 'muted' }, h('span', { class: 'spinner' }), 'Loading cameras…'));
  let timer = null, alive = true;
  const refresh = async () => {
    try {
      const cams = await loadCameras();
      if (!alive) return;
      if (!cams.length) {
        grid.replaceChildren(h('div', { class: 'empty' }, icon('camera', 40), h('h2', {}, 'No cameras yet'),
          h('p', {}, 'Pair a camera from your computer: ', h('code', {}, 'sealcam camera add --name "Front door"'),
            ', then run the pairing string on the camera with ', h('code', {}, 'sealcam-agent pair'), '.')));
      } else {
        grid.replaceChildren(...cams.map((c) => card(c, thumbs)));
      }
    } catch (e) {
      if (alive) toast(e.message, 'error');
    }
    if (alive) timer = setTimeout(refresh, REFRESH_MS);
  };
  await refresh();
  return {
    destroy() {
      alive = false;
      clearTimeout(timer);
      for (const t of thumbs.values()) if (t.url) URL.revokeObjectURL(t.url);
    },
  };
});

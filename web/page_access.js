// page_access — "Access & consent": the grants this owner made to support
// and research staff, every access made under them, each checked against
// the owner's transparency log here in the browser, a live notice when an
// access happens, and revocation (signed here with the owner key).
//
// Checks, as `sealcam access` makes them (src/cli/cmd_access.c):
//   - the log key pinned in this browser signs the checkpoint; every entry
//     of the owner's chain is included in it; the chain has no gap;
//   - each grant's document is signed by this account's key;
//   - each access record the server lists is committed to by a staff_access
//     entry of the chain, under one of these grants, to its grantee;
//   - a staff_access entry without a record is reported (hidden access);
//   - staff names come from the staff directory's logged chain.
import { bearer, get, post } from './api.js';
import { b64, equal, hex, unb64 } from './codec.js';
import { accessCommitment, accessParse, grantVerify, MODE_NAME, revocationSign, revocationVerify,
  ROLE_NAME, staffCommitment, staffRecordParse } from './grant.js';
import { route } from './router.js';
import { session } from './session.js';
import { LogError, pinnedKey, verifiedChain } from './tlog.js';
import { errorBox, h, icon, mount, toast } from './ui.js';

const T_STAFF_ADDED = 3, T_STAFF_REMOVED = 4, T_STAFF_ACCESS = 7;

const fmt = (ms) => new Date(ms).toLocaleString([], { dateStyle: 'medium', timeStyle: 'medium' });
const dur = (ms) => (ms < 60000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`);

// The verified staff directory: principal id hex -> { name, role, active }.
async function directory(key) {
  const chain = await verifiedChain('/v1/staff', key);
  const out = new Map();
  for (const p of chain.json.principals) {
    let r;
    try { r = staffRecordParse(unb64(p.record)); } catch { continue; }
    const last = chain.entries.filter((x) => equal(x.e.subject, r.principalId)).pop();
    if (!last || !equal(last.e.commitment, staffCommitment(unb64(p.record))) ||
        last.e.type !== (r.action === 1 ? T_STAFF_ADDED : T_STAFF_REMOVED))
      continue;
    out.set(hex(r.principalId), { name: r.name, role: ROLE_NAME[r.role], active: r.action === 1 });
  }
  return out;
}

// Everything the page shows, verified. Throws LogError / ApiError.
async function load() {
  const { key, firstUse } = await pinnedKey();
  const chain = await verifiedChain('/v1/me/log', key);
  const staff = await directory(key);
  const cams = new Map((await get('/v1/cameras')).cameras.map((c) => [c.camera_id, c.name]));
  const grants = [];
  for (const j of (await get('/v1/grants')).grants) {
    let g;
    try {
      g = grantVerify(unb64(j.grant), session.vault.signPk);
    } catch (e) {
      grants.push({ bad: e.message, idHex: j.grant_id });
      continue;
    }
    g.revoked = null;
    if (j.revocation) {
      try { g.revoked = revocationVerify(unb64(j.revocation), session.vault.signPk); } catch { g.revoked = null; }
    }
    g.accesses = j.accesses;
    grants.push(g);
  }
  const accesses = [];
  const used = new Set();
  let after = -1;
  for (;;) {
    const page = await get(`/v1/me/accesses?after_seq=${after}`);
    for (const x of page.accesses) {
      const rec = unb64(x.record);
      let a;
      try { a = accessParse(rec); } catch { accesses.push({ seq: x.seq, problem: 'a malformed access record' }); continue; }
      const c = accessCommitment(rec);
      const hit = chain.entries.find((y) => y.e.type === T_STAFF_ACCESS && equal(y.e.subject, a.grantId) &&
        equal(y.e.actor, a.principalId) && equal(y.e.commitment, c));
      const g = grants.find((q) => !q.bad && equal(q.grantId, a.grantId));
      if (hit) used.add(hit.index);
      a.seq = x.seq;
      a.grant = g;
      a.logIndex = hit ? hit.index : null;
      a.problem = !hit ? 'it is not in your transparency log' :
        !g || !equal(g.granteeId, a.principalId) || !equal(g.cameraId, a.cameraId) ?
          'it is not under one of your grants to that staff member' : null;
      accesses.push(a);
    }
    if (page.next_after_seq === null) break;
    after = page.next_after_seq;
  }
  const hidden = chain.entries.filter((y) => y.e.type === T_STAFF_ACCESS && !used.has(y.index));
  return { key, firstUse, chain, staff, cams, grants, accesses, hidden };
}

function who(staff, idBytes) {
  const id = hex(idBytes);
  const s = staff.get(id);
  return s ? `${s.name} (${s.role})` : `staff principal ${id.slice(0, 8)}`;
}

function grantRow(v, g, err, refresh) {
  if (g.bad)
    return h('tr', { class: 'bad', dataset: { grant: g.idHex } }, h('td', { colspan: 8 },
      `Grant ${g.idHex.slice(0, 8)} is NOT shown: ${g.bad}.`));
  const expired = g.expiresMs <= Date.now();
  const state = g.revoked ? 'revoked' : expired ? 'expired' : 'active';
  let btn = null;
  if (state === 'active') {
    btn = h('button', { class: 'small danger', dataset: { revoke: g.idHex } }, 'Revoke');
    btn.addEventListener('click', async () => {
      if (!btn.dataset.armed) {
        btn.dataset.armed = '1';
        btn.textContent = 'Revoke — they keep what they already fetched';
        return;
      }
      btn.disabled = true;
      try {
        const rev = revocationSign(g.grantId, session.vault.signSk, Date.now());
        await post(`/v1/grants/${g.idHex}/revoke`, { revocation: b64(rev) });
        toast('Grant revoked. Footage fetched under it before cannot be un-seen.', 'info', 8000);
        refresh();
      } catch (e) {
        btn.disabled = false;
        err.show(e.message);
      }
    });
  }
  return h('tr', { dataset: { grant: g.idHex, state } },
    h('td', {}, who(v.staff, g.granteeId)),
    h('td', {}, v.cams.get(hex(g.cameraId)) || hex(g.cameraId).slice(0, 8)),
    h('td', {}, `${fmt(g.fromMs)} + ${dur(g.untilMs - g.fromMs)}`),
    h('td', {}, MODE_NAME[g.mode]),
    h('td', {}, g.purpose),
    h('td', {}, fmt(g.expiresMs)),
    h('td', { class: 'state' }, state, ' · ', `${g.accesses} access${g.accesses === 1 ? '' : 'es'}`),
    h('td', {}, btn));
}

function accessRow(v, a) {
  const what = a.objects && a.objects[0] && a.objects[0].kind === 5 ? 'anonymized clip' :
    `${a.objects ? a.objects.length : 0} segment${a.objects && a.objects.length === 1 ? '' : 's'}`;
  return h('tr', { class: a.problem ? 'bad' : 'verified', dataset: { seq: String(a.seq) } },
    h('td', {}, a.timeMs ? fmt(a.timeMs) : '?'),
    h('td', {}, a.principalId ? who(v.staff, a.principalId) : '?'),
    h('td', {}, a.cameraId ? (v.cams.get(hex(a.cameraId)) || hex(a.cameraId).slice(0, 8)) : '?'),
    h('td', {}, a.grant ? `${what}, ${fmt(a.grant.fromMs)} + ${dur(a.grant.untilMs - a.grant.fromMs)}` : what),
    h('td', {}, a.grantId ? hex(a.grantId).slice(0, 8) : '?'),
    h('td', { class: 'check' }, a.problem ? h('span', { class: 'bad' }, icon('warn', 16), ` NOT verified: ${a.problem}`)
      : h('span', { class: 'ok' }, icon('shield', 16), ` verified (log entry ${a.logIndex})`)));
}

/*
 * The owner's event stream (GET /v1/me/events, server-sent events) read
 * with fetch, which can send the session token (EventSource cannot). Each
 * "access" event calls onAccess; the stream is reopened when it ends (after
 * a second if it lasted less than that, 2 s after an error).
 */
function watch(afterSeq, onAccess) {
  const ctl = new AbortController();
  let last = afterSeq;
  (async () => {
    while (!ctl.signal.aborted) {
      const opened = Date.now();
      try {
        const r = await fetch(`/v1/me/events?after_seq=${last}&wait=60`, {
          headers: { Authorization: `Bearer ${bearer()}` }, signal: ctl.signal, cache: 'no-store',
          credentials: 'omit' });
        if (!r.ok) throw new Error(String(r.status));
        const rd = r.body.getReader();
        const dec = new TextDecoder();
        let buf = '', ev = {};
        for (;;) {
          const { value, done } = await rd.read();
          if (done) break;
          buf += dec.decode(value, { stream: true });
          let i;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 1);
            if (line === '') {
              if (ev.event === 'access' && ev.id !== undefined) {
                last = Math.max(last, Number(ev.id));
                onAccess(ev);
              }
              ev = {};
            } else if (line.startsWith('event: ')) ev.event = line.slice(7);
            else if (line.startsWith('id: ')) ev.id = line.slice(4);
          }
        }
        // A stream the server ends at once (it is stopping) is not
        // reopened in a tight loop.
        if (Date.now() - opened < 1000) await new Promise((res) => setTimeout(res, 1000));
      } catch (e) {
        if (ctl.signal.aborted) return;
        await new Promise((res) => setTimeout(res, 2000));
      }
    }
  })();
  return () => ctl.abort();
}

route('access', async () => {
  const err = errorBox();
  const root = h('section', { class: 'page access' });
  let stop = null, shown = new Set(), timer = null;

  async function render(fresh) {
    let v;
    try {
      v = await load();
    } catch (e) {
      mount(h('section', { class: 'page access' }, h('h1', {}, 'Access & consent'),
        h('section', { class: 'panel warn', id: 'log-problem' }, h('h2', {}, icon('warn'), ' The log does not verify'),
          h('p', {}, e instanceof LogError ? e.message : e.message),
          h('p', { class: 'small' }, 'Nothing on this page can be trusted until it does.'))));
      return null;
    }
    const problems = v.accesses.filter((a) => a.problem).length + v.hidden.length;
    const banner = h('div', { id: 'new-access', class: 'panel confirm', hidden: true });
    if (fresh && fresh.length) {
      banner.hidden = false;
      banner.replaceChildren(h('strong', {}, 'New access: '),
        fresh.map((a) => `${who(v.staff, a.principalId)} fetched ${v.cams.get(hex(a.cameraId)) || 'a camera'}'s ` +
          `footage at ${fmt(a.timeMs)}${a.problem ? ' — NOT verified' : ' — verified in your log'}.`).join(' '));
    }
    root.replaceChildren(
      h('div', { class: 'page-head' }, h('h1', {}, 'Access & consent'),
        h('p', { class: 'muted' }, 'Nobody at the operator can see your footage, unless you grant a clip to a named ' +
          'support or research staff member. Every grant and every access is in your transparency log, checked here.')),
      banner,
      h('section', { class: 'panel', id: 'log-status' },
        h('p', { class: 'small' }, icon('shield', 16),
          ` Your log: ${v.chain.entries.length} entries verified in the log's tree of ${v.chain.size} ` +
          `(log key ${v.key.name}, fingerprint `, h('code', { class: 'fpr' }, v.key.fingerprint),
          v.firstUse ? ' — pinned in this browser now; compare it with the one your operator publishes' : '', ').'),
        problems ? h('p', { class: 'form-error', id: 'problems' }, `${problems} problem${problems === 1 ? '' : 's'}: see below.`)
          : null),
      h('section', { class: 'panel' },
        h('h2', {}, 'Your grants'),
        h('p', { class: 'small muted' }, 'Revoking a grant stops further access. Footage already fetched under it ' +
          'cannot be un-seen — grant only short clips you would hand over. New grants are made with ' +
          'sealcam grant create.'),
        v.grants.length ? h('table', { class: 'grid', id: 'grants' },
          h('thead', {}, h('tr', {}, ['To', 'Camera', 'Range', 'Mode', 'Purpose', 'Expires', 'State', ''].map((t) =>
            h('th', {}, t)))),
          h('tbody', {}, v.grants.map((g) => grantRow(v, g, err, () => render())))) :
          h('p', { class: 'muted', id: 'no-grants' }, 'You have made no grants.'),
        err.el),
      h('section', { class: 'panel' },
        h('h2', {}, 'Accesses'),
        v.accesses.length ? h('table', { class: 'grid', id: 'accesses' },
          h('thead', {}, h('tr', {}, ['When', 'Who', 'Camera', 'What', 'Grant', 'Check'].map((t) => h('th', {}, t)))),
          h('tbody', {}, v.accesses.map((a) => accessRow(v, a)))) :
          h('p', { class: 'muted', id: 'no-accesses' }, 'No staff member has accessed your footage.'),
        v.hidden.map((y) => h('p', { class: 'form-error hidden-access' }, `Your log has an access by ` +
          `${who(v.staff, y.e.actor)} at ${fmt(y.e.timeMs)} whose record the server does not show.`))));
    mount(root);
    for (const a of v.accesses) shown.add(a.seq);
    return v;
  }

  const v = await render();
  const after = v && v.accesses.length ? Math.max(...v.accesses.map((a) => a.seq)) : -1;
  stop = watch(after, () => {
    // Several events may come at once: re-check once for all of them.
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const before = new Set(shown);
      const v2 = await render([]);
      if (!v2) return;
      const fresh = v2.accesses.filter((a) => !before.has(a.seq));
      if (fresh.length) {
        await render(fresh);
        toast(`New access by ${who(v2.staff, fresh[0].principalId)} — see Access & consent.`, 'info', 8000);
      }
    }, 100);
  });
  return { destroy() { if (stop) stop(); clearTimeout(timer); } };
});

// page_household — who can decrypt this camera's footage: the keyring the
// owner signed, with each key's fingerprint. The owner shares and unshares
// exactly as the CLI does (cmd_camera_share.c): look the person up, show
// their account fingerprint to compare out of band, then sign the next
// keyring (epoch + 1) here and publish it with the member accounts.
import { get, put } from './api.js';
import { accountFingerprint, b64, equal, keyFingerprint, unhex, utf8 } from './codec.js';
import { loadCamera } from './cams.js';
import { keyringSign, ROLE, ROLE_NAME, LABEL_MAX, MAX_RECIPIENTS } from './keyring.js';
import { cameraHeader } from './page_camera.js';
import { go, route } from './router.js';
import { session } from './session.js';
import { trustCamera } from './trust.js';
import { errorBox, h, icon, mount } from './ui.js';
import { accountId } from './session.js';

// GET /v1/users/lookup: { account_id, boxPk, signPk } or null (no account).
async function lookup(email) {
  try {
    const r = await get(`/v1/users/lookup?email=${encodeURIComponent(email)}`);
    return { accountId: r.account_id, boxPk: unhex(r.box_pk, 32), signPk: unhex(r.sign_pk, 32) };
  } catch (e) {
    if (e.status === 404) return null;
    throw e;
  }
}

/*
 * Sign and publish kr (epoch already raised): every member recipient is
 * looked up by its label (their e-mail) and must still have the key the
 * keyring names; members whose account is gone leave the keyring.
 */
async function publish(trust, kr, notes) {
  const members = [];
  for (const r of [...kr.recipients]) {
    if (r.role !== ROLE.member) continue;
    const m = await lookup(r.label);
    if (!m) {
      notes.push(`${r.label} no longer has an account; their key leaves the keyring too.`);
      kr.recipients = kr.recipients.filter((x) => x !== r);
      continue;
    }
    if (!equal(m.boxPk, r.pk))
      throw new Error(`${r.label} now has other keys than the keyring names; unshare and share again after ` +
        'comparing their new fingerprint.');
    members.push(m.accountId);
  }
  kr.issuedMs = Date.now();
  const bytes = keyringSign(kr, session.vault.signSk);
  await put(`/v1/cameras/${trust.idHex}/keyring`, { keyring: b64(bytes), members });
}

/*
 * The fingerprint people compare (sealcam whoami, the Account page): of
 * the whole account, over its signing and box keys. The owner's signing
 * key is in the keyring; a member's comes from the lookup and is shown
 * only if that account still has the box key the keyring names.
 */
function fprCell(r, kr) {
  const code = h('code', { class: 'fpr' }, '…');
  const label = h('span', { class: 'small muted' }, 'fingerprint');
  const set = (text, what) => { code.textContent = text; label.textContent = what; };
  if (r.role === ROLE.owner) {
    set(accountFingerprint(kr.ownerPk, r.pk), 'fingerprint');
  } else if (r.role === ROLE.member && r.label.includes('@')) {
    lookup(r.label).then((m) => {
      if (m && equal(m.boxPk, r.pk)) set(accountFingerprint(m.signPk, m.boxPk), 'fingerprint');
      else set(keyFingerprint(r.pk), m ? 'key fingerprint (their account has other keys now)' : 'key fingerprint');
    }).catch(() => set(keyFingerprint(r.pk), 'key fingerprint'));
  } else {
    set(keyFingerprint(r.pk), 'key fingerprint');
  }
  return h('div', { class: 'fprs' }, label, code);
}

route('camera/([0-9a-f]{32})/household', async (idHex) => {
  const { cam, trust } = await loadCamera(idHex);
  const owner = cam.role === 'owner';
  const kr = trust.keyring;
  const myBox = session.vault.boxPk;

  const rows = [...kr.recipients].sort((a, b) => a.role - b.role || a.label.localeCompare(b.label)).map((r) => {
    const me = equal(r.pk, myBox);
    const actions = [];
    if (owner && r.role === ROLE.member) {
      const btn = h('button', { class: 'small danger', dataset: { unshare: r.label } }, 'Stop sharing');
      btn.addEventListener('click', async () => {
        if (!btn.dataset.armed) {
          btn.dataset.armed = '1';
          btn.textContent = `Stop sharing with ${r.label}?`;
          return;
        }
        btn.disabled = true;
        try {
          const next = { ...kr, epoch: kr.epoch + 1, recipients: kr.recipients.filter((x) => !equal(x.pk, r.pk)) };
          const notes = [];
          await publish(trust, next, notes);
          await trustCamera(cam, { accountId: accountId(), vault: session.vault });
          go(location.hash);
        } catch (e) {
          btn.disabled = false;
          err.show(e.message);
        }
      });
      actions.push(btn);
    }
    return h('li', { class: 'member', dataset: { role: ROLE_NAME[r.role] } },
      h('div', { class: 'who' }, h('span', { class: 'avatar' }, icon(r.role === ROLE.owner ? 'user' : r.role === ROLE.hub
        ? 'camera' : 'users', 18)),
      h('div', {}, h('strong', {}, r.label || '(no name)'), me ? h('span', { class: 'badge' }, 'you') : null,
        h('div', { class: 'small muted' }, ROLE_NAME[r.role] === 'owner' ? 'Owner' : ROLE_NAME[r.role] === 'hub'
          ? 'Home hub' : 'Household member'))),
      fprCell(r, kr),
      h('div', { class: 'actions' }, actions));
  });

  const err = errorBox();
  const info = h('div', { class: 'stack' });
  let shareForm = null;
  if (owner) {
    const email = h('input', { type: 'email', id: 'share-email', placeholder: 'their e-mail address',
      autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false' });
    const lookBtn = h('button', { type: 'submit', class: 'primary' }, 'Look up');
    shareForm = h('form', { class: 'row wrap', novalidate: true, onsubmit: async (e) => {
      e.preventDefault();
      err.clear();
      info.replaceChildren();
      const addr = email.value.trim().toLowerCase();
      if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(addr)) { err.show('Enter their e-mail address.'); return; }
      if (addr === session.me.email) { err.show('That is you; the owner can always watch.'); return; }
      if (utf8(addr).length > LABEL_MAX) { err.show(`An e-mail address of at most ${LABEL_MAX} bytes, please.`); return; }
      lookBtn.disabled = true;
      try {
        const m = await lookup(addr);
        if (!m) { err.show(`${addr} has no sealcam account with keys yet: they need to sign up first.`); return; }
        if (kr.recipients.some((r) => equal(r.pk, m.boxPk))) {
          err.show(`${cam.name} is already shared with ${addr}.`);
          return;
        }
        if (kr.recipients.length >= MAX_RECIPIENTS) { err.show('This camera has the most recipients a keyring holds.'); return; }
        const fpr = accountFingerprint(m.signPk, m.boxPk);
        const confirm = h('button', { class: 'primary', id: 'share-confirm' }, 'The fingerprints match — share');
        const cancel = h('button', {}, 'Cancel');
        info.replaceChildren(h('div', { class: 'panel confirm' },
          h('p', {}, `${addr}'s fingerprint:`),
          h('p', { class: 'fpr big', id: 'share-fpr' }, fpr),
          h('p', { class: 'small' }, 'Compare it with what their sealcam shows (Account page, or sealcam whoami) — ' +
            'in person or on the phone. If it differs, do not share: someone is in between.'),
          h('div', { class: 'row' }, confirm, cancel)));
        cancel.addEventListener('click', () => info.replaceChildren());
        confirm.addEventListener('click', async () => {
          confirm.disabled = true;
          try {
            const next = { ...kr, epoch: kr.epoch + 1,
              recipients: [...kr.recipients, { pk: m.boxPk, role: ROLE.member, label: addr }] };
            const notes = [];
            await publish(trust, next, notes);
            await trustCamera(cam, { accountId: accountId(), vault: session.vault });
            go(location.hash);
          } catch (e2) {
            confirm.disabled = false;
            err.show(e2.message);
          }
        });
      } catch (e2) {
        err.show(e2.message);
      } finally {
        lookBtn.disabled = false;
      }
    } }, email, lookBtn);
  }

  mount(h('section', { class: 'page' },
    cameraHeader(cam, trust, 'household'),
    h('section', { class: 'panel' },
      h('h2', {}, 'Who can watch'),
      h('p', { class: 'small muted' }, `Recordings are encrypted to exactly these keys (keyring epoch ${kr.epoch}, ` +
        `signed by the owner${owner ? ' — you' : ''}). The server cannot add anyone.`),
      h('ul', { class: 'members', id: 'members' }, rows),
      owner ? null : h('p', { class: 'small' }, 'Owner fingerprint (pinned in this browser): ',
        h('code', { class: 'fpr' }, trust.ownerFingerprint))),
    owner ? h('section', { class: 'panel' },
      h('h2', {}, 'Share with someone in your household'),
      h('p', { class: 'small muted' }, 'They need a sealcam account first. Recordings made from now on are ' +
        'encrypted to them as well; stopping sharing works the same way, for everything recorded afterwards.'),
      shareForm, info, err.el) : h('p', { class: 'muted small' }, 'Only the owner can change who may watch.')));
});

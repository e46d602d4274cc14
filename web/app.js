// app — the viewer's entry point: routes (#/...), the log-in and unlock
// pages, the account page, and what happens when the session ends or the
// server cannot be reached. Camera pages are in page_*.js.
import { onSessionLost } from './api.js';
import { h, hideToast, icon, mount, toast, errorBox } from './ui.js';
import * as S from './session.js';
import { go, route, routes, setRenderer } from './router.js';
import './page_cameras.js';
import './page_camera.js';
import './page_household.js';
import './page_access.js';

let current = null;          // { destroy() } of the page shown
let wanted = '#/cameras';    // where to go after logging in / unlocking

function nav() {
  const n = document.getElementById('nav');
  if (!S.session.me || !S.unlocked()) {
    n.hidden = true;
    n.replaceChildren();
    return;
  }
  n.hidden = false;
  n.replaceChildren(
    h('a', { href: '#/cameras', class: location.hash.startsWith('#/camera') ? 'active' : '' }, 'Cameras'),
    h('a', { href: '#/access', class: location.hash === '#/access' ? 'active' : '' }, 'Access & consent'),
    h('a', { href: '#/account', class: location.hash === '#/account' ? 'active' : '' }, 'Account'),
  );
}

async function render() {
  const hash = location.hash || '#/cameras';
  if (current && current.destroy) current.destroy();
  current = null;
  hideToast();
  // Not logged in / not unlocked: those pages first, then back here.
  if (!S.session.me) {
    if (hash !== '#/login') wanted = hash;
    nav();
    return loginPage();
  }
  if (!S.unlocked()) {
    if (hash !== '#/unlock') wanted = hash;
    nav();
    return unlockPage();
  }
  if (hash === '#/login' || hash === '#/unlock') return go(wanted);
  nav();
  for (const r of routes) {
    const m = hash.match(r.re);
    if (m) {
      try {
        current = await r.load(...m.slice(1));
      } catch (e) {
        mount(h('section', { class: 'card narrow' }, h('h1', {}, 'Something went wrong'),
          h('p', { class: 'form-error' }, e.message), h('p', {}, h('a', { href: '#/cameras' }, 'Back to cameras'))));
      }
      return;
    }
  }
  go('#/cameras');
}

// --- log in -------------------------------------------------------------------

let loginNote = '';

function loginPage() {
  const err = errorBox();
  if (loginNote) { err.show(loginNote); loginNote = ''; }
  const email = h('input', { type: 'email', id: 'email', name: 'email', autocomplete: 'username', required: true,
    inputmode: 'email', autocapitalize: 'off', spellcheck: 'false' });
  const pw = h('input', { type: 'password', id: 'password', name: 'password', autocomplete: 'current-password',
    required: true });
  const btn = h('button', { type: 'submit', class: 'primary' }, 'Log in');
  const form = h('form', { class: 'stack', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    err.clear();
    if (!email.value.trim() || !pw.value) { err.show('Enter your e-mail address and password.'); return; }
    btn.disabled = true;
    btn.textContent = 'Logging in…';
    try {
      await S.login(email.value, pw.value);
      pw.value = '';
      if (!S.session.me.vault) {
        S.clear();
        err.show('This account has no keys yet. Finish signing up with the sealcam app (sealcam signup), then log in here.');
        return;
      }
      await S.restore();
      go(S.unlocked() ? wanted : '#/unlock');
    } catch (e2) {
      err.show(e2.message);
    } finally {
      btn.disabled = false;
      btn.textContent = 'Log in';
    }
  } },
  h('label', { for: 'email' }, 'E-mail address'), email,
  h('label', { for: 'password' }, 'Password'), pw,
  err.el, btn);
  mount(h('section', { class: 'card narrow login' },
    h('div', { class: 'hero-icon' }, icon('shield', 36)),
    h('h1', {}, 'Log in to sealcam'),
    h('p', { class: 'muted' }, 'Your cameras encrypt everything before it leaves your home. ' +
      'Your password only logs you in — your recordings are unlocked by your own keys, in this browser.'),
    form));
  email.focus();
}

// --- unlock ----------------------------------------------------------------------

function unlockPage() {
  const err = errorBox();
  const code = h('input', { type: 'text', id: 'code', name: 'recovery-code', autocomplete: 'off', required: true,
    autocapitalize: 'characters', spellcheck: 'false', class: 'code', maxlength: '60',
    placeholder: 'XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX' });
  const keep = h('input', { type: 'checkbox', id: 'keep', checked: true });
  const btn = h('button', { type: 'submit', class: 'primary' }, 'Unlock');
  const progress = h('p', { class: 'progress', hidden: true }, h('span', { class: 'spinner' }),
    'Unlocking your keys… this takes a few seconds.');
  const form = h('form', { class: 'stack', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    err.clear();
    btn.disabled = true;
    progress.hidden = false;
    // Let the progress note paint before seconds of Argon2id.
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 30)));
    try {
      await S.unlock(code.value, keep.checked);
      code.value = '';
      go(wanted);
    } catch (e2) {
      err.show(e2.message);
      code.focus();
      code.select();
    } finally {
      btn.disabled = false;
      progress.hidden = true;
    }
  } },
  h('label', { for: 'code' }, 'Recovery code'), code,
  h('label', { class: 'check', for: 'keep' }, keep,
    h('span', {}, 'Keep unlocked on this browser ', h('span', { class: 'muted' },
      '(stored encrypted under a key this browser will not export; "Forget this browser" removes it)'))),
  err.el, progress, btn);
  mount(h('section', { class: 'card narrow' },
    h('div', { class: 'hero-icon' }, icon('lock', 36)),
    h('h1', {}, 'Unlock your recordings'),
    h('p', {}, `Logged in as ${S.session.me.email}. Enter the recovery code you were given when you signed up ` +
      '(28 characters, in groups of four). It unlocks your keys in this browser only; it is never sent anywhere.'),
    form,
    h('p', { class: 'muted small' }, h('a', { href: '#/login', onclick: async (e) => {
      e.preventDefault();
      await S.logout();
      go('#/login');
    } }, 'Log out'))));
  code.focus();
}

// --- account ---------------------------------------------------------------------

route('account', async () => {
  const forgetBtn = h('button', { class: 'danger', onclick: async () => {
    if (!forgetBtn.dataset.armed) {
      forgetBtn.dataset.armed = '1';
      forgetBtn.textContent = 'Click again to forget this browser';
      return;
    }
    await S.forget();
    loginNote = 'This browser no longer holds your keys. Log in and use your recovery code to unlock again.';
    go('#/login');
  } }, 'Forget this browser');
  mount(h('section', { class: 'card narrow' },
    h('h1', {}, 'Account'),
    h('dl', { class: 'facts' },
      h('dt', {}, 'E-mail'), h('dd', {}, S.session.me.email),
      h('dt', {}, 'Your fingerprint'), h('dd', { class: 'fpr', id: 'my-fpr' }, S.fingerprint()),
      h('dt', {}, 'This browser'), h('dd', {}, S.session.kept ? 'keeps your keys (encrypted) until you forget it'
        : 'keeps your keys only until this tab closes')),
    h('p', { class: 'muted' }, 'Your fingerprint is what a household member compares before sharing a camera with ' +
      'you. It is the same in the sealcam app (sealcam whoami).'),
    h('div', { class: 'row' },
      h('button', { onclick: async () => { await S.logout(); go('#/login'); } }, 'Log out'),
      forgetBtn)));
});

// --- session end and offline ------------------------------------------------------

onSessionLost((e) => {
  S.clear();
  loginNote = e.code === 'session_expired' ? 'Your session has expired. Please log in again.'
    : 'You were logged out. Please log in again.';
  go('#/login');
});

window.addEventListener('offline', () => toast('You are offline. sealcam will carry on when the connection is back.', 'error', 0));
window.addEventListener('online', () => hideToast());
window.addEventListener('hashchange', render);
window.addEventListener('unhandledrejection', (e) => {
  if (e.reason && e.reason.code === 'offline') toast(e.reason.message, 'error');
});

setRenderer(render);
render();

// api — sealcamd's HTTP API (docs/PROTOCOL.md) from this origin only.
// The session token lives in this module's memory: never in a cookie,
// never in storage, so a reload asks for the password again (the keys stay
// unlocked, wrapped in IndexedDB; see keystore.js).

let token = null;
const listeners = new Set();

export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

// What a person should read for each failure.
function friendly(status, code, serverMsg, retryAfter) {
  switch (code) {
    case 'offline': return 'Cannot reach the sealcam server. Check your connection — sealcam will keep trying.';
    case 'bad_credentials': return 'Wrong e-mail address or password.';
    case 'session_expired': return 'Your session has expired. Please log in again.';
    case 'unauthorized': return 'You are logged out. Please log in again.';
    case 'rate_limited': return `Too many attempts. Please wait ${retryAfter || 'a few'} seconds and try again.`;
    case 'not_found': return 'Not found (it may have been deleted, or it is not shared with you).';
    case 'forbidden': return 'This account may not do that.';
    case 'internal': return 'The server had a problem. Please try again in a moment.';
    default: return serverMsg || `The server answered ${status}.`;
  }
}

export function setToken(t) { token = t; }
// The token, for the one caller that fetches by itself (the live player,
// which streams its response body).
export function bearer() { return token; }
export function hasToken() { return token !== null; }

// Called with the ApiError when the session ends (expired or revoked).
export function onSessionLost(fn) { listeners.add(fn); }

/*
 * One call. body: an object (sent as JSON) or undefined. Returns the
 * parsed JSON (or null for 204), or the Response itself with raw: true
 * (for streamed downloads). Throws ApiError.
 */
export async function api(method, path, { body, raw = false, signal, auth = true } = {}) {
  const headers = {};
  if (auth && token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let resp;
  try {
    resp = await fetch(path, {
      method, headers, signal,
      body: body !== undefined ? JSON.stringify(body) : undefined,
      // no-store: not even ciphertext lingers in the browser's disk cache
      // (verified plaintext is cached in memory by footage.js instead).
      credentials: 'omit', cache: 'no-store', redirect: 'error',
    });
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'offline', friendly(0, 'offline'));
  }
  if (resp.ok) {
    if (raw) return resp;
    if (resp.status === 204) return null;
    return resp.json();
  }
  let code = 'http_' + resp.status, msg = '';
  try {
    const j = await resp.json();
    code = j.error.code;
    msg = j.error.message;
  } catch { /* not a PROTOCOL.md error body */ }
  if (resp.status === 502 || resp.status === 503 || resp.status === 504) code = 'offline';
  const ra = resp.headers.get('Retry-After');
  const err = new ApiError(resp.status, code, friendly(resp.status, code, msg, ra), ra);
  if (resp.status === 401 && auth && token && path !== '/v1/login') {
    token = null;
    for (const fn of listeners) fn(err);
  }
  throw err;
}

export const get = (path, opts) => api('GET', path, opts);
export const post = (path, body, opts) => api('POST', path, { ...opts, body });
export const put = (path, body, opts) => api('PUT', path, { ...opts, body });

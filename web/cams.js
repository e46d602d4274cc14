// cams — the account's cameras as the server lists them, each checked by
// trust.js before any of its footage is opened; one Footage (verified
// object cache) per camera for the life of the page.
import { get } from './api.js';
import { Footage } from './footage.js';
import { accountId, onClear, reader, session } from './session.js';
import { epochsFor, trustCamera } from './trust.js';

const footages = new Map();   // camera id hex -> Footage
const epochCache = new Map(); // camera id hex -> { epoch, mine: Set }

/*
 * GET /v1/cameras, then trust each: [{ cam, trust, error }]. A camera
 * whose keys do not check out is listed with its error and no trust.
 */
export async function loadCameras() {
  const r = await get('/v1/cameras');
  const me = { accountId: accountId(), vault: session.vault };
  return Promise.all((r.cameras || []).map(async (cam) => {
    try {
      return { cam, trust: await trustCamera(cam, me), error: null };
    } catch (e) {
      if (e.name === 'ApiError' && e.code !== 'not_found') throw e;
      return { cam, trust: null, error: e };
    }
  }));
}

// One camera by id (the server's entry, trusted). Throws if unknown.
export async function loadCamera(idHex) {
  const all = await loadCameras();
  const c = all.find((x) => x.cam.camera_id === idHex);
  if (!c) {
    const e = new Error('No such camera on this account (it may have been removed, or it is not shared with you).');
    e.code = 'not_found';
    throw e;
  }
  if (c.error) throw c.error;
  return c;
}

export function footageFor(trust) {
  let f = footages.get(trust.idHex);
  if (!f || f.cam.cameraPk.some((b, i) => b !== trust.cameraPk[i])) {
    f = new Footage(trust, reader());
    footages.set(trust.idHex, f);
  }
  return f;
}

// The keyring epochs sealed to this account (cached per keyring epoch).
export async function mineFor(trust) {
  const c = epochCache.get(trust.idHex);
  if (c && c.epoch === trust.keyring.epoch) return c.mine;
  const mine = await epochsFor(trust, session.vault.boxPk);
  epochCache.set(trust.idHex, { epoch: trust.keyring.epoch, mine });
  return mine;
}

export function forgetCams() {
  footages.clear();
  epochCache.clear();
}
onClear.add(forgetCams);

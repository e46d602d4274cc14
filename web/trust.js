// trust — which camera key this browser believes for a camera, as the
// CLI's trust_camera (src/cli/trust.c) decides it. The server's word is
// never enough:
//
//   1. the camera key must be the one the camera id commits to;
//   2. the keyring must be signed by the owner key: this account's own
//      signing key for cameras it owns; for a shared camera, the owner key
//      pinned in this browser the first time (its fingerprint is shown so
//      it can be compared with the owner's);
//   3. no keyring older than one seen before; no swapped camera key;
//   4. the keyring in force is in the transparency log: its receipt
//      verifies under the log key pinned in this browser, in a tree
//      consistent with the last one this browser verified (tlog.js), so
//      nobody — not even someone holding the owner's key — can add a
//      viewer without it showing in the owner's history.
//
// Only a camera that passes all of this gets a camera key to verify
// footage with.
import { get } from './api.js';
import { accountFingerprint, equal, hex, keyFingerprint, unb64, unhex } from './codec.js';
import { keyringHash, keyringVerify, ROLE } from './keyring.js';
import { getTrust, putTrust } from './keystore.js';
import { cameraId } from './seal.js';
import { LogError, pinnedKey, verifyReceipt } from './tlog.js';

const T_KEYRING = 1; // log entry type: keyring published (src/lib/tlog_entry.h)

export class TrustError extends Error {
  constructor(msg) {
    super(msg);
    this.name = 'TrustError';
  }
}

// The keyring in force and its log receipt: { bytes, log }.
async function fetchKeyring(camIdHex) {
  const r = await get(`/v1/cameras/${camIdHex}/keyring`);
  try {
    return { bytes: unb64(r.keyring), log: r.log };
  } catch {
    throw new TrustError('the server sent a keyring that is not valid base64');
  }
}

// The owner's account fingerprint as 'whoami' shows it: their signing key
// and the box key the keyring gives the owner role.
export function ownerFingerprintOf(kr) {
  const o = kr.recipients.find((r) => r.role === ROLE.owner);
  return o ? accountFingerprint(kr.ownerPk, o.pk) : keyFingerprint(kr.ownerPk);
}

/*
 * Verify one camera of GET /v1/cameras for this account (me: { accountId,
 * vault }). Returns { id, idHex, name, role, cameraPk, ownerPk, keyring,
 * firstSight, ownerFingerprint } or throws TrustError / ApiError.
 */
export async function trustCamera(cam, me) {
  const name = cam.name;
  let id, cameraPk;
  try {
    id = unhex(cam.camera_id, 16);
    cameraPk = unhex(cam.camera_pk, 32);
  } catch {
    throw new TrustError(`the server's entry for camera "${name}" has no valid id or key`);
  }
  if (!equal(cameraId(cameraPk), id))
    throw new TrustError(`the server gives camera "${name}" a key that is not the one its id commits to; refusing it`);

  const owner = cam.role === 'owner';
  const pinned = await getTrust(me.accountId, cam.camera_id);
  let ownerPk, firstSight = false;
  if (owner) {
    ownerPk = me.vault.signPk;
  } else if (pinned && pinned.ownerPk) {
    ownerPk = pinned.ownerPk;
  } else {
    try {
      ownerPk = unhex(cam.owner_sign_pk, 32);
    } catch {
      throw new TrustError(`the server's entry for camera "${name}" has no valid owner key`);
    }
    firstSight = true;
  }

  const { bytes, log } = await fetchKeyring(cam.camera_id);
  let kr;
  try {
    kr = keyringVerify(bytes, ownerPk, id, 0);
  } catch (e) {
    if (e.code === 'KEYRING_EWRONGOWNER' || e.code === 'KEYRING_EBADSIG')
      throw new TrustError(`the keyring of camera "${name}" is not signed by ${owner ? "this account's owner key" :
        `the owner key this browser pinned (${keyFingerprint(ownerPk)})`}: refusing its footage`);
    throw new TrustError(`the keyring of camera "${name}" does not verify: ${e.message}`);
  }
  if (pinned && kr.epoch < (pinned.epoch || 0))
    throw new TrustError(`the server presents keyring epoch ${kr.epoch} for camera "${name}", but this browser has ` +
      `seen epoch ${pinned.epoch}: refusing an older keyring`);
  if (pinned && pinned.cameraPk && !equal(pinned.cameraPk, cameraPk))
    throw new TrustError(`camera "${name}" now has a different camera key than this browser remembered; refusing it`);
  try {
    const { key } = await pinnedKey();
    await verifyReceipt(log, key, { type: T_KEYRING, subject: id, number: kr.epoch, commitment: keyringHash(bytes),
      what: 'keyring' });
  } catch (e) {
    if (!(e instanceof LogError)) throw e;
    throw new TrustError(`the keyring in force for camera "${name}" (epoch ${kr.epoch}) is not proven to be in the ` +
      `transparency log (${e.message}): refusing its footage`);
  }
  if (!pinned || kr.epoch > (pinned.epoch || 0) || firstSight)
    await putTrust(me.accountId, cam.camera_id, { ownerPk, cameraPk, epoch: kr.epoch, name, role: cam.role });
  return {
    id, idHex: cam.camera_id, name, role: cam.role, cameraPk, ownerPk, keyring: kr,
    firstSight, ownerFingerprint: ownerFingerprintOf(kr),
  };
}

/*
 * The keyring epochs that name this account's box key: footage sealed under
 * any other epoch was never meant for it (recorded before it was added, or
 * after it was removed). Every old keyring must verify under the owner key
 * too: the server cannot invent an epoch.
 */
export async function epochsFor(tc, boxPk) {
  const r = await get(`/v1/cameras/${tc.idHex}/keyring?all=1`);
  const mine = new Set();
  for (const e of r.keyrings || []) {
    let kr;
    try {
      kr = keyringVerify(unb64(e.keyring), tc.ownerPk, tc.id, 0);
    } catch {
      throw new TrustError(`a keyring in the history of camera "${tc.name}" does not verify under its owner key`);
    }
    if (kr.recipients.some((x) => equal(x.pk, boxPk))) mine.add(kr.epoch);
  }
  return mine;
}

export { hex };

// mp4 — just enough ISO BMFF to play and join verified segments
// (docs/FORMAT.md "Segment plaintext": ftyp moov moof mdat [moof mdat...],
// default-base-is-moof, continuous tfdt within a recording run).
//
// Only ever given plaintext that authenticated, but parsed defensively all
// the same: every size is checked against its parent, and anything
// unexpected throws Mp4Error instead of reading out of bounds.

export class Mp4Error extends Error {
  constructor(msg) {
    super(`the recording's video data is malformed: ${msg}`);
    this.name = 'Mp4Error';
  }
}

const u32 = (b, o) => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
const u64 = (b, o) => u32(b, o) * 0x100000000 + u32(b, o + 4);
const fourcc = (b, o) => String.fromCharCode(b[o], b[o + 1], b[o + 2], b[o + 3]);

function putU32(b, o, v) {
  b[o] = v >>> 24; b[o + 1] = (v >>> 16) & 255; b[o + 2] = (v >>> 8) & 255; b[o + 3] = v & 255;
}
function putU64(b, o, v) {
  if (!Number.isSafeInteger(v) || v < 0) throw new Mp4Error('time out of range');
  putU32(b, o, Math.floor(v / 0x100000000));
  putU32(b, o + 4, v >>> 0);
}

// The boxes directly inside [start, end): { type, start, end, body }.
export function boxes(b, start = 0, end = b.length) {
  const out = [];
  let o = start;
  while (o < end) {
    if (end - o < 8) throw new Mp4Error('box header cut off');
    let size = u32(b, o), hdr = 8;
    const type = fourcc(b, o + 4);
    if (size === 1) {
      if (end - o < 16) throw new Mp4Error('box header cut off');
      size = u64(b, o + 8);
      hdr = 16;
    } else if (size === 0) {
      size = end - o;
    }
    if (size < hdr || size > end - o) throw new Mp4Error(`box ${type} overruns its parent`);
    out.push({ type, start: o, end: o + size, body: o + hdr });
    o += size;
  }
  return out;
}

const child = (b, box, type) => boxes(b, box.body, box.end).find((x) => x.type === type);
const children = (b, box, type) => boxes(b, box.body, box.end).filter((x) => x.type === type);

// Tracks of a moov: [{ id, kind: 'video'|'audio'|..., timescale, codec }].
// RFC 6381 codec string of H.265 from its hvcC (ISO/IEC 14496-15 E.3),
// e.g. 'hev1.1.6.L93.B0': profile space and idc, the compatibility flags
// bit-reversed in hex, tier and level, constraint bytes without trailing
// zero bytes. null if the box is too short.
function hevcCodec(type, c) {
  if (c.length < 13) return null;
  let flags = u32(c, 2), rev = 0;
  for (let i = 0; i < 32; i++) {
    rev = ((rev << 1) | (flags & 1)) >>> 0;
    flags >>>= 1;
  }
  const cons = Array.from(c.subarray(6, 12));
  while (cons.length && cons[cons.length - 1] === 0) cons.pop();
  const hx = (v) => v.toString(16).toUpperCase();
  return `${type}.${['', 'A', 'B', 'C'][c[1] >> 6]}${c[1] & 0x1f}.${hx(rev)}.${(c[1] & 0x20) ? 'H' : 'L'}${c[12]}` +
    cons.map((v) => '.' + hx(v)).join('');
}

export function moovTracks(b, moov) {
  const tracks = [];
  for (const trak of children(b, moov, 'trak')) {
    const tkhd = child(b, trak, 'tkhd');
    const mdia = child(b, trak, 'mdia');
    if (!tkhd || !mdia) throw new Mp4Error('track without tkhd/mdia');
    const id = u32(b, tkhd.body + (b[tkhd.body] === 1 ? 20 : 12));
    const mdhd = child(b, mdia, 'mdhd');
    const hdlr = child(b, mdia, 'hdlr');
    if (!mdhd || !hdlr) throw new Mp4Error('track without mdhd/hdlr');
    const timescale = u32(b, mdhd.body + (b[mdhd.body] === 1 ? 20 : 12));
    if (!timescale) throw new Mp4Error('zero timescale');
    const handler = fourcc(b, hdlr.body + 8);
    const kind = handler === 'vide' ? 'video' : handler === 'soun' ? 'audio' : handler;
    let codec = null;
    try {
      const stsd = child(b, child(b, child(b, mdia, 'minf'), 'stbl'), 'stsd');
      const entries = boxes(b, stsd.body + 8, stsd.end);
      const e = entries[0];
      if (e && (e.type === 'avc1' || e.type === 'avc3')) {
        const avcC = boxes(b, e.body + 78, e.end).find((x) => x.type === 'avcC');
        const hx = (v) => v.toString(16).padStart(2, '0');
        if (avcC) codec = `${e.type}.${hx(b[avcC.body + 1])}${hx(b[avcC.body + 2])}${hx(b[avcC.body + 3])}`;
      } else if (e && (e.type === 'hvc1' || e.type === 'hev1')) {
        const hvcC = boxes(b, e.body + 78, e.end).find((x) => x.type === 'hvcC');
        if (hvcC) codec = hevcCodec(e.type, b.subarray(hvcC.body, hvcC.end));
      } else if (e && e.type === 'mp4a') {
        codec = 'mp4a.40.2';
      } else if (e) {
        codec = e.type;
      }
    } catch { /* codec stays unknown */ }
    tracks.push({ id, kind, timescale, codec });
  }
  return tracks;
}

// Per track of one moof: { id, tfdt, tfdtOffset (absolute, of the 64/32-bit
// field), tfdtVersion, duration (sum of sample durations) }.
function moofTracks(b, moof, defaults) {
  const out = [];
  for (const traf of children(b, moof, 'traf')) {
    const tfhd = child(b, traf, 'tfhd');
    const tfdt = child(b, traf, 'tfdt');
    if (!tfhd || !tfdt) throw new Mp4Error('fragment without tfhd/tfdt');
    const tflags = u32(b, tfhd.body) & 0xffffff;
    const id = u32(b, tfhd.body + 4);
    let o = tfhd.body + 8;
    if (tflags & 0x01) o += 8;
    if (tflags & 0x02) o += 4;
    let defDur = defaults.get(id) || 0;
    if (tflags & 0x08) defDur = u32(b, o);
    const ver = b[tfdt.body];
    const t = ver === 1 ? u64(b, tfdt.body + 4) : u32(b, tfdt.body + 4);
    let duration = 0;
    for (const trun of children(b, traf, 'trun')) {
      const rflags = u32(b, trun.body) & 0xffffff;
      const n = u32(b, trun.body + 4);
      let p = trun.body + 8;
      if (rflags & 0x001) p += 4;
      if (rflags & 0x004) p += 4;
      const per = ((rflags & 0x100) ? 4 : 0) + ((rflags & 0x200) ? 4 : 0) +
        ((rflags & 0x400) ? 4 : 0) + ((rflags & 0x800) ? 4 : 0);
      if (p + n * per > trun.end) throw new Mp4Error('trun overruns its box');
      if (rflags & 0x100) for (let i = 0; i < n; i++) duration += u32(b, p + i * per);
      else duration += n * defDur;
    }
    out.push({ id, tfdt: t, tfdtOffset: tfdt.body + 4, tfdtVersion: ver, duration });
  }
  return out;
}

// trex default sample durations from moov/mvex, by track id.
function trexDefaults(b, moov) {
  const m = new Map();
  const mvex = child(b, moov, 'mvex');
  if (mvex) for (const trex of children(b, mvex, 'trex')) m.set(u32(b, trex.body + 4), u32(b, trex.body + 12));
  return m;
}

/*
 * One segment's plaintext: { init (ftyp+moov bytes), tracks, fragments:
 * [{ start, end, moof, tracks }], video: { id, timescale, start (s), end (s) } }.
 * start/end are the video track's decode times in seconds.
 */
export function parseSegment(b) {
  const top = boxes(b);
  const ftyp = top.find((x) => x.type === 'ftyp');
  const moov = top.find((x) => x.type === 'moov');
  if (!ftyp || !moov) throw new Mp4Error('no ftyp/moov');
  const tracks = moovTracks(b, moov);
  const video = tracks.find((t) => t.kind === 'video');
  if (!video) throw new Mp4Error('no video track');
  const defaults = trexDefaults(b, moov);
  const fragments = [];
  let cur = null;
  for (const x of top) {
    if (x.type === 'moof') {
      cur = { start: x.start, end: x.end, moofStart: x.start, moofEnd: x.end, tracks: moofTracks(b, x, defaults) };
      fragments.push(cur);
    } else if (x.type === 'mdat') {
      if (!cur) throw new Mp4Error('mdat before moof');
      cur.end = x.end;
    }
  }
  if (!fragments.length) throw new Mp4Error('no fragment');
  const vt = (f) => f.tracks.find((t) => t.id === video.id);
  const first = fragments.map(vt).find(Boolean), last = fragments.map(vt).filter(Boolean).pop();
  if (!first) throw new Mp4Error('no video fragment');
  return {
    bytes: b,
    init: b.subarray(Math.min(ftyp.start, moov.start), moov.end),
    tracks,
    fragments,
    video: {
      id: video.id, timescale: video.timescale, codec: video.codec,
      start: first.tfdt / video.timescale, end: (last.tfdt + last.duration) / video.timescale,
    },
  };
}

// The MSE type for a segment: 'video/mp4; codecs="avc1.64001f,mp4a.40.2"'.
export function mimeOf(seg) {
  const codecs = seg.tracks.filter((t) => t.codec && (t.kind === 'video' || t.kind === 'audio'))
    .map((t) => t.codec);
  return `video/mp4; codecs="${codecs.join(',')}"`;
}

function sameBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/*
 * Join verified segments (parsed, in order) into one fragmented MP4: the
 * first one's init, then every fragment with its decode times rewritten so
 * the file starts at 0 and a new recording run (tfdt back to 0, or a gap)
 * carries on where the previous one ended, and moof sequence numbers
 * 1, 2, 3... Refuses segments whose init differs (other codec settings):
 * the caller splits there. Returns a list of Uint8Array parts (for a Blob).
 */
export function joinSegments(segs) {
  if (!segs.length) throw new Mp4Error('nothing to join');
  const init = segs[0].init;
  const ts = new Map(segs[0].tracks.map((t) => [t.id, t.timescale]));
  const parts = [init];
  let shift = 0;          // seconds added to source decode times
  let srcEnd = null;      // source video end of the previous segment (s)
  let outEnd = 0;         // output video end so far (s)
  let seqNo = 1;
  for (const [i, s] of segs.entries()) {
    if (i > 0 && !sameBytes(s.init, init))
      throw new Mp4Error(`segment ${i + 1} has other video settings than the first`);
    // Continuous source (the agent carried tfdt over): keep the shift;
    // otherwise (new run, or segments missing) continue at the output end.
    if (srcEnd === null) shift = -s.video.start;
    else if (Math.abs(s.video.start - srcEnd) > 0.5) shift = outEnd - s.video.start;
    for (const f of s.fragments) {
      const out = s.bytes.slice(f.start, f.end);
      const base = f.start;
      for (const t of f.tracks) {
        const scale = ts.get(t.id);
        if (!scale) throw new Mp4Error(`unknown track ${t.id}`);
        const nt = t.tfdt + Math.round(shift * scale);
        if (t.tfdtVersion === 1) putU64(out, t.tfdtOffset - base, Math.max(0, nt));
        else if (nt >= 0 && nt < 0x100000000) putU32(out, t.tfdtOffset - base, nt);
        else throw new Mp4Error('decode time does not fit');
      }
      // mfhd sequence number: 1, 2, 3... across the file.
      const mfhd = boxes(out, 8, f.moofEnd - base).find((x) => x.type === 'mfhd');
      if (mfhd) putU32(out, mfhd.body + 4, seqNo);
      seqNo++;
      parts.push(out);
    }
    srcEnd = s.video.end;
    outEnd = s.video.end + shift;
  }
  return parts;
}

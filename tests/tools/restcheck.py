#!/usr/bin/env python3
"""restcheck — does anything at rest look like plaintext video or images?

usage: restcheck.py [--min-entropy BITS] [--entropy-glob SUBSTR] PATH...

Scans every file under each PATH for
  - MP4 boxes: a plausible 32-bit size followed by ftyp, moov, moof or mdat;
  - H.264 Annex B streams: within 4 KiB, at least three start codes
    (00 00 01) each followed by a valid NAL header, one of them an SPS (7)
    or IDR slice (5) -- a plausible NAL pattern, not a lone 00 00 01;
  - JPEG: FF D8 FF followed by an APPn/DQT/SOF/DHT marker whose segment
    length lands on the next marker;
and measures Shannon entropy (bits/byte) of files whose path contains
--entropy-glob (default "/blobs/") and that are at least 16 KiB.
Prints one JSON line; exits 1 if any pattern is found or any measured
file's entropy is below --min-entropy (default 7.9).
"""
import json, math, os, re, sys

BOX = re.compile(rb"(?s)(....)(ftyp|moov|moof|mdat)")
START = re.compile(rb"\x00\x00\x01([\x00-\x7f])")
JPEG = re.compile(rb"\xff\xd8\xff[\xe0-\xef\xdb\xc0\xc2\xc4]")

def mp4_hits(data):
    n = 0
    for m in BOX.finditer(data):
        size = int.from_bytes(m.group(1), "big")
        # 0 (to end of file), 1 (64-bit size follows) or a size that fits
        if size in (0, 1) or 8 <= size <= len(data) - m.start():
            n += 1
    return n

def nal_hits(data):
    starts = [(m.start(), m.group(1)[0] & 0x1f, m.group(1)[0] >> 5) for m in START.finditer(data)]
    hits = 0
    for i, (pos, t, ref) in enumerate(starts):
        window = [s for s in starts[i:i + 8] if s[0] - pos < 4096]
        valid = [s for s in window if s[1] in (1, 5, 6, 7, 8, 9) and not (s[1] in (5, 7, 8) and s[2] == 0)]
        if len(valid) >= 3 and any(s[1] in (5, 7) for s in valid):
            hits += 1
    return hits

def jpeg_hits(data):
    # SOI + a first marker alone (4 fixed bytes) turns up by chance about
    # once per 400 MB of ciphertext -- often enough in a long test run. A
    # real JPEG's first segment also has a length that lands on the next
    # marker: require that too.
    n = 0
    for m in JPEG.finditer(data):
        i = m.start() + 4
        if i + 2 > len(data):
            continue
        seglen = int.from_bytes(data[i:i + 2], "big")
        j = i + seglen
        if seglen >= 2 and j + 1 < len(data) and data[j] == 0xFF and data[j + 1] not in (0x00, 0xFF):
            n += 1
    return n

def entropy(data):
    counts = [data.count(bytes((i,))) for i in range(256)]
    n = len(data)
    return -sum(c / n * math.log2(c / n) for c in counts if c)

def main():
    args = sys.argv[1:]
    min_h, glob = 7.9, "/blobs/"
    while args and args[0].startswith("--"):
        if args[0] == "--min-entropy":
            min_h = float(args[1]); args = args[2:]
        elif args[0] == "--entropy-glob":
            glob = args[1]; args = args[2:]
        else:
            sys.exit("restcheck: unknown option " + args[0])
    report = {"files": 0, "bytes": 0, "mp4": [], "h264": [], "jpeg": [],
              "low_entropy": [], "entropy_min": None, "entropy_files": 0}
    paths = []
    for p in args:
        if os.path.isdir(p):
            for root, _, files in os.walk(p):
                paths += [os.path.join(root, f) for f in files]
        elif os.path.exists(p):
            paths.append(p)
    for path in sorted(paths):
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            continue
        report["files"] += 1
        report["bytes"] += len(data)
        if mp4_hits(data):
            report["mp4"].append(path)
        if nal_hits(data):
            report["h264"].append(path)
        if jpeg_hits(data):
            report["jpeg"].append(path)
        if glob in path and len(data) >= 16384:
            h = entropy(data)
            report["entropy_files"] += 1
            report["entropy_min"] = h if report["entropy_min"] is None else min(h, report["entropy_min"])
            if h < min_h:
                report["low_entropy"].append(path)
    if report["entropy_min"] is not None:
        report["entropy_min"] = round(report["entropy_min"], 4)
    bad = report["mp4"] or report["h264"] or report["jpeg"] or report["low_entropy"]
    print(json.dumps(report))
    sys.exit(1 if bad else 0)

main()

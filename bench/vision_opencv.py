#!/usr/bin/python3
"""OpenCV peer for bench/vision.sh: Haar frontal faces (scale 1.1, 3
neighbours) and the HOG people detector on the data bench/vision exported,
scored with the same rules as tests/unit/vdata.h. One thread.
Prints "key value" lines like build/bench/vision."""
import csv, glob, os, sys, time, xml.etree.ElementTree as ET
import cv2

cv2.setNumThreads(1)
exp, root = sys.argv[1], sys.argv[2]
faces_dir = os.path.join(root, '..', 'shared', 'testdata', 'faces')
casc = cv2.CascadeClassifier('/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml')
hog = cv2.HOGDescriptor()
hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())

def iou(a, b):
    ix0, iy0, ix1, iy1 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    if ix1 <= ix0 or iy1 <= iy0: return 0.0
    i = (ix1 - ix0) * (iy1 - iy0)
    return i / ((a[2]-a[0])*(a[3]-a[1]) + (b[2]-b[0])*(b[3]-b[1]) - i)

def match_faces(gt, det):
    """vdata_match: IoU >= 0.3, or label centre inside a box of similar size."""
    used, found = set(), []
    for g in gt:
        best, bk = -1, 0
        for d, b in enumerate(det):
            if d in used: continue
            v = iou(g, b); cx, cy = (g[0]+g[2])/2, (g[1]+g[3])/2
            gs, ds = g[2]-g[0], b[2]-b[0]
            inside = b[0] < cx < b[2] and b[1] < cy < b[3] and ds < 2*gs and gs < 2*ds
            if v >= 0.3 or inside:
                k = v + (0.01 if inside else 0)
                if best < 0 or k > bk: best, bk = d, k
        found.append(best >= 0)
        if best >= 0: used.add(best)
    return found, len(det) - len(used)

def haar(img):
    g = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    return [(x, y, x+w, y+h) for (x, y, w, h) in casc.detectMultiScale(g, scaleFactor=1.1, minNeighbors=3)]

def hogp(img):
    r, _ = hog.detectMultiScale(img, winStride=(8, 8), padding=(8, 8), scale=1.05)
    return [(x, y, x+w, y+h) for (x, y, w, h) in r]

def hogp2(img):
    # HOG's window is 64x128: people under ~120 px tall need the frame enlarged.
    big = cv2.resize(img, None, fx=2, fy=2, interpolation=cv2.INTER_LINEAR)
    return [(x0 / 2, y0 / 2, x1 / 2, y1 / 2) for (x0, y0, x1, y1) in hogp(big)]

# labelled face set
found = total = fp = n = 0
for xml in ('training.xml', 'testing.xml'):
    for im in ET.parse(os.path.join(faces_dir, xml)).getroot().iter('image'):
        img = cv2.imread(os.path.join(faces_dir, im.get('file')))
        gt = [(int(b.get('left')), int(b.get('top')), int(b.get('left'))+int(b.get('width')),
               int(b.get('top'))+int(b.get('height'))) for b in im.iter('box')]
        f, p = match_faces(gt, haar(img))
        found += sum(f); total += len(gt); fp += p; n += 1
print('haar_faces_recall %.3f' % (found / total))
print('haar_faces_fp_per_image %.2f' % (fp / n))

# small faces
rows = {}
for r in csv.reader(open(os.path.join(exp, 'small.csv'))):
    rows.setdefault(r[0], []).append((int(r[1]), tuple(float(v) for v in r[2:6])))
per = {}
fp = 0
for fn, boxes in rows.items():
    det = haar(cv2.imread(os.path.join(exp, fn)))
    f, p = match_faces([b for _, b in boxes], det)
    fp += p
    for (size, _), ok in zip(boxes, f):
        per.setdefault(size, [0, 0]); per[size][0] += ok; per[size][1] += 1
for size in sorted(per):
    print('haar_small_%dpx_recall %.3f' % (size, per[size][0] / per[size][1]))
print('haar_small_unlabelled_per_frame %.2f' % (fp / len(rows)))

# people: IoU >= 0.5 one-to-one, occluded labels ignored both ways
lab = {}
for r in csv.reader(l for l in open(os.path.join(root, 'tests', 'data', 'people-vtest.csv')) if not l.startswith('#')):
    lab.setdefault(int(r[0]), []).append((tuple(int(v) for v in r[1:5]), r[5]))
for tag, hfn in (('hog', hogp), ('hog2x', hogp2)):
  tp = fn_ = fp = 0
  for fr, boxes in lab.items():
    det = hfn(cv2.imread(os.path.join(exp, 'vtest-%d.ppm' % fr)))
    used = set()
    for b, kind in boxes:
        if kind != 'person': continue
        best, bi = -1, 0.5
        for d, x in enumerate(det):
            v = iou(b, x)
            if d not in used and v >= bi: best, bi = d, v
        if best >= 0: used.add(best); tp += 1
        else: fn_ += 1
    for d, x in enumerate(det):
        if d in used: continue
        if not any(k != 'person' and iou(b, x) >= 0.3 for b, k in boxes): fp += 1
  print('%s_people_recall %.3f' % (tag, tp / (tp + fn_)))
  print('%s_people_precision %.3f' % (tag, tp / (tp + fp) if tp + fp else 0))

# speed on the 640x360 frames, median of 3 passes
frames = [cv2.imread(f) for f in sorted(glob.glob(os.path.join(exp, 'time-*.ppm')))]
for name, fn in (('haar_face_ms', haar), ('hog_person_ms', hogp), ('hog2x_person_ms', hogp2)):
    passes = []
    for _ in range(3):
        t = time.process_time()     # CPU time, like build/bench/vision
        for img in frames: fn(img)
        passes.append((time.process_time() - t) * 1e3 / len(frames))
    print('%s %.1f' % (name, sorted(passes)[1]))

"""cyclnf against OpenFace 2.2 C++, row by row, one thread.

Every row of the speed table in ../shared/reference/openface_cpp/README.md (OpenFace C++
built on this kind of machine, pinned to one core), measured here for cyclnf in the same
run: model loading, MTCNN detection, the fit from a box (main model, part models,
validator, head pose), the -wild fit, a tracked video frame; and detect_and_fit per image.

    python benchmarks/bench_vs_openface.py
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from common import SHARED, median_seconds  # noqa: E402  (one thread, ../shared)

import cv2  # noqa: E402

from reference import IMAGE_FILES, reference_faces  # noqa: E402

#: OpenFace C++ single-thread figures (reference README), ms.
OPENFACE = {
    "load": "~355",
    "mtcnn_small": "8.6",
    "mtcnn_1080p": "200",
    "fit": "15-22",
    "wild": "300-390",
    "tracked": "9.2",
}
HUMAN_ANNOTATED = ("lfpw_trainset_image_0001", "lfpw_trainset_image_0002", "breakingbad",
                   "einstein", "lenna", "takeo")
GRID = SHARED / "data" / "video" / "grid_lipnet" / "bbaf2n.mpg"


def _image(name):
    return cv2.imread(str(SHARED / "data" / "images_gt" / IMAGE_FILES.get(
        name, f"dlib_faces/{name}.jpg")))


def load_times() -> tuple:
    """Seconds to make CLNF (main model, parts, validator) and MTCNN: with an empty
    cache (OpenFace's files parsed) and with it filled (memory-mapped), each in a new
    process after its imports (Python, NumPy, OpenCV and cyclnf take ~0.15 s to import)."""
    code = ("import time; from cyclnf import CLNF; t = time.perf_counter(); "
            "c = CLNF(detector='mtcnn'); c.detector; print(time.perf_counter() - t)")
    cache = tempfile.mkdtemp(prefix="cyclnf-bench-cache-")
    try:
        env = {**os.environ, "CYCLNF_CACHE_DIR": cache}
        run = lambda: float(subprocess.run([sys.executable, "-c", code], env=env,  # noqa: E731
                                           capture_output=True, text=True, check=True,
                                           cwd=tempfile.gettempdir()).stdout)
        cold = run()
        warm = statistics.median(run() for _ in range(3))
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return cold, warm


def tracked_frame_ms(clnf) -> tuple:
    """Median and 90th percentile ms of a tracked frame of bbaf2n.mpg (decoding excluded)."""
    from cyclnf.video import VideoReader
    with VideoReader(GRID) as reader:
        frames = list(reader)
    times = []
    for _ in range(3):
        start_times = []
        stream = iter(clnf.track_frames(frames))
        while True:
            start = time.perf_counter()
            try:
                next(stream)
            except StopIteration:
                break
            start_times.append(time.perf_counter() - start)
        times += start_times[1:]                     # frame 1 is a detection
    times.sort()
    return 1000 * statistics.median(times), 1000 * times[int(0.9 * len(times))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    from cyclnf import CLNF
    from cyclnf.detect import MTCNNDetector

    rows = []
    cold, warm = load_times()
    rows.append(("model load (CLNF + parts + validator + MTCNN), first time", 1000 * cold,
                 OPENFACE["load"]))
    rows.append(("model load, later starts (memory-mapped cache)", 1000 * warm, OPENFACE["load"]))

    mtcnn = MTCNNDetector.load()
    for name, key in (("takeo", "mtcnn_small"), ("breakingbad", "mtcnn_1080p")):
        image = _image(name)
        h, w = image.shape[:2]
        rows.append((f"MTCNN detection, {w} x {h}",
                     1000 * median_seconds(lambda: mtcnn.detect(image), args.repeat),
                     OPENFACE[key]))

    clnf = CLNF(track=False, detector="mtcnn")
    wild = CLNF(track=False, detector="mtcnn", convergence_profile="wild")
    faces = [f for f in reference_faces(SHARED, "gtbbox_default") if f.image in HUMAN_ANNOTATED]
    fit_ms, wild_ms = [], []
    for face in faces:
        image = _image(face.image)
        fit_ms.append(1000 * median_seconds(lambda: clnf.fit(image, face.bbox), args.repeat))
        wild_ms.append(1000 * median_seconds(lambda: wild.fit(image, face.bbox),
                                             max(2, args.repeat // 3)))
    rows.append(("fit from a box, one face (parts, validator, pose)", statistics.median(fit_ms),
                 OPENFACE["fit"]))
    rows.append(("-wild fit from a box, one face (11 start rotations)",
                 statistics.median(wild_ms), OPENFACE["wild"]))
    median, p90 = tracked_frame_ms(CLNF(detector="mtcnn"))
    rows.append(("tracked video frame, bbaf2n.mpg (median)", median, OPENFACE["tracked"]))
    rows.append(("tracked video frame, bbaf2n.mpg (90th percentile)", p90, ""))

    detect_fit = []
    for name in sorted({f.image for f in reference_faces(SHARED, "mtcnn_default")}):
        image = _image(name)
        detect_fit.append((name, 1000 * median_seconds(
            lambda: clnf.detect_and_fit(image, return_all_faces=True), max(2, args.repeat // 2))))

    print(f"one thread, median of {args.repeat} runs; OpenFace C++ 2.2 from "
          "../shared/reference/openface_cpp/README.md\n")
    print(f"  {'what':58s} {'cyclnf ms':>10s} {'OpenFace ms':>12s}")
    for what, ours, theirs in rows:
        print(f"  {what:58s} {ours:10.2f} {theirs:>12s}")
    print("\ndetect_and_fit, every face of the image (MTCNN + one fit per face), ms:")
    for name, ms in detect_fit:
        image = _image(name)
        print(f"  {name:28s} {image.shape[1]:5d} x {image.shape[0]:<5d} {ms:8.1f}")
    print(f"  {'median':28s} {'':13s} {statistics.median(ms for _, ms in detect_fit):8.1f}")


if __name__ == "__main__":
    main()

"""Face detection and validation speed, one thread, beside OpenFace C++'s figures.

Median milliseconds per image of MTCNNDetector.detect and HaarDetector.detect (image
conversion included) on the reference images in ../shared/data/images_gt (breakingbad is
a 1920 x 1080 frame), a per-stage breakdown of MTCNN on that frame, and the validator's
check per face. OpenFace C++ single-thread figures come from
../shared/reference/openface_cpp/README.md (MTCNN: 8.6 ms at 150 x 225, 200 ms at
1920 x 1080).

    python benchmarks/bench_detect.py
"""

from __future__ import annotations

import argparse
import statistics
import time

from common import SHARED, median_seconds  # noqa: E402  (one thread, ../shared)

import cv2  # noqa: E402

from reference import IMAGE_FILES, reference_faces  # noqa: E402

#: OpenFace C++ MTCNN, single thread, from the reference README: image -> ms.
OPENFACE_MTCNN_MS = {"takeo": 8.6, "breakingbad": 200.0}


def median_ms(function, argument, repeat: int) -> float:
    return 1000 * median_seconds(lambda: function(argument), repeat)


def images():
    names = sorted({f.image for f in reference_faces(SHARED, "mtcnn_default")})
    for name in names:
        path = SHARED / "data" / "images_gt" / IMAGE_FILES.get(name, f"dlib_faces/{name}.jpg")
        yield name, cv2.imread(str(path))


def mtcnn_stages(detector, image, repeat: int) -> dict:
    """Median ms of MTCNN's stages on one image."""
    from cyclnf.image import to_bgr_uint8
    totals = {"8-bit BGR to float": [], "pyramid, PNet, suppression": [],
              "RNet stage": [], "ONet stage": []}
    for _ in range(repeat):
        t0 = time.perf_counter()
        bgr = to_bgr_uint8(image).astype("float32")
        t1 = time.perf_counter()
        boxes = detector._pnet_stage(bgr)
        t2 = time.perf_counter()
        boxes = detector._rnet_stage(bgr, boxes)
        t3 = time.perf_counter()
        detector._onet_stage(bgr, boxes)
        t4 = time.perf_counter()
        for stage, seconds in zip(totals, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
            totals[stage].append(seconds)
    return {k: 1000 * statistics.median(v) for k, v in totals.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    from cyclnf.detect import HaarDetector, MTCNNDetector
    from cyclnf.kernels import BACKEND
    from cyclnf.validator import Validator
    mtcnn, haar = MTCNNDetector.load(), HaarDetector()
    print(f"kernels: {BACKEND}; one thread; median of {args.repeat} runs\n")
    print(f"{'image':28s} {'size':>11s} {'MTCNN ms':>9s} {'OpenFace':>9s} {'Haar ms':>8s} faces")
    frame = None
    for name, image in images():
        h, w = image.shape[:2]
        t_mtcnn = median_ms(mtcnn.detect, image, args.repeat)
        t_haar = median_ms(haar.detect, image, args.repeat)
        openface = OPENFACE_MTCNN_MS.get(name)
        print(f"{name:28s} {w:5d}x{h:<5d} {t_mtcnn:9.1f} "
              f"{'' if openface is None else f'{openface:9.1f}':>9s} {t_haar:8.1f} "
              f"{len(mtcnn.detect(image))}")
        if (w, h) == (1920, 1080):
            frame = image
    if frame is not None:
        print("\nMTCNN stages on the 1920 x 1080 frame (ms):")
        for stage, ms in mtcnn_stages(mtcnn, frame, args.repeat).items():
            print(f"  {stage:30s} {ms:7.1f}")

    validator = Validator.load()
    times = []
    for face in reference_faces(SHARED, "gtbbox_default"):
        if face.params[0] < 0.25:
            continue
        gray = cv2.cvtColor(cv2.imread(str(face.image_path(SHARED / "data"))), cv2.COLOR_BGR2GRAY)
        times.append(median_ms(lambda g: validator.check(g, face.landmarks, face.params[1:4]),
                               gray, args.repeat))
    print(f"\nvalidator check: median {statistics.median(times):.2f} ms per face "
          f"({len(times)} faces)")


if __name__ == "__main__":
    main()

"""NME against the human annotations, cyclnf beside OpenFace 2.2 C++, per image.

NME = mean point-to-point error over the 68 landmarks / distance between points 36 and 45
(the outer eye corners), on the human-annotated faces of ../shared/data/images_gt (``.pts``
files are 1-based; lenna's LJSON is 0-based [y, x]). Configurations as in
../shared/reference/openface_cpp: from the annotation's box with default and -wild
parameters, and from MTCNN's and Haar's detections (detect_and_fit, the face overlapping
the annotation most). OpenFace's NME is computed from its own output files.

    python benchmarks/accuracy_nme.py
"""

from __future__ import annotations

import statistics

from common import SHARED  # noqa: E402  (one thread, ../shared)

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from cyclnf.detect.base import intersection_over_union  # noqa: E402
from groundtruth import annotated_faces  # noqa: E402
from reference import IMAGE_FILES, reference_faces  # noqa: E402

CONFIGS = {
    "gtbbox_default": dict(),
    "gtbbox_wild": dict(convergence_profile="wild"),
    "mtcnn_default": dict(detector="mtcnn"),
    "mtcnn_wild": dict(detector="mtcnn", convergence_profile="wild"),
    "haar_default": dict(detector="haar"),
}


def nme(points: np.ndarray, truth: np.ndarray) -> float:
    return float(np.linalg.norm(points - truth, axis=1).mean()
                 / np.linalg.norm(truth[36] - truth[45]))


def _annotated(fits, truth):
    """The landmarks of the annotated face among ``(landmarks, box)`` fits: the one whose
    box overlaps the annotation's box most (at least 0.3), else None."""
    lo, hi = truth.min(axis=0), truth.max(axis=0)
    box = (lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1])
    scored = [(intersection_over_union(fit_box, box), points) for points, fit_box in fits]
    best = max(scored, key=lambda s: s[0], default=(0.0, None))
    return best[1] if best[0] >= 0.3 else None


def main() -> None:
    from cyclnf import CLNF
    truths = annotated_faces(SHARED / "data")
    table = {}
    for config, kwargs in CONFIGS.items():
        clnf = CLNF(track=False, **kwargs)
        theirs = {}
        for face in reference_faces(SHARED, config):
            theirs.setdefault(face.image, []).append(face)
        for name, truth in truths.items():
            image = cv2.imread(str(SHARED / "data" / "images_gt" / IMAGE_FILES[name]))
            if config.startswith("gtbbox"):
                ours = [(clnf.fit(image, theirs[name][0].bbox)[0], theirs[name][0].bbox)]
            else:
                ours = [(lm, info["bbox"]) for lm, info in
                        clnf.detect_and_fit(image, return_all_faces=True)]
            ours = _annotated(ours, truth)
            reference = _annotated([(f.landmarks, f.bbox) for f in theirs.get(name, [])], truth)
            table[config, name] = (None if ours is None else nme(ours, truth),
                                   None if reference is None else nme(reference, truth))

    names = list(truths)
    print("NME (mean error / outer-eye-corner distance) on the human-annotated faces:\n")
    print(f"  {'image':26s}" + "".join(f"{c:>22s}" for c in CONFIGS))
    print(f"  {'':26s}" + "".join(f"{'cyclnf  OpenFace':>22s}" for _ in CONFIGS))
    fmt = lambda v: "   -  " if v is None else f"{v:6.4f}"  # noqa: E731
    for name in names:
        cells = [f"{fmt(table[c, name][0])}  {fmt(table[c, name][1])}" for c in CONFIGS]
        print(f"  {name:26s}" + "".join(f"{cell:>22s}" for cell in cells))
    medians = []
    for c in CONFIGS:
        pairs = [table[c, n] for n in names if None not in table[c, n]]
        medians.append(f"{statistics.median(p[0] for p in pairs):6.4f}  "
                       f"{statistics.median(p[1] for p in pairs):6.4f}")
    print(f"  {'median (faces both found)':26s}" + "".join(f"{m:>22s}" for m in medians))
    print("\n'-': the detector did not find the annotated face, in OpenFace as in cyclnf "
          "(MTCNN and Haar find the seated man, not Einstein; Haar finds only the other man "
          "in breakingbad).")


if __name__ == "__main__":
    main()

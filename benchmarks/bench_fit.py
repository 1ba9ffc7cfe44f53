"""Fit from a face box, per image: compiled kernels against their NumPy twins, one thread.

For each human-annotated face in ../shared/data/images_gt, fit from the box OpenFace C++
was given (../shared/reference/openface_cpp, gtbbox_default) and report median times with
the compiled kernels and with the NumPy twins, measured in the same run (the twins in a
child process: the kernels are chosen per process):

- main model: the coarse-to-fine CLNF fit alone (cyclnf.fitting.fit);
- full: CLNF.fit as OpenFace's FaceLandmarkImg does it from a box (image conversion, main
  model, eye and inner-face parts, validator, head pose): the row to hold against OpenFace
  C++'s 15-22 ms.

Then a per-stage breakdown of one compiled main-model fit: warping the areas of interest,
the response maps, and NU-RLMS (mean-shift and Gauss-Newton updates).

    python benchmarks/bench_fit.py
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from common import SHARED, median_seconds  # noqa: E402  (one thread, ../shared)

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from reference import reference_faces  # noqa: E402

HUMAN_ANNOTATED = ("lfpw_trainset_image_0001", "lfpw_trainset_image_0002", "breakingbad",
                   "einstein", "lenna", "takeo")


def faces():
    return [f for f in reference_faces(SHARED, "gtbbox_default") if f.image in HUMAN_ANNOTATED]


def time_fits(repeat: int) -> dict:
    """Median seconds per face of the main-model fit and of CLNF.fit, this process's kernels."""
    from cyclnf import CLNF
    from cyclnf.fitting import fit
    from cyclnf.image import to_gray_uint8
    clnf = CLNF(track=False, detector=None)              # every call from the box
    out = {"main": {}, "full": {}}
    for face in faces():
        image = cv2.imread(str(face.image_path(SHARED / "data")))
        gray = to_gray_uint8(image)
        start = clnf.pdm.params_from_bbox(face.bbox)
        # (The first call builds the Sigma and KDE tables; median_seconds warms up.)
        out["main"][face.image] = median_seconds(lambda: fit(clnf.model, gray, start), repeat)
        out["full"][face.image] = median_seconds(lambda: clnf.fit(image, face.bbox), repeat)
    return out


def stage_breakdown(repeat: int) -> dict:
    """Median milliseconds per stage of one compiled fit, summed over the scales."""
    from cyclnf.fitting import FitSettings, kde_table, nu_rlms
    from cyclnf.image import to_gray_uint8
    from cyclnf.kernels import ccnf, meanshift, warp
    from cyclnf.landmark_model import LandmarkModel
    from cyclnf.rotation import align_shapes_with_scale

    model = LandmarkModel.load("clnf_general")
    pdm, settings = model.pdm, FitSettings()
    face = next(f for f in faces() if f.image == "lfpw_trainset_image_0002")
    bgr = cv2.imread(str(face.image_path(SHARED / "data")))
    totals = {"image to gray": [], "warp": [], "responses": [], "mean-shift": [],
              "NU-RLMS (incl. mean-shift)": []}
    for _ in range(repeat):
        sums = dict.fromkeys(totals, 0.0)
        start = time.perf_counter()
        image = to_gray_uint8(bgr)
        sums["image to gray"] = time.perf_counter() - start
        params = pdm.params_from_bbox(face.bbox)
        for index, experts in enumerate(model.scales):
            window = settings.window_sizes[index]
            view = experts.view_index(params[1:4])
            landmarks = pdm.landmarks_2d(params)
            reference = pdm.landmarks_2d(np.r_[experts.scale, np.zeros(5), params[6:]])
            img_to_ref = align_shapes_with_scale(landmarks, reference).astype(np.float32)
            ref_to_img = np.linalg.inv(img_to_ref.astype(np.float64)).astype(np.float32)
            visible = np.flatnonzero(experts.visible(view))
            areas = np.empty((visible.size, window + 10, window + 10), np.float32)
            start = time.perf_counter()
            warp.areas_of_interest(image, np.ascontiguousarray(landmarks[visible]),
                                   ref_to_img[0, 0], -ref_to_img[0, 1], areas)
            sums["warp"] += time.perf_counter() - start
            maps = np.empty((visible.size, window, window), np.float32)
            inputs = experts.view_inputs(view)
            sigmas = experts.sigmas(view, window)
            start = time.perf_counter()
            ccnf.responses(areas, inputs.weights, inputs.alpha2, sigmas, 11, 11, maps)
            sums["responses"] += time.perf_counter() - start
            responses = np.zeros((68, window, window), np.float32)
            responses[visible] = maps
            sigma, reg, weight = settings.at_scale(experts.scale)
            table = kde_table(window, float(np.float32(-0.5 / float(sigma * sigma))))
            shifts = np.empty((68, 2), np.float32)
            centre = np.full((68, 2), (window - 1) // 2, np.float32)
            start = time.perf_counter()
            for _ in range(10):                        # two phases of 5 iterations
                meanshift.mean_shifts(responses, centre, table, shifts)
            sums["mean-shift"] += time.perf_counter() - start
            common = dict(model=model, responses=responses, base_shape=landmarks,
                          img_to_ref=img_to_ref.astype(np.float64),
                          ref_to_img=ref_to_img.astype(np.float64), view=view,
                          scale_index=index, sigma=sigma, reg_factor=reg,
                          weight_factor=weight, settings=settings)
            start = time.perf_counter()
            params = nu_rlms(params=params, rigid=True, **common)["params"]
            params = nu_rlms(params=params, rigid=False, likelihood=index == 2,
                             **common)["params"]
            sums["NU-RLMS (incl. mean-shift)"] += time.perf_counter() - start
        for key, value in sums.items():
            totals[key].append(value)
    return {key: statistics.median(values) * 1e3 for key, values in totals.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--twin-repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.json:                                       # the child process
        print(json.dumps(time_fits(args.twin_repeat)))
        return

    from cyclnf import kernels
    compiled = time_fits(args.repeat)
    child = subprocess.run([sys.executable, __file__, "--json", "--twin-repeat",
                            str(args.twin_repeat)], capture_output=True, text=True,
                           env={**os.environ, "CYCLNF_KERNELS": "numpy"}, check=True)
    twins = json.loads(child.stdout.strip().splitlines()[-1])
    titles = {"main": "main-model fit (cyclnf.fitting.fit)",
              "full": "CLNF.fit: main model, parts, validator, pose (OpenFace C++: 15-22 ms)"}
    for kind, title in titles.items():
        print(f"{title}, from the reference box, one thread (AVX2 path: "
              f"{kernels.ccnf.uses_avx2()}), median ms per image:")
        print(f"  {'image':28s} {'compiled':>9s} {'NumPy twins':>12s} {'ratio':>7s}")
        ours, theirs = compiled[kind], twins[kind]
        for name in ours:
            print(f"  {name:28s} {ours[name] * 1e3:9.2f} {theirs[name] * 1e3:12.1f} "
                  f"{theirs[name] / ours[name]:6.1f}x")
        c, t = statistics.median(ours.values()), statistics.median(theirs.values())
        print(f"  {'median':28s} {c * 1e3:9.2f} {t * 1e3:12.1f} {t / c:6.1f}x\n")
    print("(OpenFace C++ 2.2, one thread, same kind of machine: 15-22 ms per face for the "
          "full fit; ../shared/reference/openface_cpp/README.md)")
    print("\nstages of one compiled fit (lfpw_trainset_image_0002), median ms:")
    for stage, ms in stage_breakdown(args.repeat).items():
        print(f"  {stage:28s} {ms:7.3f}")


if __name__ == "__main__":
    main()

"""PDM kernels, compiled against their NumPy twins, side by side in one run.

Times one shape + projection + full Jacobian of the 68-point PDM (the work of one
Gauss-Newton step's model side), and a whole params_from_landmarks fit on an annotated
face, single-threaded.

    OPENFACE_MODELS_DIR=../shared/openface-models python benchmarks/bench_pdm.py
"""

from __future__ import annotations

import statistics
import time

import numpy as np


def best_of(function, repeat: int = 7, number: int = 200) -> float:
    """Median seconds per call."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            function()
        times.append((time.perf_counter() - start) / number)
    return statistics.median(times)


def main() -> None:
    from cyclnf import PDM
    from cyclnf.kernels import load

    pdm = PDM.load()
    params = pdm.params_from_bbox([100, 100, 200, 200], [0.1, -0.2, 0.05])
    params[6:] = np.sqrt(pdm.eigen_values) * 0.5
    shape3d = np.empty((68, 3))
    projected = np.empty((68, 2))
    J = np.empty((136, 40))
    rows = []
    for backend in ("compiled", "numpy"):
        k = load("pdm", backend)

        def step():
            k.shape_3d(pdm.mean_3d, pdm.basis_3d, params[6:], shape3d)
            k.project(shape3d, params[:6], projected)
            k.jacobian(shape3d, pdm.basis_3d, params[:6], J)
        rows.append((backend, best_of(step)))
    print("shape + projection + Jacobian, 68 points, 34 modes (median per call):")
    for backend, seconds in rows:
        print(f"  {backend:9s} {seconds * 1e6:8.1f} us")
    print(f"  compiled is {rows[1][1] / rows[0][1]:.1f}x the NumPy twin")

    landmarks = pdm.landmarks_2d(params) + np.random.default_rng(0).normal(0, 1.0, (68, 2))
    seconds = best_of(lambda: pdm.params_from_landmarks(landmarks), number=10)
    print(f"params_from_landmarks (OpenFace's CalcParams), one face: {seconds * 1e3:.2f} ms")


if __name__ == "__main__":
    main()

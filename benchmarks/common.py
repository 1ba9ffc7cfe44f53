"""What every benchmark needs: one thread, ../shared found, median timings.

Import this before NumPy or OpenCV: it pins BLAS, OpenMP and OpenCV to one thread (the
speed targets are single-threaded, like OpenFace C++'s reference figures) and points
OPENFACE_MODELS_DIR at ../shared/openface-models when it is not set.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

#: ../shared beside the checkout: models, annotated faces, videos, OpenFace's outputs.
SHARED = Path(os.environ.get("CYCLNF_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))
if not os.environ.get("OPENFACE_MODELS_DIR") and (SHARED / "openface-models" / "2.2.0").is_dir():
    os.environ["OPENFACE_MODELS_DIR"] = str(SHARED / "openface-models")

import cv2  # noqa: E402

cv2.setNumThreads(1)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def median_seconds(function: Callable[[], object], repeat: int, warmup: int = 1) -> float:
    """Median wall time of ``function()`` over ``repeat`` calls, after ``warmup`` calls."""
    for _ in range(warmup):
        function()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)

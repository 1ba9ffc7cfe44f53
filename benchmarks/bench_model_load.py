"""Model loading time, cold (parse OpenFace's files) and warm (memory-map the cache).

Loads every file of the default model (``clnf_general``: PDM, CCNF experts for three
scales, inner-face and eye parts, triangulation, validator) plus the MTCNN networks,
side by side in one run, with a fresh cache folder for each cold load.

    OPENFACE_MODELS_DIR=../shared/openface-models python benchmarks/bench_model_load.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time


def load_all(paths, models) -> float:
    start = time.perf_counter()
    for path in paths:
        models.load_file(path)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from cyclnf import models
    manifest = models.manifest()
    paths = manifest.model("clnf_general").files()
    paths += list(manifest.detector_files("mtcnn").values())
    size = sum(manifest.file(p).size for p in paths)

    cold, warm, per_file = [], [], {}
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as cache:
            os.environ["CYCLNF_CACHE_DIR"] = cache
            cold.append(load_all(paths, models))
            warm.append(load_all(paths, models))
            for path in paths:
                start = time.perf_counter()
                models.load_file(path)
                per_file.setdefault(path, []).append(time.perf_counter() - start)

    print(f"{len(paths)} files, {size / 1e6:.1f} MB: clnf_general with parts and validator, "
          "and MTCNN")
    print(f"cold (parse + write cache): median {statistics.median(cold) * 1e3:7.1f} ms")
    print(f"warm (memory-mapped cache): median {statistics.median(warm) * 1e3:7.1f} ms")
    print(f"ratio cold / warm: {statistics.median(cold) / statistics.median(warm):.0f}x")
    print("warm, per file (median ms):")
    for path, times in per_file.items():
        print(f"  {statistics.median(times) * 1e3:6.2f}  {path.rsplit('/', 1)[-1]}")


if __name__ == "__main__":
    main()

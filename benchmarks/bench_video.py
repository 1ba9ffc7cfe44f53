"""Video throughput: frames per second per core, and what a second worker adds.

- One video at a time, one thread: ``cyclnf.batch.process_video`` (decoding, tracking with
  the validator, CSV writing) on bbaf2n.mpg (GRID, 360 x 288) and short_hamilton_clip.mp4
  (640 x 360, cuts and re-detections); frames per second of wall time.
- An archive: ``run_batch`` over the GRID clips with 1 worker and with 2 (fresh output
  folders), wall time and the speed-up. The machine's cores bound it (2 here).

    python benchmarks/bench_video.py
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from common import SHARED  # noqa: E402  (one thread, ../shared)

CLIPS = {"bbaf2n.mpg (GRID)": SHARED / "data" / "video" / "grid_lipnet" / "bbaf2n.mpg",
         "short_hamilton_clip.mp4": SHARED / "data" / "video" / "face_recognition" /
         "short_hamilton_clip.mp4"}
GRID_DIR = SHARED / "data" / "video" / "grid_lipnet"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from cyclnf.batch import BatchConfig, process_video, run_batch
    config = BatchConfig()
    work = Path(tempfile.mkdtemp(prefix="cyclnf-bench-video-"))
    try:
        process_video(CLIPS["bbaf2n.mpg (GRID)"], work / "warm.csv", config)  # load models
        print("one video, one thread (decode + track + validate + CSV):")
        for name, path in CLIPS.items():
            rates = []
            for i in range(args.repeat):
                record = process_video(path, work / f"{i}.csv", config)
                rates.append(record["frames"] / record["seconds"])
            print(f"  {name:28s} {record['frames']:4d} frames  "
                  f"{statistics.median(rates):7.1f} frames/s per core")

        archive = work / "archive"
        archive.mkdir()
        clips = sorted(GRID_DIR.glob("*.mpg"))
        for clip in clips:
            (archive / clip.name).symlink_to(clip)
        walls = {}
        for workers in (1, 2):
            start = time.perf_counter()
            summary = run_batch(archive, work / f"out{workers}", config, workers=workers,
                                progress=False)
            walls[workers] = time.perf_counter() - start
            print(f"\nbatch of {len(clips)} GRID clips, {workers} worker(s): "
                  f"{walls[workers]:.1f} s wall, {summary.frames / walls[workers]:.1f} frames/s "
                  f"({summary.done} done, {summary.failed} failed)")
        print(f"speed-up of 2 workers over 1: {walls[1] / walls[2]:.2f}x "
              f"({os.cpu_count()} cores; each worker process loads the models once)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

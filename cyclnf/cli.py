"""The ``cyclnf`` command: facial landmarks and head pose from images, videos and archives.

    cyclnf image PHOTO.jpg ... -o OUT_DIR
    cyclnf video CLIP.mp4 -o CLIP.csv
    cyclnf batch ARCHIVE_DIR -o OUT_DIR --workers 4
    cyclnf download-models
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

from ._version import __version__

DESCRIPTION = """\
cyclnf finds 68 facial landmarks and the head pose in photos and videos with OpenFace
2.2's CLNF model, and writes them as OpenFace-style CSV files (one row per face or
frame: confidence, success, head pose, 2D and 3D landmarks, model parameters).

OpenFace's model files are needed once: run 'cyclnf download-models' (it shows
OpenFace's licence, which allows non-commercial research use only, and asks you to
accept it)."""

EPILOG = """\
examples:
  cyclnf image face.jpg -o results/            results/face.csv (one row per face)
  cyclnf video session01.mp4 -o session01.csv
  cyclnf batch /data/archive -o /data/landmarks --workers 4
      every video under /data/archive, each to /data/landmarks/<same path>.csv;
      run it again after an interruption and it continues where it stopped.

exit status: 0 when everything succeeded, 1 when any file failed, 2 for wrong usage."""


def _common(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("model options")
    group.add_argument("--models-dir", metavar="FOLDER",
                       help="folder holding OpenFace's model files (containing "
                            "2.2.0/originals); default $OPENFACE_MODELS_DIR or your user "
                            "data folder")
    group.add_argument("--wild", action="store_true",
                       help="OpenFace's in-the-wild mode: slower, better on difficult "
                            "faces (turned heads, poor light)")
    group.add_argument("--detector", choices=("mtcnn", "haar"), default="mtcnn",
                       help="face detector (default: mtcnn, OpenFace's)")
    group.add_argument("--no-validator", action="store_true",
                       help="do not check fits with OpenFace's validator (faster; "
                            "confidence is then 1 for every completed fit)")
    group.add_argument("--threads", type=int, default=1, metavar="N",
                       help="threads per process (default 1)")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress bars or summaries")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cyclnf", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"cyclnf {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    image = commands.add_parser(
        "image", help="landmarks of every face in photos",
        description="Find every face in each photo and write OUT_DIR/<photo name>.csv, one "
                    "row per face (OpenFace FaceLandmarkImg's columns).",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    image.add_argument("paths", nargs="+", metavar="PATH", help="photo files")
    image.add_argument("-o", "--output", required=True, metavar="OUT_DIR",
                       help="folder for the CSV files")
    image.add_argument("--overlay", action="store_true",
                       help="also write OUT_DIR/<name>.overlay.jpg with the landmarks drawn")
    _common(image)

    video = commands.add_parser(
        "video", help="track the face through one video",
        description="Track the face through a video and write one row per frame (OpenFace "
                    "FeatureExtraction's columns).")
    video.add_argument("path", metavar="PATH", help="video file")
    video.add_argument("-o", "--output", required=True, metavar="OUT.csv",
                       help="the CSV file to write")
    video.add_argument("--overlay", metavar="OUT.mp4",
                       help="also write a video with the landmarks drawn")
    _common(video)

    batch = commands.add_parser(
        "batch", help="every video in a folder tree, resumable and in parallel",
        description="Process every video under ARCHIVE_DIR (searched recursively by file "
                    "extension) into OUT_DIR/<path relative to ARCHIVE_DIR>.csv. Outputs "
                    "appear only when complete; a re-run skips finished videos, so an "
                    "interrupted batch continues where it stopped. A video that cannot be "
                    "read is recorded as failed and the batch goes on. Every outcome is "
                    "logged in OUT_DIR/cyclnf_batch_log.jsonl.")
    batch.add_argument("archive", metavar="ARCHIVE_DIR", help="folder of videos")
    batch.add_argument("-o", "--output", required=True, metavar="OUT_DIR",
                       help="folder for the CSV files (created if needed)")
    batch.add_argument("--workers", type=int, default=1, metavar="N",
                       help="videos processed at once, one process each (default 1)")
    batch.add_argument("--dask-scheduler", metavar="ADDRESS",
                       help="run on a Dask cluster (tcp://host:8786), or 'local' for a local "
                            "cluster of --workers processes; needs 'pip install cyclnf[dask]'")
    batch.add_argument("--ext", action="append", metavar=".EXT",
                       help="a video file extension to include (repeatable; default: common "
                            "video extensions)")
    batch.add_argument("--overlay", action="store_true",
                       help="also write <name>.overlay.mp4 beside each CSV")
    _common(batch)

    commands.add_parser(
        "download-models", add_help=False,
        help="download OpenFace's model files (asks you to accept their licence)")
    return parser


def _clnf_kwargs(args) -> dict:
    kwargs = dict(detector=args.detector, use_validator=not args.no_validator,
                  n_threads=args.threads)
    if args.models_dir:
        kwargs["model_dir"] = args.models_dir
    if args.wild:
        kwargs["convergence_profile"] = "wild"
    return kwargs


def _say(args, message: str) -> None:
    if not args.quiet:
        print(message, file=sys.stderr)


def _run_image(args) -> int:
    import cv2
    import numpy as np

    from .clnf import CLNF
    from .overlay import draw_landmarks
    from .openface_csv import IMAGE_COLUMNS, OpenFaceCSVWriter

    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    clnf = CLNF(track=False, **_clnf_kwargs(args))
    from .batch import progress_bar
    failed = faces = 0
    started = time.perf_counter()
    bar = progress_bar(len(args.paths), False if args.quiet else None, "image")
    for name in args.paths:
        bar.update(1)
        path = Path(name)
        image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED) if path.is_file() else None
        if image is None:
            _say(args, f"failed: {path} cannot be read as an image")
            failed += 1
            continue
        if image.ndim == 3 and image.shape[2] == 4:
            image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
        try:
            results = clnf.detect_and_fit(image, return_all_faces=True, return_params=True)
        except (ValueError, TypeError) as exc:
            _say(args, f"failed: {path}: {exc}")
            failed += 1
            continue
        target = out / f"{path.stem}.csv"
        with open(target, "w", newline="") as f:
            writer = OpenFaceCSVWriter(f, eye_landmarks=clnf.use_eye_refinement,
                                       leading=IMAGE_COLUMNS)
            for face_id, (landmarks, info) in enumerate(results):
                writer.write(landmarks, info, face_id=face_id)
        if args.overlay:
            drawn = image if image.ndim == 3 else cv2.cvtColor(
                np.clip(image, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)
            for landmarks, info in results:
                drawn = draw_landmarks(drawn, landmarks, info["success"])
            cv2.imwrite(str(out / f"{path.stem}.overlay.jpg"), drawn)
        faces += len(results)
        if not results:
            _say(args, f"no face found in {path}")
    bar.close()
    _say(args, f"{len(args.paths) - failed} images done, {failed} failed; {faces} faces "
               f"in {time.perf_counter() - started:.1f} s")
    return 1 if failed else 0


def _run_video(args) -> int:
    from .batch import BatchConfig, process_video

    output = Path(args.output)
    record = process_video(args.path, output, BatchConfig.make(**_clnf_kwargs(args)),
                           overlay_path=args.overlay, progress=False if args.quiet else None)
    if record["status"] != "done":
        _say(args, f"failed: {args.path}: {record['reason']}")
        return 1
    _say(args, f"{record['frames']} frames ({record['success_frames']} tracked with "
               f"confidence, {record['skipped_frames']} undecodable) in {record['seconds']:.1f}"
               f" s ({record['fps']:.1f} frames/s) -> {output}")
    return 0


def _run_batch(args) -> int:
    from .batch import VIDEO_EXTENSIONS, BatchConfig, run_batch

    config = BatchConfig.make(overlay=args.overlay, **_clnf_kwargs(args))
    summary = run_batch(args.archive, args.output, config, workers=args.workers,
                        dask_scheduler=args.dask_scheduler,
                        extensions=tuple(args.ext) if args.ext else VIDEO_EXTENSIONS,
                        progress=False if args.quiet else None)
    for record in summary.records:
        if record["status"] != "done":
            _say(args, f"failed: {record['video']}: {record['reason']}")
    _say(args, summary.text())
    return 1 if summary.failed else 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["download-models"]:
        from .models.download import main as download_main
        return download_main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    logging.basicConfig(level=logging.WARNING, format="cyclnf: %(message)s")
    if getattr(args, "threads", 1) < 1 or getattr(args, "workers", 1) < 1:
        parser.error("--threads and --workers must be at least 1")
    from .models import ModelsNotInstalledError
    try:
        return {"image": _run_image, "video": _run_video, "batch": _run_batch}[args.command](args)
    except ModelsNotInstalledError as exc:
        print(f"cyclnf: {exc}", file=sys.stderr)
        return 1
    except (FileNotFoundError, NotADirectoryError, ValueError) as exc:
        print(f"cyclnf: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

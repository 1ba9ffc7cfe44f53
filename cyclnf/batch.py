"""Archives of video in, one OpenFace-style CSV per video out: resumable, failure-isolated,
parallel on one machine or on a Dask cluster.

- :func:`plan` finds the videos under an archive folder (recursively, by extension) and
  maps each to ``OUT_DIR/<path relative to the archive, extension replaced by .csv>``.
- :func:`process_video` tracks one video into its CSV. The CSV is written under a
  temporary name and renamed into place only when complete, so a crash never leaves a
  half file that looks finished. A video that cannot be read is reported as failed, never
  raised: one bad file does not stop the archive.
- :func:`run_batch` runs the plan: finished outputs are skipped (so a re-run resumes where
  a killed run stopped), the rest are processed in this process, in worker processes
  (``workers``, models loaded once per worker) or on a Dask cluster (``dask_scheduler``),
  with the same per-video function. Every outcome is appended to a log
  (:data:`LOG_NAME`, one JSON object per line) in the output folder.
"""

from __future__ import annotations

import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

#: Extensions taken as video (case-insensitive).
VIDEO_EXTENSIONS = (".mp4", ".m4v", ".mov", ".avi", ".mkv", ".mpg", ".mpeg", ".wmv", ".webm",
                    ".flv", ".mts", ".m2ts", ".ts", ".3gp", ".ogv")
#: The batch log in the output folder.
LOG_NAME = "cyclnf_batch_log.jsonl"
#: Temporary outputs are named ``.<name>.<pid>.partial<suffix>``; leftovers of a killed
#: run are removed on the next run.
PARTIAL_MARK = ".partial"
#: Environment that keeps each worker on one core (the workers are the parallelism).
ONE_THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                  "MKL_NUM_THREADS": "1", "VECLIB_MAXIMUM_THREADS": "1"}


@dataclass(frozen=True)
class VideoJob:
    """One video of an archive and where its CSV goes."""

    source: Path
    output: Path
    relative: str


@dataclass(frozen=True)
class BatchConfig:
    """How each video is processed: :class:`cyclnf.CLNF`'s arguments and the outputs.

    Attributes
    ----------
    clnf_kwargs : tuple of (name, value)
        Keyword arguments for :class:`cyclnf.CLNF` (hashable, so workers can cache it).
    overlay : bool
        Also write ``<output>.overlay.mp4`` with the landmarks drawn.
    """

    clnf_kwargs: Tuple[Tuple[str, object], ...] = ()
    overlay: bool = False

    @classmethod
    def make(cls, overlay: bool = False, **clnf_kwargs) -> "BatchConfig":
        return cls(tuple(sorted(clnf_kwargs.items())), overlay)


@dataclass
class BatchSummary:
    """What a batch run did."""

    done: int = 0
    skipped: int = 0
    failed: int = 0
    frames: int = 0
    seconds: float = 0.0
    records: List[dict] = field(default_factory=list)

    @property
    def frames_per_second(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0

    def text(self) -> str:
        """A one-paragraph summary for people."""
        return (f"{self.done} videos done, {self.skipped} already done (skipped), "
                f"{self.failed} failed; {self.frames} frames in {self.seconds:.1f} s "
                f"({self.frames_per_second:.1f} frames/s)")


# ---------------------------------------------------------------------------- planning

def find_videos(folder: "os.PathLike[str] | str",
                extensions: Sequence[str] = VIDEO_EXTENSIONS,
                exclude: Optional[Path] = None) -> List[Path]:
    """Video files under ``folder``, recursively, sorted; nothing under ``exclude``."""
    root = Path(folder)
    if not root.is_dir():
        raise NotADirectoryError(f"archive folder not found: {root}")
    wanted = {e.lower() if e.startswith(".") else "." + e.lower() for e in extensions}
    excluded = exclude.resolve() if exclude is not None else None
    found = []
    for path in root.rglob("*"):
        if path.suffix.lower() not in wanted or not path.is_file():
            continue
        if excluded is not None and excluded in path.resolve().parents:
            continue
        found.append(path)
    return sorted(found)


def output_path(out_dir: Path, relative: Path) -> Path:
    """``out_dir/<relative with its extension replaced by .csv>``."""
    return Path(out_dir) / Path(relative).with_suffix(".csv")


def plan(archive_dir: "os.PathLike[str] | str", out_dir: "os.PathLike[str] | str",
         extensions: Sequence[str] = VIDEO_EXTENSIONS) -> List[VideoJob]:
    """Every video of an archive with its output CSV.

    Raises
    ------
    ValueError
        Two videos would write the same CSV (``a.mp4`` and ``a.avi`` in one folder).
    """
    root, out = Path(archive_dir), Path(out_dir)
    jobs, seen = [], {}
    for source in find_videos(root, extensions, exclude=out):
        relative = source.relative_to(root)
        target = output_path(out, relative)
        if target in seen:
            raise ValueError(f"{seen[target]} and {relative} would both write {target}; "
                             "rename one of them")
        seen[target] = relative
        jobs.append(VideoJob(source, target, relative.as_posix()))
    return jobs


# ---------------------------------------------------------------------------- one video

_CLNF_CACHE: Dict[Tuple, object] = {}


def _clnf_for(config: BatchConfig):
    """This process's CLNF for a configuration (models loaded once per process)."""
    clnf = _CLNF_CACHE.get(config.clnf_kwargs)
    if clnf is None:
        from .clnf import CLNF
        clnf = CLNF(**dict(config.clnf_kwargs))
        _CLNF_CACHE[config.clnf_kwargs] = clnf
    return clnf


def _partial_name(path: Path) -> Path:
    """A temporary name beside ``path`` that keeps its extension (OpenCV's writer needs it)."""
    return path.with_name(f".{path.name}.{os.getpid()}{PARTIAL_MARK}{path.suffix}")


def _write_atomically(target: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(temporary_path)``, then move the file onto ``target`` in one step."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = _partial_name(target)
    try:
        write(temporary)
        os.replace(temporary, target)
    finally:
        if temporary.exists():
            temporary.unlink()


def process_video(source: "os.PathLike[str] | str", output: "os.PathLike[str] | str",
                  config: BatchConfig = BatchConfig(),
                  overlay_path: "Optional[os.PathLike[str] | str]" = None,
                  progress: Optional[bool] = False) -> dict:
    """Track one video into an OpenFace-style CSV, written atomically.

    Parameters
    ----------
    source, output : path
        The video, and the CSV to write.
    config : BatchConfig
    overlay_path : path, optional
        Where to write the video with the landmarks drawn (default, with
        ``config.overlay``: ``<output>.overlay.mp4``).
    progress : bool, optional
        A progress bar over the frames (None: when standard error is a terminal).

    Returns
    -------
    dict
        ``status`` (``"done"`` or ``"failed"``), ``source``, ``output``, ``frames``
        (rows written), ``success_frames``, ``skipped_frames`` (undecodable), ``seconds``,
        ``fps`` (video frames per second of processing) and, when failed, ``reason``.
        Never raises for a bad video.
    """
    from .overlay import draw_landmarks, video_writer
    from .openface_csv import OpenFaceCSVWriter
    from .video import VideoError, VideoReader

    source, output = Path(source), Path(output)
    started = time.perf_counter()
    record = {"source": str(source), "output": str(output), "frames": 0, "success_frames": 0,
              "skipped_frames": 0}

    if overlay_path is None and config.overlay:
        overlay_path = output.with_suffix(".overlay.mp4")
    overlay_path = Path(overlay_path) if overlay_path is not None else None

    def write(csv_path: Path) -> None:
        clnf = _clnf_for(config)
        overlay_temporary = _partial_name(overlay_path) if overlay_path else None
        with VideoReader(source) as reader, open(csv_path, "w", newline="") as f:
            writer = OpenFaceCSVWriter(f, eye_landmarks=bool(clnf.use_eye_refinement))
            overlay = None
            bar = progress_bar(reader.frame_count, progress, "frame", source.name)
            try:
                for frame, landmarks, info in clnf.track_frames(reader):
                    bar.update(1)
                    writer.write(landmarks, info, frame.index + 1, frame.timestamp)
                    record["success_frames"] += bool(info.get("success"))
                    if overlay_temporary is not None:
                        if overlay is None:
                            overlay = video_writer(overlay_temporary, frame.image.shape,
                                                    reader.fps or 25.0)
                        overlay.write(frame.image if landmarks is None else draw_landmarks(
                            frame.image, landmarks, bool(info.get("success"))))
            finally:
                bar.close()
                if overlay is not None:
                    overlay.release()
            record["frames"] = writer.rows
            record["skipped_frames"] = reader.skipped
            if writer.rows == 0:
                raise VideoError(f"{source} has no frame that can be decoded")
            f.flush()
            os.fsync(f.fileno())
        if overlay_temporary is not None and overlay_temporary.exists():
            os.replace(overlay_temporary, overlay_path)

    try:
        _write_atomically(output, write)
        record["status"] = "done"
    except Exception as exc:           # one bad video must not stop an archive
        record.update(status="failed", reason=f"{type(exc).__name__}: {exc}")
        if overlay_path is not None:
            _partial_name(overlay_path).unlink(missing_ok=True)
    record["seconds"] = round(time.perf_counter() - started, 3)
    record["fps"] = round(record["frames"] / record["seconds"], 2) if record["seconds"] else 0.0
    return record


# ---------------------------------------------------------------------------- the log

class BatchLog:
    """An append-only JSON-lines log; each record is flushed to disk before it counts."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def append(self, record: dict) -> None:
        line = json.dumps(record, sort_keys=True) + "\n"
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())

    def records(self) -> List[dict]:
        """Every complete record (a line cut off by a crash is ignored)."""
        if not self.path.is_file():
            return []
        out = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return out


def remove_partial_outputs(out_dir: Path) -> int:
    """Delete temporary files a killed run left behind; how many there were."""
    count = 0
    for path in Path(out_dir).rglob(f".*{PARTIAL_MARK}*"):
        path.unlink()
        count += 1
    return count


# ---------------------------------------------------------------------------- the batch

def progress_bar(total: int, enabled: Optional[bool], unit: str = "video", description: str = ""):
    """A tqdm progress bar on standard error when it is a terminal (``enabled=None``), or
    as asked; a disabled bar costs nothing."""
    from tqdm import tqdm
    disable = (not sys.stderr.isatty()) if enabled is None else not enabled
    return tqdm(total=total or None, unit=unit, desc=description or None, disable=disable,
                dynamic_ncols=True, leave=False)


def _in_process(jobs: List[VideoJob], config: BatchConfig) -> Iterable[dict]:
    for job in jobs:
        yield process_video(job.source, job.output, config)


def _with_workers(jobs: List[VideoJob], config: BatchConfig, workers: int) -> Iterable[dict]:
    saved = {k: os.environ.get(k) for k in ONE_THREAD_ENV}
    os.environ.update(ONE_THREAD_ENV)            # inherited by the workers
    try:
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            futures = [pool.submit(process_video, job.source, job.output, config)
                       for job in jobs]
            for future in as_completed(futures):
                yield future.result()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _with_dask(jobs: List[VideoJob], config: BatchConfig, scheduler: str,
               workers: int) -> Iterable[dict]:
    try:
        from dask.distributed import Client, LocalCluster, as_completed as dask_completed
    except ImportError:
        raise ImportError("--dask-scheduler needs Dask: pip install 'cyclnf[dask]'") from None
    cluster = None
    if scheduler == "local":
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, env=dict(ONE_THREAD_ENV))
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        futures = [client.submit(process_video, str(job.source), str(job.output), config,
                                 pure=False) for job in jobs]
        for future in dask_completed(futures):
            yield future.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run_batch(archive_dir: "os.PathLike[str] | str", out_dir: "os.PathLike[str] | str",
              config: BatchConfig = BatchConfig(), workers: int = 1,
              dask_scheduler: Optional[str] = None,
              extensions: Sequence[str] = VIDEO_EXTENSIONS,
              progress: Optional[bool] = None) -> BatchSummary:
    """Process every video of an archive that has no finished output yet.

    Parameters
    ----------
    archive_dir, out_dir : path
    config : BatchConfig
    workers : int
        Worker processes (1: this process); with ``dask_scheduler="local"``, the local
        cluster's workers.
    dask_scheduler : str, optional
        A Dask scheduler's address (``tcp://host:8786``), or ``"local"`` for a local
        cluster; the same per-video function runs on its workers.
    progress : bool, optional
        Show a progress bar (None: when standard error is a terminal).

    Returns
    -------
    BatchSummary
    """
    if int(workers) != workers or workers < 1:
        raise ValueError(f"workers must be a positive whole number, got {workers}")
    out = Path(out_dir)
    jobs = plan(archive_dir, out, extensions)
    out.mkdir(parents=True, exist_ok=True)
    remove_partial_outputs(out)
    log = BatchLog(out / LOG_NAME)
    summary = BatchSummary()
    todo = []
    for job in jobs:
        if job.output.is_file():
            summary.skipped += 1
        else:
            todo.append(job)
    started = time.perf_counter()
    if dask_scheduler:
        results = _with_dask(todo, config, dask_scheduler, workers)
    elif workers > 1 and len(todo) > 1:
        results = _with_workers(todo, config, workers)
    else:
        results = _in_process(todo, config)
    relative = {str(job.source): job.relative for job in todo}
    with progress_bar(len(todo), progress) as bar:
        for record in results:
            record["video"] = relative.get(record["source"], record["source"])
            record["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
            log.append(record)
            summary.records.append(record)
            if record["status"] == "done":
                summary.done += 1
                summary.frames += record["frames"]
            else:
                summary.failed += 1
            bar.set_postfix_str(f"{summary.failed} failed", refresh=False)
            bar.update(1)
    summary.seconds = time.perf_counter() - started
    return summary

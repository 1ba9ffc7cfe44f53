"""Archives: one CSV per video, atomic, resumable after SIGKILL, failure-isolated, parallel."""

import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from cyclnf.batch import (LOG_NAME, BatchConfig, BatchLog, output_path, plan,
                          process_video, run_batch)
from conftest import SHARED

GRID = sorted((SHARED / "data" / "video" / "grid_lipnet").glob("*.mpg"))
#: Batch machinery, not fidelity, is under test: the Haar cascade starts the fits.
CONFIG = BatchConfig.make(detector="haar", use_validator=False)
CLI_OPTIONS = ["--detector", "haar", "--no-validator", "-q"]


def _archive(root: Path, clips, extra=()):
    """An archive with nested folders: <root>/s<i % 3>/<name> links to the GRID clips."""
    for i, clip in enumerate(clips):
        folder = root / f"s{i % 3}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / clip.name).symlink_to(clip)
    for name, content in extra:
        (root / name).write_bytes(content)
    return root


def _rows(path: Path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _check_complete(out: Path, archive: Path, n_videos: int):
    """Every video has one whole CSV: 75 frames numbered 1..75, nothing left half-written."""
    outputs = sorted(out.rglob("*.csv"))
    assert len(outputs) == n_videos
    for path in outputs:
        rows = _rows(path)
        assert [int(r["frame"]) for r in rows] == list(range(1, 76)), path
    assert not [p for p in out.rglob("*") if ".partial" in p.name]
    expected = {output_path(out, p.relative_to(archive)) for p in archive.rglob("*.mpg")}
    assert set(outputs) == expected


def test_plan_maps_each_video_to_a_csv_beside_its_relative_path(tmp_path, shared_data):
    archive = _archive(tmp_path / "archive", GRID[:4], [("notes.txt", b"x"), ("UPPER.MPG", b"")])
    jobs = plan(archive, tmp_path / "out")
    assert [j.relative for j in jobs] == sorted(j.relative for j in jobs)
    assert "UPPER.MPG" in [j.relative for j in jobs]              # extensions ignore case
    assert all(j.output == tmp_path / "out" / Path(j.relative).with_suffix(".csv") for j in jobs)
    (archive / "s0" / "bbaf2n.avi").write_bytes(b"")
    with pytest.raises(ValueError, match="both write"):
        plan(archive, tmp_path / "out")


def test_an_output_folder_inside_the_archive_is_not_searched(tmp_path, shared_data):
    archive = _archive(tmp_path / "archive", GRID[:1])
    (archive / "out").mkdir()
    (archive / "out" / "old.mp4").write_bytes(b"")
    assert len(plan(archive, archive / "out")) == 1


def test_bad_files_fail_alone_and_the_batch_goes_on(tmp_path, shared_data):
    archive = _archive(tmp_path / "archive", GRID[:2], [
        ("truncated.mpg", GRID[0].read_bytes()[:150_000]), ("notes.mp4", b"meeting notes\n" * 50)])
    summary = run_batch(archive, tmp_path / "out", CONFIG, progress=False)
    by_video = {r["video"]: r for r in summary.records}
    assert by_video["notes.mp4"]["status"] == "failed"
    assert "cannot be read as a video" in by_video["notes.mp4"]["reason"]
    assert by_video["truncated.mpg"]["status"] == "done"
    assert 0 < by_video["truncated.mpg"]["frames"] < 75
    assert (summary.done, summary.failed) == (3, 1)
    assert not (tmp_path / "out" / "notes.csv").exists()
    log = BatchLog(tmp_path / "out" / LOG_NAME).records()
    assert sorted(r["video"] for r in log) == sorted(by_video)
    assert all({"status", "frames", "seconds", "source"} <= set(r) for r in log)


def test_a_rerun_skips_finished_videos_and_redoes_missing_ones(tmp_path, shared_data):
    archive = _archive(tmp_path / "archive", GRID[:3])
    out = tmp_path / "out"
    first = run_batch(archive, out, CONFIG, progress=False)
    assert (first.done, first.skipped) == (3, 0)
    victim = sorted(out.rglob("*.csv"))[0]
    stamp = {p: p.stat().st_mtime_ns for p in out.rglob("*.csv") if p != victim}
    victim.unlink()
    (out / "s0" / ".leftover.csv.123.partial.csv").write_text("half")
    second = run_batch(archive, out, CONFIG, progress=False)
    assert (second.done, second.skipped, second.failed) == (1, 2, 0)
    assert victim.is_file()
    assert all(p.stat().st_mtime_ns == t for p, t in stamp.items())   # untouched
    _check_complete(out, archive, 3)


def test_a_batch_killed_part_way_then_rerun_loses_and_duplicates_nothing(tmp_path, shared_data):
    archive = _archive(tmp_path / "archive", GRID[:8])
    out = tmp_path / "out"
    command = [sys.executable, "-m", "cyclnf", "batch", str(archive), "-o", str(out),
               "--workers", "2", *CLI_OPTIONS]
    process = subprocess.Popen(command, cwd=tempfile.gettempdir(), start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if len(list(out.rglob("*.csv"))) >= 2:
            break
        time.sleep(0.05)
    assert process.poll() is None, "the batch finished before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)                 # the batch and its workers
    process.wait()
    finished = len(list(out.rglob("*.csv")))
    assert 2 <= finished < 8
    rerun = subprocess.run(command, cwd=tempfile.gettempdir(), capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    _check_complete(out, archive, 8)
    done = [r["video"] for r in BatchLog(out / LOG_NAME).records() if r["status"] == "done"]
    assert len(done) == len(set(done))                     # no video recorded twice
    assert len(done) >= 8 - finished


def test_workers_and_a_dask_cluster_give_the_same_csvs_as_one_process(tmp_path, shared_data):
    pytest.importorskip("dask.distributed", reason="Dask is an optional extra (cyclnf[dask])")
    archive = _archive(tmp_path / "archive", GRID[:4])
    one = run_batch(archive, tmp_path / "one", CONFIG, progress=False)
    two = run_batch(archive, tmp_path / "two", CONFIG, workers=2, progress=False)
    dask = run_batch(archive, tmp_path / "dask", CONFIG, workers=2, dask_scheduler="local",
                     progress=False)
    assert one.done == two.done == dask.done == 4
    for path in sorted((tmp_path / "one").rglob("*.csv")):
        relative = path.relative_to(tmp_path / "one")
        assert (tmp_path / "two" / relative).read_bytes() == path.read_bytes()
        assert (tmp_path / "dask" / relative).read_bytes() == path.read_bytes()


def test_process_video_reports_instead_of_raising(tmp_path, shared_data):
    record = process_video(tmp_path / "absent.mp4", tmp_path / "absent.csv", CONFIG)
    assert record["status"] == "failed" and "not found" in record["reason"]
    record = process_video(GRID[0], tmp_path / "x" / "ok.csv", CONFIG,
                           overlay_path=tmp_path / "x" / "ok.mp4")
    assert record["status"] == "done" and record["frames"] == 75
    assert (tmp_path / "x" / "ok.mp4").stat().st_size > 10_000
    assert json.dumps(record)                                      # loggable


def test_bad_worker_counts_are_refused(tmp_path, shared_data):
    with pytest.raises(ValueError, match="workers"):
        run_batch(tmp_path, tmp_path / "out", CONFIG, workers=0)


def test_progress_bars_show_when_asked_and_stay_quiet_otherwise(tmp_path, shared_data, capsys):
    process_video(GRID[0], tmp_path / "a.csv", CONFIG, progress=True)
    assert "frame" in capsys.readouterr().err
    process_video(GRID[0], tmp_path / "b.csv", CONFIG)             # default: no bar
    run_batch(_archive(tmp_path / "archive", GRID[:1]), tmp_path / "out", CONFIG)
    assert capsys.readouterr().err == ""                            # not a terminal here

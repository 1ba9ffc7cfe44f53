"""The CSV has OpenFace's columns, order and number formats."""

import csv
import io

import numpy as np

from cyclnf import openface_csv
from cyclnf.openface_csv import IMAGE_COLUMNS, OpenFaceCSVWriter, columns
from conftest import SHARED

REFERENCE = SHARED / "reference" / "openface_cpp"


def _without_gaze(header):
    return [h.strip() for h in header if not h.strip().startswith("gaze")]


def test_video_columns_are_feature_extractions_without_gaze(shared_data):
    header = openface_csv.read_header(REFERENCE / "video" / "bbaf2n_featureextraction_official.csv")
    assert columns() == _without_gaze(header)
    assert len(columns()) == 671


def test_image_columns_are_facelandmarkimgs_without_gaze(shared_data):
    header = openface_csv.read_header(
        REFERENCE / "images" / "facelandmarkimg_official_gtbbox_default.csv")
    # The reference generator added the image name in front of FaceLandmarkImg's columns.
    assert columns(leading=IMAGE_COLUMNS) == _without_gaze(header[1:])


def test_without_eye_parts_the_eye_columns_are_left_out():
    assert not any(c.startswith("eye_lmk") for c in columns(eye_landmarks=False))
    assert len(columns(eye_landmarks=False)) == 671 - 5 * 56


def _info():
    rng = np.random.default_rng(1)
    return {"confidence": 0.97512, "success": True, "fit_success": True,
            "head_pose": np.array([-28.51383, 60.32455, 365.68447, -0.0062365, -0.128526, -0.0301]),
            "landmarks_3d": rng.normal(size=(68, 3)) * 100,
            "eye_landmarks": rng.normal(size=(56, 2)) * 100,
            "eye_landmarks_3d": rng.normal(size=(56, 3)) * 100,
            "params": np.r_[0.78812, 0.179, 0.01, -0.02, 157.17549, 192.2531, rng.normal(size=34)]}


def test_rows_have_openfaces_number_formats():
    out = io.StringIO()
    writer = OpenFaceCSVWriter(out)
    landmarks = np.column_stack([np.linspace(100, 200, 68), np.linspace(50, 150, 68)])
    writer.write(landmarks, _info(), frame_number=1, timestamp=0.0333667)
    row = next(csv.DictReader(io.StringIO(out.getvalue())))
    assert (row["frame"], row["face_id"], row["timestamp"], row["confidence"], row["success"]) == \
        ("1", "0", "0.033", "0.98", "1")
    assert (row["pose_Tx"], row["pose_Rx"], row["x_0"], row["y_67"]) == ("-28.5", "-0.006", "100.0", "150.0")
    assert (row["p_scale"], row["p_tx"]) == ("0.788", "157.175")
    assert writer.rows == 1


def test_a_frame_without_a_face_is_zeros_and_failure():
    out = io.StringIO()
    OpenFaceCSVWriter(out).write(None, _info(), frame_number=7, timestamp=0.24)
    row = next(csv.DictReader(io.StringIO(out.getvalue())))
    assert (row["frame"], row["confidence"], row["success"]) == ("7", "0.00", "0")
    assert {row["x_0"], row["Z_67"], row["pose_Tz"], row["eye_lmk_x_0"]} == {"0.0"}
    assert {row["p_33"], row["p_scale"], row["pose_Rx"]} == {"0.000"}


def test_without_the_validator_a_completed_fit_has_full_confidence():
    info = dict(_info(), confidence=None)
    values = openface_csv.leading_values(openface_csv.VIDEO_COLUMNS, info, 1, 0.0)
    assert values[3:] == ["1.00", "1"]
    info.update(fit_success=False, success=False)
    assert openface_csv.leading_values(openface_csv.VIDEO_COLUMNS, info, 1, 0.0)[3:] == ["0.00", "0"]


def test_negative_zero_is_written_as_zero():
    assert openface_csv._fixed([-0.0001, -0.04, 0.06, -1.25], 1) == ["0.0", "0.0", "0.1", "-1.2"]

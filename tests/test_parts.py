"""OpenFace's hierarchical part models: loading, placement, and refinement against OpenFace."""

import cv2
import numpy as np
import pytest

from cyclnf.fitting import fit
from cyclnf.image import to_gray_uint8
from cyclnf.landmark_model import LandmarkModel
from cyclnf.parts import PART_SETTINGS, fit_part, load_parts, refine_with_parts
from conftest import SHARED
from reference import reference_faces

#: Faces whose main fit is large enough for the parts (scale > 0.9): OpenFace's final
#: landmarks there include the parts' refinement. Measured worst face mean 0.059 px
#: (breakingbad, a poor fit in OpenFace too), the others below 0.01 px.
PART_FACES_MEAN_PX = 0.1


@pytest.fixture(scope="module")
def model(models_root):
    return LandmarkModel.load("clnf_general")


@pytest.fixture(scope="module")
def parts(models_root):
    return load_parts("clnf_general")


def test_parts_and_mappings_are_openfaces(parts):
    assert [p.name for p in parts] == ["inner", "left_eye_28", "right_eye_28"]
    inner, left, right = parts
    assert inner.model.pdm.n_points == 51 and left.model.pdm.n_points == 28
    np.testing.assert_array_equal(inner.main_indices, np.arange(17, 68))
    np.testing.assert_array_equal(inner.part_indices, np.arange(51))
    np.testing.assert_array_equal(left.main_indices, np.arange(36, 42))
    np.testing.assert_array_equal(right.main_indices, np.arange(42, 48))
    np.testing.assert_array_equal(left.part_indices, [8, 10, 12, 14, 16, 18])
    assert [s.scale for s in left.model.scales] == [1.0, 1.5]
    assert inner.min_main_scale == pytest.approx(0.9)
    # OpenFace's CLNF::Read: eyes sigma 1, reg 0.5, windows 3/5/9; inner sigma 1.75, reg
    # 2.5, weight 2.5, window 9; never refined across scales.
    assert (PART_SETTINGS["left_eye_28"].sigma, PART_SETTINGS["left_eye_28"].reg_factor) == (1.0, 0.5)
    assert PART_SETTINGS["inner"].weight_factor == 2.5
    assert not any(s.refine_parameters for s in PART_SETTINGS.values())


def test_svr_model_has_only_eye_parts(models_root):
    assert [p.name for p in load_parts("clm_general")] == ["left_eye_28", "right_eye_28"]


def test_unknown_part_is_refused(models_root):
    with pytest.raises(ValueError, match="no part 'mouth'"):
        load_parts("clnf_general", ["mouth"])


def test_refinement_matches_openface_where_parts_run(model, parts, shared_data):
    faces = [f for f in reference_faces(SHARED, "gtbbox_default") if f.params[0] >= 0.9]
    assert {f.image for f in faces} == {"breakingbad", "lenna", "lfpw_trainset_image_0001",
                                       "lfpw_trainset_image_0002"}
    for face in faces:
        image = to_gray_uint8(cv2.imread(str(face.image_path(shared_data))))
        main = fit(model, image, model.pdm.params_from_bbox(face.bbox))
        before = np.linalg.norm(main.landmarks - face.landmarks, axis=1).mean()
        params, landmarks, part_fits = refine_with_parts(model.pdm, parts, image, main.params)
        after = np.linalg.norm(landmarks - face.landmarks, axis=1).mean()
        assert all(p.fitted for p in part_fits)
        assert after < PART_FACES_MEAN_PX, (face.image, after)
        # The parts moved the landmarks: without them cyclnf would be further from OpenFace.
        assert after < before, (face.image, before, after)
        np.testing.assert_allclose(model.pdm.landmarks_2d(params), landmarks)


def test_small_faces_only_place_the_parts(model, parts):
    image = np.zeros((200, 200), np.uint8)
    params = model.pdm.params_from_bbox((60, 60, 80, 80))      # scale well below 0.9
    landmarks = model.pdm.landmarks_2d(params)
    same_params, same_landmarks, part_fits = refine_with_parts(model.pdm, parts, image, params)
    np.testing.assert_array_equal(same_landmarks, landmarks)
    # Only the eyes are placed (their 56 landmarks are reported); the inner face is not.
    assert [p.name for p in part_fits] == ["left_eye_28", "right_eye_28"]
    assert not any(p.fitted for p in part_fits)
    # The eye PDM placed on the main eye points lands near them.
    left = part_fits[0]
    err = np.linalg.norm(left.landmarks[parts[1].part_indices] - landmarks[36:42], axis=1)
    assert err.max() < 1.0


def test_part_fit_on_a_large_face_moves_the_points(model, parts):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (400, 400), dtype=np.uint8)
    params = model.pdm.params_from_bbox((50, 50, 300, 300))
    assert params[0] > 0.9
    placed = fit_part(parts[1], image, model.pdm.landmarks_2d(params), 0.5)
    fitted = fit_part(parts[1], image, model.pdm.landmarks_2d(params), float(params[0]))
    assert not placed.fitted and fitted.fitted
    assert np.abs(fitted.landmarks - placed.landmarks).max() > 0.01

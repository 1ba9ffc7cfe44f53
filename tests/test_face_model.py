"""A whole face from a box (main model, parts, hypotheses) against OpenFace 2.2 C++."""

import cv2
import numpy as np
import pytest

from cyclnf.face_model import (DEFAULT_SETTINGS, ROTATION_HYPOTHESES, WILD_SETTINGS,
                               FaceModel)
from cyclnf.image import to_gray_uint8
from conftest import SHARED
from reference import reference_faces

#: OpenFace's final landmarks (after its part models) from the same box: cyclnf's must be
#: within 0.3 px mean on every face (the issue's bar). Measured, worst face mean: default
#: 0.059 px (breakingbad; all others below 0.01 px), wild 0.133 px (lfpw 0002; the rest
#: below 0.06 px). What remains is OpenFace's float32 against cyclnf's float64 arithmetic.
FACE_MEAN_PX = 0.3
#: ...and on average over all faces (measured: default 0.0026 px, wild 0.0063 px).
ALL_MEAN_PX = 0.02


@pytest.fixture(scope="module")
def model(models_root):
    return FaceModel.load(validator=False)


def _images(shared_data, config):
    faces = reference_faces(SHARED, config)
    return [(f, to_gray_uint8(cv2.imread(str(f.image_path(shared_data))))) for f in faces]


@pytest.mark.parametrize("config", ["gtbbox_default", "gtbbox_wild"])
def test_final_landmarks_match_openface(model, shared_data, config):
    wild = config.endswith("wild")
    errors = {}
    for face, image in _images(shared_data, config):
        result = model.detect_landmarks_in_box(
            image, face.bbox, WILD_SETTINGS if wild else DEFAULT_SETTINGS,
            ROTATION_HYPOTHESES if wild else ((0.0, 0.0, 0.0),))
        errors[f"{face.image}/{face.face}"] = np.linalg.norm(
            result.landmarks - face.landmarks, axis=1).mean()
    values = np.array(list(errors.values()))
    print(f"\n{config}: {len(values)} faces, mean {values.mean():.4f} px, worst face "
          f"{values.max():.4f} px ({max(errors, key=errors.get)})")
    assert len(values) == 49
    assert values.max() < FACE_MEAN_PX, errors
    assert values.mean() < ALL_MEAN_PX


def test_hypotheses_are_openfaces_and_the_most_likely_wins(model, shared_data):
    assert len(ROTATION_HYPOTHESES) == 11 and ROTATION_HYPOTHESES[0] == (0.0, 0.0, 0.0)
    face, image = next((f, i) for f, i in _images(shared_data, "gtbbox_wild")
                       if f.image == "breakingbad")
    result = model.detect_landmarks_in_box(image, face.bbox, WILD_SETTINGS, ROTATION_HYPOTHESES)
    assert len(result.likelihoods) == 11
    assert result.likelihoods[result.hypothesis] == max(result.likelihoods)
    assert result.hypothesis != 0          # breakingbad's head is turned: frontal loses
    single = model.detect_landmarks_in_box(image, face.bbox, WILD_SETTINGS)
    assert single.likelihood < result.likelihood


def test_result_does_not_depend_on_threads(model, shared_data):
    face, image = next((f, i) for f, i in _images(shared_data, "gtbbox_wild")
                       if f.image == "takeo")
    one = model.detect_landmarks_in_box(image, face.bbox, WILD_SETTINGS, ROTATION_HYPOTHESES)
    two = model.detect_landmarks_in_box(image, face.bbox, WILD_SETTINGS, ROTATION_HYPOTHESES,
                                        n_threads=2)
    np.testing.assert_array_equal(one.landmarks, two.landmarks)
    assert one.likelihoods == two.likelihoods


def test_parts_can_be_chosen(model, shared_data):
    face, image = next((f, i) for f, i in _images(shared_data, "gtbbox_default")
                       if f.image == "lenna")
    everything = model.detect_landmarks_in_box(image, face.bbox)
    nothing = model.detect_landmarks_in_box(image, face.bbox, parts=())
    eyes = model.detect_landmarks_in_box(image, face.bbox, parts=("left_eye_28", "right_eye_28"))
    assert set(everything.parts) == {"inner", "left_eye_28", "right_eye_28"}
    assert not nothing.parts and set(eyes.parts) == {"left_eye_28", "right_eye_28"}
    np.testing.assert_array_equal(nothing.landmarks, nothing.fit.landmarks)
    assert np.abs(everything.landmarks - nothing.landmarks).max() > 0.05
    with pytest.raises(ValueError, match="no part"):
        model.detect_landmarks_in_box(image, face.bbox, parts=("mouth",))
    with pytest.raises(ValueError):
        model.detect_landmarks_in_box(image, face.bbox, rotations=())


def test_too_small_faces_fail_without_validation(model):
    image = np.zeros((100, 100), np.uint8)
    result = model.detect_landmarks_in_box(image, (40, 40, 15, 15))
    assert not result.fit_success and not result.success and result.confidence is None

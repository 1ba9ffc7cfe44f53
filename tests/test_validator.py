"""OpenFace's CNN validator against OpenFace C++'s own confidences.

OpenFace's final landmarks (``landmarks_<cfg>.csv``, full precision) and rotation (``p_rx,
p_ry, p_rz`` of its own CSV, rounded to 1e-3 rad) go in; the ``confidence`` column is what
must come out. Faces whose fit failed (scale below 0.25: OpenFace's "face too small" exit
from the fit) never reach the validator; OpenFace reports them with confidence 0 and no
success. They are left out, and the test checks that they are exactly the rows with
confidence 0.

Measured (gtbbox_default 28 faces, mtcnn_default 29 faces): every confidence equal to
OpenFace's as float32, and ``success`` agrees on all 57. Tolerance: none. The confidence
is one of 20 bins; the closest call among these faces has its top two network outputs
0.15% apart, far above float32 rounding.
"""

import numpy as np
import pytest

from cyclnf.image import to_gray_uint8
from cyclnf.models import ModelsNotInstalledError
from cyclnf.validator import VALIDATION_BOUNDARY, Validator, detection_success
from reference import reference_faces

BINS = 0.025 + 0.05 * np.arange(20)
FIT_FAILS_BELOW_SCALE = 0.25     # CLNF::Fit returns failure under this scale


@pytest.fixture(scope="module")
def validator(models_root):
    return Validator.load()


@pytest.fixture(scope="module")
def images():
    import cv2
    cache = {}

    def load(path):
        if path not in cache:
            cache[path] = to_gray_uint8(cv2.imread(str(path)))
        return cache[path]
    return load


@pytest.mark.parametrize("config, n_validated", [("gtbbox_default", 28), ("mtcnn_default", 29)])
def test_confidence_and_success_are_openfaces(validator, images, shared_data, config, n_validated):
    faces = reference_faces(shared_data.parent, config)
    validated = [f for f in faces if f.params[0] >= FIT_FAILS_BELOW_SCALE]
    for face in faces:
        if face.params[0] < FIT_FAILS_BELOW_SCALE:
            assert face.confidence == 0 and not face.success, (face.image, face.face)
    assert len(validated) == n_validated
    mismatched = []
    for face in validated:
        image = images(face.image_path(shared_data))
        confidence = validator.check(image, face.landmarks, face.params[1:4])
        if confidence != np.float32(face.confidence) or \
                detection_success(confidence) != face.success:
            mismatched.append((face.image, face.face, confidence, face.confidence))
    assert mismatched == []


def test_view_is_the_nearest_orientation(validator):
    degrees = np.rad2deg(validator.orientations[:, 1])
    np.testing.assert_allclose(degrees, [0, -20, -45, -70, 20, 45, 70], atol=1e-9)
    assert validator.view_index([0, 0, 0]) == 0
    assert validator.view_index([0.1, np.deg2rad(25), -0.05]) == 4
    assert validator.view_index([0, np.deg2rad(-50), 0]) == 2
    assert validator.view_index([0, np.deg2rad(-89), 0]) == 3
    assert validator.view_index([0, np.deg2rad(9.9), 0]) == 0          # boundaries half way
    assert validator.view_index([0, np.deg2rad(10.1), 0]) == 4


def test_success_is_strictly_above_the_boundary():
    assert VALIDATION_BOUNDARY == 0.725
    assert not detection_success(np.float32(0.725))
    assert detection_success(np.float32(0.775))
    assert not detection_success(0.0)


def lenna_face(shared_data):
    return next(f for f in reference_faces(shared_data.parent, "gtbbox_default")
                if f.image == "lenna")


def test_landmarks_off_the_image(validator, images, shared_data):
    face = lenna_face(shared_data)
    image = images(face.image_path(shared_data))
    rotation = face.params[1:4]
    h, w = image.shape
    for shift in ([-5000, 0], [0, 5000], [w, h]):                   # wholly outside: no area
        assert validator.check(image, face.landmarks + shift, rotation) == 0.0
    partly = validator.check(image, face.landmarks - [250, 0], rotation)   # half off the left
    assert partly in np.float32(BINS)
    far = face.landmarks.copy()
    far[0] = [1e12, -1e12]                                           # one wild point
    assert validator.check(image, far, rotation) in np.float32(BINS)


def test_outputs_are_bins_and_depend_on_the_face(validator, images, shared_data):
    face = lenna_face(shared_data)
    image = images(face.image_path(shared_data))
    good = validator.check(image, face.landmarks, face.params[1:4])
    assert good == np.float32(0.975)
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, image.shape, dtype=np.uint8)
    assert validator.check(noise, face.landmarks, face.params[1:4]) < good
    # The image may come in colour, or as a float: it is made 8-bit grayscale first.
    colour = np.repeat(image[:, :, None], 3, axis=2)
    assert validator.check(colour, face.landmarks, face.params[1:4]) == good
    assert validator.check(image.astype(np.float32), face.landmarks.tolist(),
                           tuple(face.params[1:4])) == good


@pytest.mark.parametrize("landmarks, rotation, error", [
    (np.zeros((67, 2)), np.zeros(3), ValueError),
    (np.zeros((68, 3)), np.zeros(3), ValueError),
    (np.full((68, 2), np.nan), np.zeros(3), ValueError),
    (np.zeros((68, 2)), np.zeros(2), ValueError),
    (np.zeros((68, 2)), [0, np.inf, 0], ValueError),
    ("points", np.zeros(3), TypeError),
])
def test_bad_inputs_raise(validator, landmarks, rotation, error):
    with pytest.raises(error):
        validator.check(np.zeros((100, 100), np.uint8), landmarks, rotation)


def test_bad_images_raise(validator):
    with pytest.raises(ValueError):
        validator.check(np.zeros((0, 5), np.uint8), np.zeros((68, 2)), np.zeros(3))
    with pytest.raises(TypeError):
        validator.check([[1, 2]], np.zeros((68, 2)), np.zeros(3))


def test_missing_model_file(models_root, tmp_path):
    with pytest.raises(ModelsNotInstalledError):
        Validator.load(cache_dir=tmp_path)
    assert "7 views" in repr(Validator.load())

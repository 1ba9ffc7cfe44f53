"""OpenCV's Haar cascade with OpenFace's settings and box conversion."""

import cv2
import numpy as np
import pytest

from cyclnf.detect import HaarDetector
from cyclnf.detect.haar import HAAR_BOX_CONVERSION
from conftest import SHARED
from reference import reference_faces


@pytest.fixture(scope="module")
def detector():
    return HaarDetector()


def test_boxes_are_openfaces(detector, shared_data):
    """Every image of OpenFace's haar_default run: the same faces, the same boxes (the
    cascade's integer boxes times OpenFace's constants; compared to float32 precision)."""
    by_image = {}
    for face in reference_faces(SHARED, "haar_default"):
        by_image.setdefault(face.image, []).append(face)
    for name, faces in by_image.items():
        found = detector.detect(cv2.imread(str(faces[0].image_path(shared_data))))
        assert len(found) == len(faces), name
        ours = np.array([d.box for d in found])
        for face in faces:
            assert np.abs(ours - face.bbox).max(axis=1).min() < 1e-3, (name, face.face)
    assert sum(len(f) for f in by_image.values()) == 37


def test_conversion_and_order(detector, shared_data):
    image = cv2.imread(str(shared_data / "images_gt" / "dlib_faces" / "2008_007676.jpg"))
    found = detector.detect(image)
    areas = [d.area for d in found]
    assert areas == sorted(areas, reverse=True) and len(found) > 3
    dx, dy, sw, sh = HAAR_BOX_CONVERSION
    for d in found:
        x, y, w, h = d.detector_box
        assert d.box == pytest.approx((x + dx * w, y + dy * h, sw * w, sh * h))
        assert d.confidence is None and d.landmarks_5pt is None
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    assert [d.box for d in detector.detect(gray)] == [d.box for d in found]


def test_small_and_blank_images_have_no_faces(detector):
    assert detector.detect(np.zeros((40, 40), np.uint8)) == []
    assert detector.detect(np.full((300, 300, 3), 200, np.uint8)) == []


def test_bad_input_and_settings_raise(detector, tmp_path):
    with pytest.raises(FileNotFoundError):
        HaarDetector(tmp_path / "absent.xml")
    (tmp_path / "junk.xml").write_text("<opencv_storage></opencv_storage>")
    with pytest.raises(ValueError, match="cascade"):
        HaarDetector(tmp_path / "junk.xml")
    with pytest.raises(ValueError, match="scale_factor"):
        HaarDetector(scale_factor=1.0)
    for bad in (np.zeros((0, 5), np.uint8), "image", np.zeros((5, 5, 2), np.uint8)):
        with pytest.raises((ValueError, TypeError)):
            detector.detect(bad)

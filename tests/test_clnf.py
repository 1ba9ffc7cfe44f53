"""The CLNF facade: pyclnf's interface, OpenFace's defaults, inputs checked at the door."""

import inspect

import cv2
import numpy as np
import pytest

import cyclnf
from cyclnf import CLNF, ModelsNotInstalledError
from cyclnf.clnf import CONVERGENCE_PROFILES, DIFFERENCES_FROM_PYCLNF
from cyclnf.detect.mtcnn import MTCNN_BOX_CONVERSION
from conftest import SHARED
from groundtruth import annotated_faces
from reference import reference_faces

#: pyclnf 0.4.1's CLNF.__init__ and CLNF.fit parameters and defaults, in order (read from
#: its wheel, pyclnf/clnf.py).
PYCLNF_INIT = [
    ("model_dir", None), ("scale", 0.25), ("regularization", 22.5), ("max_iterations", 10),
    ("convergence_threshold", 0.005), ("sigma", 2.5), ("weight_multiplier", 0.0),
    ("window_sizes", None), ("detector", "pymtcnn"), ("detector_model_path", None),
    ("use_coreml", False), ("use_gpu", True), ("gpu_device", "auto"),
    ("use_eye_refinement", True), ("use_inner_refinement", False), ("debug_mode", False),
    ("tracked_landmarks", None), ("use_shared_memory", False), ("shared_memory_dir", None),
    ("convergence_profile", None), ("early_window_exit", False),
    ("early_exit_threshold", 0.3), ("use_validator", None), ("validator_threshold", 0.725),
    ("reinit_video_every", 2)]
PYCLNF_FIT = [("image", inspect.Parameter.empty), ("face_bbox", inspect.Parameter.empty),
              ("initial_params", None), ("landmarks_5pt", None), ("return_params", False),
              ("detector_type", None)]


@pytest.fixture(scope="module")
def clnf(models_root):
    """Calls are independent images here (tracking is tested in tests/test_tracking.py)."""
    return CLNF(track=False)


@pytest.fixture(scope="module")
def lenna(shared_data):
    face = next(f for f in reference_faces(SHARED) if f.image == "lenna")
    return cv2.imread(str(face.image_path(shared_data))), face


def test_constructor_and_fit_take_pyclnfs_arguments_in_order():
    init = list(inspect.signature(CLNF.__init__).parameters.values())[1:]
    positional = [p for p in init if p.kind == p.POSITIONAL_OR_KEYWORD]
    assert [p.name for p in positional] == [name for name, _ in PYCLNF_INIT]
    assert [p.name for p in init if p.kind == p.KEYWORD_ONLY] == \
        ["model", "multi_view", "camera", "track", "n_threads"]
    fit = list(inspect.signature(CLNF.fit).parameters.values())[1:]
    assert [(p.name, p.default) for p in fit] == PYCLNF_FIT


def test_every_default_that_differs_from_pyclnf_is_a_listed_deliberate_difference():
    ours = {p.name: p.default for p in inspect.signature(CLNF.__init__).parameters.values()}
    differing = {name for name, default in PYCLNF_INIT if ours[name] != default}
    assert differing == {"regularization", "max_iterations", "convergence_threshold", "sigma",
                         "use_inner_refinement"}
    assert differing <= set(DIFFERENCES_FROM_PYCLNF)
    assert {k for k in DIFFERENCES_FROM_PYCLNF if "." not in k} <= {n for n, _ in PYCLNF_INIT}
    # The defaults are OpenFace's for the CLNF model.
    assert (ours["regularization"], ours["sigma"], ours["max_iterations"],
            ours["weight_multiplier"]) == (25.0, 1.5, 5, 0.0)


def test_fit_returns_landmarks_and_pyclnfs_info(clnf, lenna):
    image, face = lenna
    landmarks, info = clnf.fit(image, face.bbox, return_params=True)
    assert landmarks.shape == (68, 2) and landmarks.dtype == np.float64
    for key in ("converged", "iterations", "final_update", "params", "view", "pose", "bbox"):
        assert key in info
    assert info["params"].shape == (40,)
    np.testing.assert_array_equal(info["pose"], info["params"][1:4])
    np.testing.assert_allclose(clnf.pdm.landmarks_2d(info["params"]), landmarks)
    assert 0 < info["iterations"] <= 30 and info["success"]
    assert "params" not in clnf.fit(image, face.bbox)[1]
    assert clnf.pdm.mean_shape.shape == (204, 1)          # pyclnf's layout


def test_every_image_form_gives_the_same_landmarks(clnf, lenna):
    image, face = lenna
    reference, _ = clnf.fit(image, face.bbox)
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    for variant in (gray, gray[:, :, None], cv2.cvtColor(image, cv2.COLOR_BGR2BGRA),
                    gray.astype(np.float32), gray / 255.0, gray.astype(np.uint16) * 256):
        np.testing.assert_array_equal(clnf.fit(variant, face.bbox)[0], reference)


def test_mtcnn_boxes_are_corrected_as_openface_does(clnf, lenna):
    image, face = lenna
    x, y, w, h = 190.0, 180.0, 160.0, 190.0
    _, info = clnf.fit(image, (x, y, w, h), detector_type="pymtcnn")
    dx, dy, sw, sh = MTCNN_BOX_CONVERSION
    np.testing.assert_allclose(info["bbox"], (x + w * dx, y + h * dy, w * sw, h * sh))
    assert clnf.fit(image, (x, y, w, h), detector_type="mtcnn")[1]["bbox"] == info["bbox"]
    assert clnf.fit(image, (x, y, w, h))[1]["bbox"] == (x, y, w, h)


def test_initial_params_start_the_fit(clnf, lenna):
    image, face = lenna
    start = clnf.pdm.params_from_bbox(face.bbox)
    np.testing.assert_array_equal(clnf.fit(image, face.bbox, initial_params=start)[0],
                                  clnf.fit(image, face.bbox)[0])


def test_five_points_give_the_starting_roll(clnf, lenna):
    image, face = lenna
    # A face turned 35 degrees in the image plane: with the eyes' direction the fit starts
    # upright relative to the face and lands on it; from the box alone it does worse.
    h, w = image.shape[:2]
    centre = (face.bbox[0] + face.bbox[2] / 2, face.bbox[1] + face.bbox[3] / 2)
    M = cv2.getRotationMatrix2D(centre, -35, 1.0)
    rotated = cv2.warpAffine(image, M, (w, h))
    truth = face.landmarks @ M[:, :2].T + M[:, 2]
    eyes = np.array([truth[36:42].mean(axis=0), truth[42:48].mean(axis=0)])
    five = np.vstack([eyes, truth[30], truth[48], truth[54]])
    lo, hi = truth.min(axis=0), truth.max(axis=0)
    box = (*lo, *(hi - lo))
    with_points = clnf.fit(rotated, box, landmarks_5pt=five)[0]
    without = clnf.fit(rotated, box)[0]
    err = lambda lm: np.linalg.norm(lm - truth, axis=1).mean()
    # Measured: 2.7 px against OpenFace's (rotated) landmarks with the points, 46 px without.
    assert err(with_points) < 4.0 and err(without) > 10.0


def test_early_window_exit_and_profiles(models_root, lenna):
    image, face = lenna
    full = CLNF().fit(image, face.bbox)[1]
    quick = CLNF(early_window_exit=True, early_exit_threshold=1000.0).fit(image, face.bbox)[1]
    assert len(quick["iteration_history"]) == 1 < len(full["iteration_history"])
    fast = CLNF(convergence_profile="fast")
    assert (fast.max_iterations, fast.convergence_threshold) == (2, 0.05)
    assert fast.fit(image, face.bbox)[1]["iterations"] <= 12
    assert set(CONVERGENCE_PROFILES) >= {"accurate", "optimized", "fast", "video"}
    with pytest.raises(ValueError, match="convergence_profile"):
        CLNF(convergence_profile="turbo")


def test_svr_model_is_selectable(models_root, shared_data):
    faces = annotated_faces(shared_data)
    face = next(f for f in reference_faces(SHARED) if f.image == "takeo")
    image = cv2.imread(str(face.image_path(shared_data)))
    svr = CLNF(model="clm_general")
    assert svr.get_info()["patch_experts"] == "svr"
    truth = faces["takeo"]
    nme = np.linalg.norm(svr.fit(image, face.bbox)[0] - truth, axis=1).mean() / \
        np.linalg.norm(truth[36] - truth[45])
    assert nme < 0.07


def test_settings_can_be_changed_after_construction(models_root, lenna):
    image, face = lenna
    clnf = CLNF(track=False)
    clnf.window_sizes = [11, 0, 0]
    assert [h["window"] for h in clnf.fit(image, face.bbox)[1]["iteration_history"]] == [11]


def test_get_info(clnf):
    info = clnf.get_info()
    assert info["n_points"] == 68 and info["patch_scales"] == [0.25, 0.35, 0.5]
    assert info["version"] == cyclnf.__version__ and info["device"] == "cpu"


def test_missing_models_say_how_to_install_them(tmp_path):
    with pytest.raises(ModelsNotInstalledError, match="cyclnf-download-models"):
        CLNF(model_dir=tmp_path)


@pytest.mark.parametrize("box", [[np.nan, 0, 10, 10], [0, 0, -5, 10], [0, 0, 10], "box",
                                 [5000, 5000, 10, 10], [-100, -100, 20, 20], [np.inf, 0, 1, 1]])
def test_bad_boxes_raise(clnf, lenna, box):
    with pytest.raises((ValueError, TypeError)):
        clnf.fit(lenna[0], box)


def test_other_bad_input_raises(clnf, lenna):
    image, face = lenna
    for bad_image in (None, np.zeros((0, 0), np.uint8), np.zeros((5, 5, 2), np.uint8),
                      np.full((50, 50), np.nan)):
        with pytest.raises((ValueError, TypeError)):
            clnf.fit(bad_image, face.bbox)
    with pytest.raises(ValueError):
        clnf.fit(image, face.bbox, initial_params=np.zeros(39))
    with pytest.raises(ValueError):
        clnf.fit(image, face.bbox, initial_params=np.full(40, np.nan))
    with pytest.raises(ValueError):
        clnf.fit(image, face.bbox, landmarks_5pt=np.zeros((4, 2)))
    with pytest.raises(ValueError, match="detector_type"):
        clnf.fit(image, face.bbox, detector_type="retinaface")
    with pytest.raises(ValueError):
        CLNF(n_threads=0)
    with pytest.raises(ValueError):
        CLNF(sigma=-1)
    with pytest.raises(ValueError, match="unknown model 'cen'"):
        CLNF(model="cen")
    with pytest.raises(ValueError, match="retinaface"):
        CLNF(detector="retinaface")
    with pytest.raises(ValueError, match="validator_threshold"):
        CLNF(validator_threshold=1.5)


def test_blank_tiny_and_odd_images_give_a_result(clnf):
    for image, box in ((np.zeros((200, 200), np.uint8), (50, 50, 100, 100)),
                       (np.full((20, 20, 3), 255, np.uint8), (2, 2, 16, 16)),
                       (np.zeros((2000, 60), np.uint8), (0, 900, 60, 60))):
        landmarks, info = clnf.fit(image, box)
        assert np.isfinite(landmarks).all() and landmarks.shape == (68, 2)

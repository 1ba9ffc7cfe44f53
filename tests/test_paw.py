"""The piecewise affine warp (cyclnf/paw.py) against cases whose result is known.

Tolerances: the sampling equals OpenCV's own ``cv2.remap`` bit for bit (both round
positions to 1/32 px and use OpenCV's weight table); an unmoved face is copied exactly;
under an affine motion the maps are the motion to 2e-4 px (float32 coefficients) and a
linear ramp is sampled to within its gradient times 1/64 px (the 1/32 px rounding).
"""

import cv2
import numpy as np
import pytest

from cyclnf import models
from cyclnf.kernels.numpy_paw import _remap_bilinear as remap_bilinear
from cyclnf.kernels.numpy_paw import _sampling_maps as sampling_maps
from cyclnf.paw import warp, warp_coefficients

VALIDATOR = "lib/local/LandmarkDetector/model/detection_validation/validator_cnn_68.txt"


@pytest.fixture(scope="module")
def frames(models_root):
    """The validator's seven reference frames (one per view)."""
    return models.load_file(VALIDATOR).warps


def test_sampling_is_opencvs_remap_bit_for_bit():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (50, 70)).astype(np.float32)
    map_x = rng.uniform(-5, 75, (60, 60)).astype(np.float32)     # some off the image
    map_y = rng.uniform(-5, 55, (60, 60)).astype(np.float32)
    map_x[0, :6] = [-1, 1 / 64, 1 + 3 / 64, 68.99, 69.5, 1e9]    # ties at 1/64 px, far off
    expected = cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    np.testing.assert_array_equal(remap_bilinear(image, map_x, map_y), expected)


def test_unmoved_face_is_copied(frames):
    """Landmarks at the reference shape, shifted so reference pixel (x, y) is image pixel
    (x, y): every masked pixel is the image's own."""
    paw = frames[0]
    h, w = paw.pixel_mask.shape
    image = np.random.default_rng(1).integers(0, 256, (h + 5, w + 5)).astype(np.float32)
    landmarks = (paw.destination - paw.min_xy).astype(np.float32)
    warped = warp(image, landmarks, paw)
    assert warped.shape == (h, w) and warped.dtype == np.float32
    np.testing.assert_array_equal(warped[paw.pixel_mask], image[:h, :w][paw.pixel_mask])
    assert not warped[~paw.pixel_mask].any()


@pytest.mark.parametrize("view", [0, 2, 6])
def test_affine_motion_is_reproduced(frames, view):
    paw = frames[view]
    scale, angle, shift = 1.7, 0.3, np.array([80.0, 65.0])
    A = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    landmarks = (paw.destination @ A.T + shift).astype(np.float32)
    coefficients = warp_coefficients(landmarks, paw.triangles, paw.alpha.astype(np.float32),
                                     paw.beta.astype(np.float32))
    for row in coefficients:                           # every triangle: the same motion
        np.testing.assert_allclose(row[[1, 2, 4, 5]], A.reshape(-1), atol=2e-5)
        np.testing.assert_allclose(row[[0, 3]], shift, atol=2e-3)
    map_x, map_y = sampling_maps(coefficients, paw.triangle_id, paw.pixel_mask, paw.min_xy)
    v, u = np.nonzero(paw.pixel_mask)
    reference = np.stack([u + paw.min_xy[0], v + paw.min_xy[1]], axis=1)
    expected = reference @ A.T + shift
    np.testing.assert_allclose(map_x[v, u], expected[:, 0], atol=2e-4)
    np.testing.assert_allclose(map_y[v, u], expected[:, 1], atol=2e-4)
    assert (map_x[~paw.pixel_mask] == -1).all() and (map_y[~paw.pixel_mask] == -1).all()
    # A linear ramp f(x, y) = 0.5 x + 0.25 y + 3, sampled where the maps point.
    ys, xs = np.mgrid[0:200, 0:200].astype(np.float32)
    ramp = 0.5 * xs + 0.25 * ys + 3
    warped = warp(ramp, landmarks, paw)
    truth = 0.5 * expected[:, 0] + 0.25 * expected[:, 1] + 3
    np.testing.assert_allclose(warped[v, u], truth, atol=(0.5 + 0.25) / 64 + 1e-3)


def test_bad_inputs(frames):
    paw = frames[0]
    with pytest.raises(ValueError, match="landmarks must be"):
        warp(np.zeros((50, 50), np.float32), np.zeros((66, 2), np.float32), paw)
    with pytest.raises(ValueError, match="image must be"):
        remap_bilinear(np.zeros((5, 5, 3), np.float32), np.zeros((2, 2), np.float32),
                       np.zeros((2, 2), np.float32))
    with pytest.raises(ValueError, match="differ in shape"):
        remap_bilinear(np.zeros((5, 5), np.float32), np.zeros((2, 2), np.float32),
                       np.zeros((2, 3), np.float32))

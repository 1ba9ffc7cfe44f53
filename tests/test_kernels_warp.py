"""The area-of-interest warp against OpenCV's own warpAffine and against its NumPy twin.

Tolerance: none. Both reproduce OpenCV's fixed-point arithmetic, so all three agree bit
for bit, areas partly or wholly off the image included.
"""

import cv2
import numpy as np
import pytest

from cyclnf.kernels import load

compiled = load("warp", "compiled")
twin = load("warp", "numpy")


def opencv_areas(image, centres, a1, b1, size):
    """What OpenFace 2.2 does: cv::warpAffine with its float32 2 x 3 inverse map."""
    a1, b1 = np.float32(a1), np.float32(b1)
    half = np.float32(size - 1.0)
    ta, tb = np.float32(a1 * half / np.float32(2)), np.float32(b1 * half / np.float32(2))
    out = []
    for x, y in centres.astype(np.float32):
        M = np.array([[a1, -b1, (x - ta) + tb], [b1, a1, (y - ta) - tb]], np.float32)
        out.append(cv2.warpAffine(image.astype(np.float32), M, (size, size),
                                  flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR))
    return np.array(out)


@pytest.mark.parametrize("seed", range(5))
def test_matches_opencv_and_twin_bit_for_bit(seed):
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, size=(120, 160), dtype=np.uint8)
    size = int(rng.choice([13, 17, 21, 25]))
    scale, angle = rng.uniform(0.3, 4.0), rng.uniform(-1.0, 1.0)
    a1, b1 = np.float32(scale * np.cos(angle)), np.float32(scale * np.sin(angle))
    centres = rng.uniform(-40, 200, size=(30, 2))            # many partly or wholly outside
    expected = opencv_areas(image, centres, a1, b1, size)
    for kernels in (compiled, twin):
        for pixels in (image, image.astype(np.float32)):
            out = np.empty((30, size, size), np.float32)
            kernels.areas_of_interest(pixels, centres, a1, b1, out)
            np.testing.assert_array_equal(out, expected)


def test_areas_far_outside_the_image_are_zero():
    image = np.full((50, 50), 200, np.uint8)
    out = np.empty((2, 9, 9), np.float32)
    compiled.areas_of_interest(image, np.array([[-500.0, 20.0], [20.0, 900.0]]), 1.0, 0.0, out)
    assert not out.any()


@pytest.mark.parametrize("kernels", [compiled, twin], ids=["compiled", "numpy"])
def test_bad_shapes_raise_value_error(kernels):
    image = np.zeros((20, 20), np.float32)
    with pytest.raises(ValueError):
        kernels.areas_of_interest(image, np.zeros((3, 3)), 1.0, 0.0, np.empty((3, 5, 5), np.float32))
    with pytest.raises(ValueError):
        kernels.areas_of_interest(image, np.zeros((3, 2)), 1.0, 0.0, np.empty((2, 5, 5), np.float32))
    with pytest.raises(ValueError):
        kernels.areas_of_interest(image, np.zeros((3, 2)), 1.0, 0.0, np.empty((3, 5, 4), np.float32))
    with pytest.raises(ValueError):
        kernels.areas_of_interest(np.zeros((0, 5), np.float32), np.zeros((3, 2)), 1.0, 0.0,
                                  np.empty((3, 5, 5), np.float32))

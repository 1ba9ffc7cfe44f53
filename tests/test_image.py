"""Images in every accepted form become OpenFace's 8-bit grayscale; others are refused."""

import cv2
import numpy as np
import pytest

from cyclnf.image import to_bgr_uint8, to_gray_uint8


@pytest.fixture
def bgr():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(40, 50, 3), dtype=np.uint8)


def test_bgr_gray_bgra_and_single_channel(bgr):
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    np.testing.assert_array_equal(to_gray_uint8(bgr), gray)
    np.testing.assert_array_equal(to_gray_uint8(gray), gray)
    np.testing.assert_array_equal(to_gray_uint8(gray[:, :, None]), gray)
    bgra = cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA)
    np.testing.assert_array_equal(to_gray_uint8(bgra), gray)
    np.testing.assert_array_equal(to_gray_uint8(bgr[::-1, ::2]), cv2.cvtColor(
        np.ascontiguousarray(bgr[::-1, ::2]), cv2.COLOR_BGR2GRAY))   # strided views


def test_sixteen_bit_and_float(bgr):
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    np.testing.assert_array_equal(to_gray_uint8(gray.astype(np.uint16) * 256), gray)
    assert to_gray_uint8(np.full((2, 2), 65535, np.uint16)).max() == 255   # saturates
    np.testing.assert_array_equal(to_gray_uint8(gray.astype(np.float32)), gray)
    np.testing.assert_array_equal(to_gray_uint8(gray / 255.0), gray)
    np.testing.assert_array_equal(to_gray_uint8(bgr.astype(np.float64) / 255.0), gray)


@pytest.mark.parametrize("bad, error", [
    (None, TypeError), ([[1, 2], [3, 4]], TypeError), (np.zeros((4, 4), bool), TypeError),
    (np.zeros((4, 4), np.int32), TypeError), (np.zeros((0, 4), np.uint8), ValueError),
    (np.zeros((4, 4, 2), np.uint8), ValueError), (np.zeros((4,), np.uint8), ValueError),
    (np.zeros((2, 4, 4, 3), np.uint8), ValueError), (np.full((4, 4), np.nan), ValueError),
    (np.full((4, 4), -1.0), ValueError), (np.full((4, 4), 300.0), ValueError),
])
def test_bad_images_raise(bad, error):
    with pytest.raises(error):
        to_gray_uint8(bad)


def test_bgr_from_every_accepted_form(bgr):
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    np.testing.assert_array_equal(to_bgr_uint8(bgr), bgr)
    np.testing.assert_array_equal(to_bgr_uint8(bgr[::-1, ::2]), bgr[::-1, ::2])
    np.testing.assert_array_equal(to_bgr_uint8(cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA)), bgr)
    np.testing.assert_array_equal(to_bgr_uint8(gray), np.repeat(gray[:, :, None], 3, axis=2))
    np.testing.assert_array_equal(to_bgr_uint8(gray[:, :, None]),
                                  np.repeat(gray[:, :, None], 3, axis=2))
    np.testing.assert_array_equal(to_bgr_uint8(bgr.astype(np.uint16) * 256), bgr)
    np.testing.assert_array_equal(to_bgr_uint8(bgr / 255.0), bgr)
    assert to_bgr_uint8(bgr).flags.c_contiguous


@pytest.mark.parametrize("bad, error", [
    (None, TypeError), (np.zeros((4, 4), np.int32), TypeError), (np.zeros((0, 4, 3), np.uint8), ValueError),
    (np.zeros((4, 4, 2), np.uint8), ValueError), (np.full((4, 4, 3), np.nan), ValueError),
])
def test_bad_images_raise_for_bgr(bad, error):
    with pytest.raises(error):
        to_bgr_uint8(bad)

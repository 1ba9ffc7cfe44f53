"""Images in, OpenFace's 8-bit grayscale (OpenFace's ConvertToGrayscale_8bit) or 8-bit
BGR (what OpenFace's image reader hands the MTCNN detector) out.

Accepted images (NumPy arrays, OpenCV's channel order):

- ``(H, W)`` or ``(H, W, 1)`` grayscale, ``(H, W, 3)`` BGR, ``(H, W, 4)`` BGRA;
- ``uint8``; ``uint16`` (divided by 256, as OpenFace does); or float, either in [0, 1]
  (scaled by 255) or in [0, 255] (taken as it is): a float image whose largest value is
  at most 1 counts as [0, 1].

Anything else (other dtypes or shapes, empty images, NaN or infinite values, floats
outside [0, 255]) raises ``TypeError`` or ``ValueError`` saying what was wrong.
"""

from __future__ import annotations

import cv2
import numpy as np


def _eight_bit(image) -> np.ndarray:
    """The image checked and converted to 8 bits, channels kept.

    Returns
    -------
    (H, W), (H, W, 3) or (H, W, 4) uint8 ndarray
    """
    if not isinstance(image, np.ndarray):
        raise TypeError(f"image must be a NumPy array (as cv2.imread returns), "
                        f"got {type(image).__name__}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)):
        raise ValueError(f"image must be (H, W) grayscale, (H, W, 3) BGR or (H, W, 4) BGRA, "
                         f"got shape {image.shape}")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"image is empty (shape {image.shape})")
    if image.dtype == np.uint8:
        return image
    if image.dtype == np.uint16:
        # Mat / 256 rounds to the nearest, then convertTo saturates 256 to 255.
        return np.minimum(np.rint(image / 256.0), 255).astype(np.uint8)
    if np.issubdtype(image.dtype, np.floating):
        if not np.isfinite(image).all():
            raise ValueError("image contains NaN or infinite values")
        low, high = float(image.min()), float(image.max())
        if low < 0.0 or high > 255.0:
            raise ValueError(f"a float image must hold values in [0, 1] or [0, 255], "
                             f"got {low:g} .. {high:g}")
        scaled = image * 255.0 if high <= 1.0 else image
        return np.rint(scaled).astype(np.uint8)
    raise TypeError(f"image dtype must be uint8, uint16 or float, got {image.dtype}")


def to_gray_uint8(image) -> np.ndarray:
    """The image as OpenFace's 8-bit grayscale.

    Parameters
    ----------
    image : (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) ndarray

    Returns
    -------
    (H, W) uint8 ndarray
    """
    eight_bit = _eight_bit(image)
    if eight_bit.ndim == 2:
        return np.ascontiguousarray(eight_bit)
    code = cv2.COLOR_BGR2GRAY if eight_bit.shape[2] == 3 else cv2.COLOR_BGRA2GRAY
    return cv2.cvtColor(np.ascontiguousarray(eight_bit), code)


def to_bgr_uint8(image) -> np.ndarray:
    """The image as 8-bit BGR: grayscale repeated in three channels, alpha dropped.

    Parameters
    ----------
    image : (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) ndarray

    Returns
    -------
    (H, W, 3) uint8 ndarray
    """
    eight_bit = np.ascontiguousarray(_eight_bit(image))
    if eight_bit.ndim == 2:
        return cv2.cvtColor(eight_bit, cv2.COLOR_GRAY2BGR)
    if eight_bit.shape[2] == 4:
        return cv2.cvtColor(eight_bit, cv2.COLOR_BGRA2BGR)
    return eight_bit

"""The compiled piecewise-affine-warp sampling (src/_paw.pyx) against its NumPy twin.

Both work in float32 with the same order of operations and OpenCV's fixed-point sampling,
so they agree bit for bit (asserted exactly). No model files are needed.
"""

import numpy as np
import pytest

from cyclnf.kernels import load

compiled = load("paw", "compiled")
twin = load("paw", "numpy")


def inputs(seed=0, h=40, w=50, t=12):
    rng = np.random.default_rng(seed)
    image = rng.uniform(0, 255, (120, 160)).astype(np.float32)
    # Affine maps from the reference frame into the image, some reaching past its edges.
    coefficients = np.column_stack([
        rng.uniform(-20, 180, t), rng.uniform(0.5, 2.0, t), rng.uniform(-0.4, 0.4, t),
        rng.uniform(-20, 140, t), rng.uniform(-0.4, 0.4, t), rng.uniform(0.5, 2.0, t),
    ]).astype(np.float32)
    triangle_id = rng.integers(0, t, (h, w)).astype(np.int32)
    mask = (rng.random((h, w)) < 0.7).astype(np.uint8)
    triangle_id[mask == 0] = -1                            # as OpenFace's tables have it
    return image, coefficients, triangle_id, mask, np.float32(-3.5), np.float32(2.25)


def run(kernels, image, coefficients, triangle_id, mask, min_x, min_y):
    out = np.full(mask.shape, np.nan, np.float32)
    kernels.warp_region(image, coefficients, triangle_id, mask, float(min_x), float(min_y), out)
    return out


@pytest.mark.parametrize("seed", range(4))
def test_kernel_equals_twin_bit_for_bit(seed):
    args = inputs(seed)
    ours, theirs = run(compiled, *args), run(twin, *args)
    np.testing.assert_array_equal(ours, theirs)
    assert not ours[args[3] == 0].any() and np.isfinite(ours).all()


def test_read_only_and_memory_mapped_inputs_are_accepted():
    image, coefficients, triangle_id, mask, min_x, min_y = inputs(7)
    for array in (image, coefficients, triangle_id, mask):
        array.flags.writeable = False
    np.testing.assert_array_equal(run(compiled, image, coefficients, triangle_id, mask, min_x, min_y),
                                  run(twin, image, coefficients, triangle_id, mask, min_x, min_y))


def test_bad_input_is_refused_by_both():
    image, coefficients, triangle_id, mask, min_x, min_y = inputs()
    for kernels in (compiled, twin):
        with pytest.raises(ValueError):
            run(kernels, image, coefficients[:, :5].copy(), triangle_id, mask, min_x, min_y)
        with pytest.raises(ValueError):
            run(kernels, image, coefficients, triangle_id[:, :-1].copy(), mask, min_x, min_y)
        with pytest.raises(ValueError, match="triangle"):
            bad = triangle_id.copy()
            bad[mask == 1] = 99
            run(kernels, image, coefficients, bad, mask, min_x, min_y)
        with pytest.raises(ValueError):
            run(kernels, np.zeros((0, 5), np.float32), coefficients, triangle_id, mask, min_x,
                min_y)

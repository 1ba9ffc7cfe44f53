"""CNN layer steps: the compiled kernel against its NumPy twin.

Tolerance: none. im2col copies, max pooling compares, and PReLU does one float32 product
per value in both, so kernel and twin agree bit for bit, NaN included (a NaN never wins
a pooling window; PReLU maps it to 0).
"""

import numpy as np
import pytest

from cyclnf.cnn import pooled_size
from cyclnf.kernels import load

compiled = load("cnn", "compiled")
twin = load("cnn", "numpy")


def random_maps(shape, seed):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def read_only(array):
    array = array.copy()
    array.flags.writeable = False
    return array


def run_im2col(kernels, maps, kh, kw):
    n, h, w, c = maps.shape
    out = np.full((n * (h - kh + 1) * (w - kw + 1), kh * kw * c + 1), np.nan, np.float32)
    kernels.im2col(maps, kh, kw, out)
    return out


def run_pool(kernels, maps, kx, ky, sx, sy):
    n, h, w, c = maps.shape
    out = np.full((n, pooled_size(h, ky, sy), pooled_size(w, kx, sx), c), np.nan, np.float32)
    kernels.max_pool(maps, kx, ky, sx, sy, out)
    return out


@pytest.mark.parametrize("shape, kh, kw, seed", [
    ((1, 12, 12, 3), 3, 3, 0), ((5, 11, 11, 28), 3, 3, 1), ((3, 4, 4, 48), 2, 2, 2),
    ((2, 9, 7, 1), 5, 5, 3), ((1, 6, 9, 2), 1, 4, 4), ((2, 3, 3, 5), 3, 3, 5),
])
def test_im2col_matches_twin(shape, kh, kw, seed):
    maps = read_only(random_maps(shape, seed))
    got, want = run_im2col(compiled, maps, kh, kw), run_im2col(twin, maps, kh, kw)
    np.testing.assert_array_equal(got, want)
    # Spot-check the layout: row (n, y, x), column (dy, dx, c); last column 1.
    n, h, w, c = shape
    ho, wo = h - kh + 1, w - kw + 1
    i, y, x, dy, dx, k = n - 1, ho - 1, wo // 2, kh - 1, kw // 2, c - 1
    assert got[(i * ho + y) * wo + x, (dy * kw + dx) * c + k] == maps[i, y + dy, x + dx, k]
    assert (got[:, -1] == 1).all()


@pytest.mark.parametrize("shape, pool, seed", [
    ((1, 10, 10, 10), (2, 2, 2, 2), 0),     # PNet
    ((4, 22, 22, 28), (3, 3, 2, 2), 1),     # RNet: 22 -> 11, last windows cut off
    ((2, 9, 9, 48), (3, 3, 2, 2), 2),
    ((3, 8, 8, 64), (2, 2, 2, 2), 3),
    ((1, 11, 7, 3), (2, 3, 2, 3), 4),       # unequal kernel and stride per axis
    ((2, 13, 13, 4), (3, 3, 3, 3), 5),
])
def test_max_pool_matches_twin(shape, pool, seed):
    maps = read_only(random_maps(shape, seed))
    got, want = run_pool(compiled, maps, *pool), run_pool(twin, maps, *pool)
    np.testing.assert_array_equal(got, want)
    kx, ky, sx, sy = pool
    h, w = shape[1:3]
    ho, wo = got.shape[1:3]
    # The last output's window is cut off at the edge.
    last = maps[:, (ho - 1) * sy:min((ho - 1) * sy + ky, h), (wo - 1) * sx:min((wo - 1) * sx + kx, w)]
    np.testing.assert_array_equal(got[:, -1, -1], last.max(axis=(1, 2)))


def test_nan_is_handled_alike():
    maps = random_maps((2, 11, 11, 4), 9)
    maps[0, 0:3, 0:3, 0] = np.nan                      # a whole window
    maps[1, 1, 1, 1] = np.nan
    got, want = run_pool(compiled, maps, 3, 3, 2, 2), run_pool(twin, maps, 3, 3, 2, 2)
    np.testing.assert_array_equal(got, want)
    assert not np.isnan(got).any()
    values = maps.reshape(-1, 4)
    slopes = np.full(4, 0.25, np.float32)
    a, b = values.copy(), values.copy()
    compiled.prelu(a, slopes)
    twin.prelu(b, slopes)
    np.testing.assert_array_equal(a, b)


def test_max_pool_outputs_past_the_edge_are_zero():
    maps = np.full((1, 2, 2, 1), 5.0, np.float32)
    for kernels in (compiled, twin):
        out = np.full((1, 3, 3, 1), np.nan, np.float32)
        kernels.max_pool(maps, 1, 1, 1, 1, out)
        np.testing.assert_array_equal(out[0, :, :, 0], [[5, 5, 0], [5, 5, 0], [0, 0, 0]])


@pytest.mark.parametrize("seed", range(3))
def test_prelu_matches_twin(seed):
    rng = np.random.default_rng(seed)
    values = random_maps((300, 17), seed)
    values[0] = 0.0
    values[1] = -0.0
    slopes = read_only(rng.uniform(-0.5, 1.5, 17).astype(np.float32))
    got, want = values.copy(), values.copy()
    compiled.prelu(got, slopes)
    twin.prelu(want, slopes)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got, np.where(values >= 0, values, values * slopes))


def test_real_pnet_level_matches_twin(models_root):
    """im2col, pooling and PReLU on PNet's real first-layer maps of a real image."""
    import cv2

    from cyclnf import models
    from cyclnf.cnn import convolution, convolution_weights
    pnet = models.load_file(models.manifest().detector_files("mtcnn")["pnet"])
    gray = cv2.resize(np.random.default_rng(7).integers(0, 256, (120, 90)).astype(np.float32),
                      (45, 60))
    level = np.repeat(((gray - 127.5) * 0.0078125)[None, :, :, None], 3, axis=3)
    first = pnet.layers[0].params
    maps = convolution(level.astype(np.float32),
                       convolution_weights(first["kernels"], first["bias"]), 3, 3)
    np.testing.assert_array_equal(run_im2col(compiled, maps, 3, 3), run_im2col(twin, maps, 3, 3))
    np.testing.assert_array_equal(run_pool(compiled, maps, 2, 2, 2, 2),
                                  run_pool(twin, maps, 2, 2, 2, 2))
    slopes = pnet.layers[1].params["slopes"]
    got, want = maps.reshape(-1, 10).copy(), maps.reshape(-1, 10).copy()
    compiled.prelu(got, slopes)
    twin.prelu(want, slopes)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("kernels", [compiled, twin], ids=["compiled", "numpy"])
def test_bad_shapes_raise_value_error(kernels):
    maps = np.zeros((1, 5, 5, 2), np.float32)
    with pytest.raises(ValueError):
        kernels.im2col(maps, 6, 3, np.empty((0, 37), np.float32))          # kernel too big
    with pytest.raises(ValueError):
        kernels.im2col(maps, 3, 3, np.empty((9, 18), np.float32))          # no column for 1s
    with pytest.raises(ValueError):
        kernels.max_pool(maps, 2, 2, 0, 2, np.empty((1, 3, 3, 2), np.float32))
    with pytest.raises(ValueError):
        kernels.max_pool(maps, 2, 2, 2, 2, np.empty((1, 3, 3, 3), np.float32))
    with pytest.raises(ValueError):
        kernels.prelu(np.zeros((4, 3), np.float32), np.zeros(2, np.float32))


def run_matmul(kernels, a, b, bias, **options):
    out = np.full((a.shape[0], b.shape[1]), np.nan, np.float32)
    kernels.matmul(a, b, bias, out, **options)
    return out


@pytest.mark.parametrize("m, k, n, with_bias, seed", [
    (1, 1, 1, False, 0), (7, 5, 3, True, 1), (64, 27, 10, True, 2),     # PNet's first layer
    (130, 252, 28, True, 3), (6, 17, 16, False, 4), (65, 3, 33, True, 5),
    (5, 0, 4, True, 6), (0, 4, 4, False, 7),
])
def test_matmul_matches_twin_on_every_path(m, k, n, with_bias, seed):
    """Vector path, portable path, several threads and the twin: the same bits.

    (The twin rounds each float64 step to float32, which differs from a fused
    multiply-add only on a double rounding; these fixed cases have none.)
    """
    rng = np.random.default_rng(seed)
    a = read_only(rng.normal(size=(m, k)).astype(np.float32))
    b = read_only(rng.normal(size=(k, n)).astype(np.float32))
    bias = read_only(rng.normal(size=n if with_bias else 0).astype(np.float32))
    want = run_matmul(twin, a, b, bias)
    np.testing.assert_array_equal(run_matmul(compiled, a, b, bias), want)
    np.testing.assert_array_equal(run_matmul(compiled, a, b, bias, portable=True), want)
    np.testing.assert_array_equal(run_matmul(compiled, a, b, bias, n_threads=3), want)
    exact = a.astype(np.float64) @ b.astype(np.float64) + (bias if with_bias else 0)
    np.testing.assert_allclose(want, exact, rtol=1e-5, atol=1e-5 * max(k, 1))


def test_matmul_sums_in_order_with_fused_steps():
    """The order is fixed: (1e8 + 1) - 1e8 in float32 is 0 when summed left to right."""
    a = np.array([[1e8, 1.0, -1e8]], np.float32)
    b = np.ones((3, 1), np.float32)
    for kernels in (compiled, twin):
        assert run_matmul(kernels, a, b, np.zeros(0, np.float32))[0, 0] == 0.0
    # and a fused step keeps the exact product: 3 * (1/3) - 1 is not rounded away.
    third = np.float32(1) / np.float32(3)
    a = np.array([[-1.0, 3.0]], np.float32)
    b = np.array([[1.0], [third]], np.float32)
    fused = np.float32(np.float64(3.0) * np.float64(third) - 1.0)
    assert fused != 0
    for kernels in (compiled, twin):
        assert run_matmul(kernels, a, b, np.zeros(0, np.float32))[0, 0] == fused


@pytest.mark.parametrize("kernels", [compiled, twin], ids=["compiled", "numpy"])
def test_matmul_bad_shapes_raise_value_error(kernels):
    a, b = np.zeros((3, 4), np.float32), np.zeros((4, 5), np.float32)
    none = np.zeros(0, np.float32)
    with pytest.raises(ValueError):
        kernels.matmul(a, np.zeros((3, 5), np.float32), none, np.empty((3, 5), np.float32))
    with pytest.raises(ValueError):
        kernels.matmul(a, b, none, np.empty((2, 5), np.float32))
    with pytest.raises(ValueError):
        kernels.matmul(a, b, np.zeros(4, np.float32), np.empty((3, 5), np.float32))
    with pytest.raises(ValueError):
        kernels.matmul(a, b, none, np.empty((3, 5), np.float32), n_threads=0)

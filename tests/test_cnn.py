"""OpenFace's CNN layers (cyclnf/cnn.py) against direct definitions, and whole networks.

Tolerances: convolution and fully connected layers 1e-5 relative to a float64 direct
sum (float32 products summed in BLAS's order); pooling, PReLU and the flattening order
exactly.
"""

import numpy as np
import pytest

from cyclnf import cnn, models
from cyclnf.models.formats.cnn import CONV, FULLY_CONNECTED, MAX_POOL, PRELU, RELU, Layer, Network


def rng_maps(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def direct_convolution(maps, kernels, bias):
    """Correlation by its definition, in float64: out[n,y,x,k] = sum maps * kernel + bias."""
    k, c, kh, kw = kernels.shape
    windows = np.lib.stride_tricks.sliding_window_view(maps.astype(np.float64), (kh, kw),
                                                       axis=(1, 2))   # (N, Ho, Wo, C, kh, kw)
    return np.einsum("nyxcij,kcij->nyxk", windows, kernels.astype(np.float64)) + bias


@pytest.mark.parametrize("shape, kernel_shape", [((2, 12, 14, 3), (10, 3, 3, 3)),
                                                 ((1, 9, 9, 5), (4, 5, 2, 2)),
                                                 ((3, 7, 8, 1), (6, 1, 5, 5))])
def test_convolution_is_correlation_plus_bias(shape, kernel_shape):
    maps = rng_maps(shape)
    kernels, bias = rng_maps(kernel_shape, 1), rng_maps(kernel_shape[:1], 2)
    got = cnn.convolution(maps, cnn.convolution_weights(kernels, bias), *kernel_shape[2:])
    np.testing.assert_allclose(got, direct_convolution(maps, kernels, bias), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("size, kernel, stride, expected", [
    (10, 2, 2, 5), (22, 3, 2, 11), (9, 3, 2, 4), (9, 2, 2, 5), (46, 3, 2, 23),
    (21, 3, 2, 10), (8, 2, 2, 4), (11, 2, 2, 6), (1, 2, 2, 0),
])
def test_pooled_size_rounds_halves_up_like_openface(size, kernel, stride, expected):
    assert cnn.pooled_size(size, kernel, stride) == expected


def test_max_pooling_cuts_windows_at_the_edge():
    maps = np.arange(25, dtype=np.float32).reshape(1, 5, 5, 1)
    out = cnn.max_pooling(maps, 2, 2, 2, 2)          # 5 -> round(1.5) + 1 = 3
    np.testing.assert_array_equal(out[0, :, :, 0], [[6, 8, 9], [16, 18, 19], [21, 23, 24]])
    maps = rng_maps((2, 11, 9, 3))
    np.testing.assert_array_equal(cnn.max_pooling(maps, 3, 2, 2, 3), direct_max_pool(maps, 3, 2, 2, 3))


def test_fully_connected_flattens_map_by_map_column_by_column():
    """Input i of a flattening layer is OpenFace's: map c, column x, row y -> c*H*W + x*H + y."""
    n, h, w, c = 2, 3, 4, 5
    maps = rng_maps((n, h, w, c))
    weights = np.zeros((c * h * w, 3), np.float32)
    picks = [(1, 2, 3), (4, 0, 1), (0, 1, 0)]          # (c, y, x) per output
    for out, (ci, y, x) in enumerate(picks):
        weights[ci * h * w + x * h + y, out] = 1.0
    got = cnn.fully_connected(maps, weights, np.zeros(3, np.float32))
    assert got.shape == (n, 1, 1, 3)
    for out, (ci, y, x) in enumerate(picks):
        np.testing.assert_array_equal(got[:, 0, 0, out], maps[:, y, x, ci])


def test_fully_connected_on_as_many_maps_as_inputs_acts_per_pixel():
    maps, weights, bias = rng_maps((1, 4, 5, 32)), rng_maps((32, 6), 1), rng_maps((6,), 2)
    got = cnn.fully_connected(maps, weights, bias)
    assert got.shape == (1, 4, 5, 6)
    np.testing.assert_allclose(got, maps.astype(np.float64) @ weights + bias, rtol=1e-5, atol=1e-5)


def test_fully_connected_refuses_a_size_mismatch():
    with pytest.raises(ValueError, match="cannot take"):
        cnn.fully_connected(rng_maps((1, 3, 3, 4)), rng_maps((35, 2)), rng_maps((2,)))


def test_activations():
    maps = rng_maps((2, 3, 3, 4))
    slopes = np.array([0.1, 0.5, -1.0, 2.0], np.float32)
    np.testing.assert_array_equal(cnn.prelu(maps.copy(), slopes),
                                  np.where(maps >= 0, maps, maps * slopes))
    np.testing.assert_array_equal(cnn.relu(maps.copy()), np.maximum(maps, 0))
    np.testing.assert_allclose(cnn.sigmoid(maps), 1 / (1 + np.exp(-maps.astype(np.float64))),
                               rtol=1e-6)


def small_network():
    rng = np.random.default_rng(3)
    f = lambda *s: rng.normal(size=s).astype(np.float32)   # noqa: E731
    return Network((
        Layer(CONV, {"kernels": f(4, 3, 3, 3), "bias": f(4)}),
        Layer(PRELU, {"slopes": f(4)}),
        Layer(MAX_POOL, {"pool": np.array([2, 2, 2, 2], np.int32)}),
        Layer(CONV, {"kernels": f(6, 4, 2, 2), "bias": f(6)}),
        Layer(RELU, {}),
        Layer(FULLY_CONNECTED, {"weights": f(6 * 2 * 2, 5), "bias": f(5)}),
    ))


def direct_max_pool(maps, kx, ky, sx, sy):
    """OpenFace's pooling loop: windows from every stride step, cut off at the edge."""
    n, h, w, c = maps.shape
    out = np.zeros((n, cnn.pooled_size(h, ky, sy), cnn.pooled_size(w, kx, sx), c), maps.dtype)
    for oy in range(out.shape[1]):
        for ox in range(out.shape[2]):
            window = maps[:, oy * sy:oy * sy + ky, ox * sx:ox * sx + kx]
            if window.size:
                out[:, oy, ox] = window.max(axis=(1, 2))
    return out


def test_network_runs_its_layers_in_order():
    layers = small_network().layers
    net = cnn.ConvNet(small_network())
    maps = rng_maps((3, 7, 7, 3), 5)
    x = direct_convolution(maps, layers[0].params["kernels"], layers[0].params["bias"])
    x = np.where(x >= 0, x, x * layers[1].params["slopes"])
    x = direct_max_pool(x, 2, 2, 2, 2)                       # 5 x 5 -> 3 x 3
    x = direct_convolution(x, layers[3].params["kernels"], layers[3].params["bias"])
    x = np.maximum(x, 0)                                     # (3, 2, 2, 6)
    x = x.transpose(0, 3, 2, 1).reshape(3, -1) @ layers[5].params["weights"] + \
        layers[5].params["bias"]
    got = net(maps)
    assert got.shape == (3, 1, 1, 5) and got.dtype == np.float32
    np.testing.assert_allclose(got[:, 0, 0], x, rtol=1e-4, atol=1e-4)
    # A batch of three gives what three batches of one give.
    for i in range(3):
        np.testing.assert_allclose(net(maps[i:i + 1]), got[i:i + 1], rtol=1e-5, atol=1e-6)


def test_network_takes_strided_read_only_and_float64_maps():
    net = cnn.ConvNet(small_network())
    maps = rng_maps((2, 14, 7, 3), 6)
    expected = net(np.ascontiguousarray(maps[:, ::2]))
    read_only = np.ascontiguousarray(maps[:, ::2])
    read_only.flags.writeable = False
    for variant in (maps[:, ::2], read_only, maps[:, ::2].astype(np.float64)):
        np.testing.assert_array_equal(net(variant), expected)
    with pytest.raises(ValueError, match="maps must be"):
        net(maps[0])


def test_openface_networks_have_their_shapes(models_root):
    files = models.manifest().detector_files("mtcnn")
    pnet, rnet, onet = (cnn.ConvNet(models.load_file(files[k])) for k in ("pnet", "rnet", "onet"))
    assert pnet(np.zeros((1, 12, 12, 3), np.float32)).shape == (1, 1, 1, 6)
    assert pnet(np.zeros((1, 30, 40, 3), np.float32)).shape == (1, 10, 15, 6)
    assert rnet(np.zeros((4, 24, 24, 3), np.float32)).shape == (4, 1, 1, 6)
    assert onet(np.zeros((2, 48, 48, 3), np.float32)).shape == (2, 1, 1, 16)
    validator = models.load_file(
        "lib/local/LandmarkDetector/model/detection_validation/validator_cnn_68.txt")
    for network in validator.networks:
        assert cnn.ConvNet(network)(np.zeros((1, 60, 60, 1), np.float32)).shape == (1, 1, 1, 20)
    assert "convolution" in repr(pnet)


def test_network_never_changes_the_callers_maps():
    net = cnn.ConvNet(Network((Layer(PRELU, {"slopes": np.full(2, 0.5, np.float32)}),
                               Layer(RELU, {}))))
    maps = rng_maps((1, 3, 3, 2))
    before = maps.copy()
    np.testing.assert_array_equal(net(maps), np.maximum(before, 0))
    np.testing.assert_array_equal(maps, before)

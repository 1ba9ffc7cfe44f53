"""SVR responses: the compiled kernel against its NumPy twin.

Tolerance: 1e-6 absolute (responses are in (0, 1]); both compute features and
correlations in double precision in the same order up to summation order.
"""

import numpy as np
import pytest

from cyclnf.kernels import load

compiled = load("svr", "compiled")
twin = load("svr", "numpy")


def inputs(n=20, w=7, patch=5, M=2, seed=0):
    rng = np.random.default_rng(seed)
    A = w + patch - 1
    areas = rng.integers(0, 256, size=(n, A, A)).astype(np.float32)
    areas[0] = 12.0                                   # flat: unit std, zero gradient
    kinds = np.tile(np.arange(M, dtype=np.int32) % 2, (n, 1))
    weights = rng.normal(size=(n, M, patch, patch))
    weights[1, 0] = 0.5                               # a flat template
    scaling = rng.uniform(1, 10, size=(n, M))
    bias = rng.uniform(-5, 0, size=(n, M))
    return areas, kinds, weights, scaling, bias


def run(kernels, areas, kinds, weights, scaling, bias, n_threads=1):
    w = areas.shape[1] - weights.shape[2] + 1
    out = np.empty((areas.shape[0], w, w), np.float32)
    kernels.responses(areas, kinds, weights, scaling, bias, out, n_threads)
    return out


@pytest.mark.parametrize("seed, M", [(0, 2), (1, 1), (2, 3)])
def test_compiled_matches_twin(seed, M):
    args = inputs(M=M, seed=seed)
    got, want = run(compiled, *args), run(twin, *args)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)
    assert ((got > 0) & (got <= 1)).all()


def test_compiled_matches_twin_on_real_experts(models_root):
    from cyclnf import models
    svr = models.load_file("lib/local/LandmarkDetector/model/patch_experts/svr_patches_0.25_general.txt")
    rng = np.random.default_rng(5)
    visible = svr.visibility[0]
    args = (rng.integers(0, 256, size=(visible.sum(), 21, 21)).astype(np.float32),
            np.ascontiguousarray(svr.feature_type[0, visible]),
            np.ascontiguousarray(svr.weights[0, visible]),
            np.ascontiguousarray(svr.scaling[0, visible]),
            np.ascontiguousarray(svr.bias[0, visible]))
    np.testing.assert_allclose(run(compiled, *args), run(twin, *args), rtol=0, atol=1e-6)
    np.testing.assert_array_equal(run(compiled, *args, n_threads=3), run(compiled, *args))


@pytest.mark.parametrize("kernels", [compiled, twin], ids=["compiled", "numpy"])
def test_bad_inputs_raise_value_error(kernels):
    areas, kinds, weights, scaling, bias = inputs()
    bad_kinds = kinds.copy()
    bad_kinds[0, 0] = 7
    out = np.empty((20, 7, 7), np.float32)
    for args in [(areas, bad_kinds, weights, scaling, bias, out),
                 (areas[:, 1:], kinds, weights, scaling, bias, out),
                 (areas, kinds, weights, scaling[:, :1], bias, out),
                 (areas, kinds, weights, scaling, bias, out[:3])]:
        with pytest.raises(ValueError):
            kernels.responses(*args)

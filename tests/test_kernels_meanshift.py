"""KDE mean-shift: the compiled kernels against their NumPy twin.

Tolerance: float32 rounding (a few ulp of the values involved), as both compute in
float32 with the same table.
"""

import numpy as np
import pytest

from cyclnf.kernels import load

compiled = load("meanshift", "compiled")
twin = load("meanshift", "numpy")


@pytest.mark.parametrize("w", [3, 7, 9, 11, 15])
def test_table_mean_shifts_and_likelihoods_match_twin(w):
    a = np.float32(-0.5 / 1.5 ** 2)
    tables = [np.empty(((10 * w) ** 2, w * w), np.float32) for _ in range(2)]
    compiled.kde_table(a, tables[0])
    twin.kde_table(a, tables[1])
    np.testing.assert_allclose(tables[0], tables[1], rtol=1e-6, atol=1e-37)   # denormals
    rng = np.random.default_rng(w)
    responses = rng.random((40, w, w)).astype(np.float32)
    responses[3] = 0.0                                  # an empty map shifts by 0
    positions = rng.uniform(-2, w + 2, size=(40, 2)).astype(np.float32)   # clamped ones too
    shifts = [np.empty((40, 2), np.float32) for _ in range(2)]
    compiled.mean_shifts(responses, positions, tables[0], shifts[0])
    twin.mean_shifts(responses, positions, tables[0], shifts[1])
    np.testing.assert_allclose(shifts[0], shifts[1], rtol=0, atol=1e-5)
    assert not shifts[0][3].any()
    lk = [np.empty(40, np.float32) for _ in range(2)]
    compiled.likelihoods(responses, positions, 1.5, lk[0])
    twin.likelihoods(responses, positions, 1.5, lk[1])
    np.testing.assert_allclose(lk[0], lk[1], rtol=1e-5)


def test_mean_shift_moves_towards_a_peak():
    w = 9
    table = np.empty(((10 * w) ** 2, w * w), np.float32)
    compiled.kde_table(np.float32(-0.5 / 2.0 ** 2), table)
    responses = np.zeros((1, w, w), np.float32)
    responses[0, 6, 2] = 1.0                          # peak at x = 2, y = 6
    out = np.empty((1, 2), np.float32)
    compiled.mean_shifts(responses, np.array([[4.0, 4.0]], np.float32), table, out)
    np.testing.assert_allclose(out[0], [-2.0, 2.0], atol=1e-5)


@pytest.mark.parametrize("kernels", [compiled, twin], ids=["compiled", "numpy"])
def test_bad_shapes_raise_value_error(kernels):
    table = np.empty((4900, 49), np.float32)
    responses = np.zeros((3, 7, 7), np.float32)
    with pytest.raises(ValueError):
        kernels.kde_table(-0.2, np.empty((10, 49), np.float32))
    with pytest.raises(ValueError):
        kernels.mean_shifts(responses, np.zeros((2, 2), np.float32), table,
                            np.empty((3, 2), np.float32))
    with pytest.raises(ValueError):
        kernels.mean_shifts(responses, np.zeros((3, 2), np.float32), table[:100],
                            np.empty((3, 2), np.float32))
    with pytest.raises(ValueError):
        kernels.likelihoods(responses, np.zeros((3, 2), np.float32), 0.0, np.empty(3, np.float32))

"""The compiled PDM kernels (src/_pdm.pyx) against their NumPy twin.

Tolerance: both compute in float64 with the same formulas in a different order of
summation, so they agree to a few ulps; 1e-12 relative to the largest value is asserted.
"""

import numpy as np
import pytest

from cyclnf.kernels import load

compiled = load("pdm", "compiled")
twin = load("pdm", "numpy")
RTOL = 1e-12


def inputs(n=68, m=34, seed=0):
    rng = np.random.default_rng(seed)
    mean = rng.normal(scale=50, size=(n, 3))
    basis = rng.normal(size=(n, 3, m))
    local = rng.normal(scale=5, size=m)
    glob = np.r_[rng.uniform(0.5, 3), rng.uniform(-1, 1, 3), rng.uniform(0, 400, 2)]
    return mean, basis, local, glob


def run_all(kernels, mean, basis, local, glob):
    n, m = basis.shape[0], basis.shape[2]
    shape = np.empty((n, 3))
    kernels.shape_3d(mean, basis, local, shape)
    projected = np.empty((n, 2))
    kernels.project(shape, glob, projected)
    J = np.empty((2 * n, 6 + m))
    kernels.jacobian(shape, basis, glob, J)
    Jr = np.empty((2 * n, 6))
    kernels.rigid_jacobian(shape, glob, Jr)
    return shape, projected, J, Jr


def assert_close(a, b):
    np.testing.assert_allclose(a, b, rtol=0, atol=RTOL * max(1.0, np.abs(b).max()))


@pytest.mark.parametrize("seed, n, m", [(0, 68, 34), (1, 51, 30), (2, 28, 10), (3, 1, 1)])
def test_compiled_matches_twin_on_random_inputs(seed, n, m):
    args = inputs(n, m, seed)
    for got, want in zip(run_all(compiled, *args), run_all(twin, *args)):
        assert_close(got, want)


def test_compiled_matches_twin_on_the_real_pdm(models_root):
    from cyclnf import PDM
    pdm = PDM.load()
    glob = np.array([2.1, 0.2, -0.4, 0.1, 320.0, 240.0])
    local = np.sqrt(pdm.eigen_values) * np.linspace(-2, 2, 34)
    args = (pdm.mean_3d, pdm.basis_3d, local, glob)
    for got, want in zip(run_all(compiled, *args), run_all(twin, *args)):
        assert_close(got, want)


def test_rigid_jacobian_is_the_first_six_columns():
    args = inputs()
    _, _, J, Jr = run_all(compiled, *args)
    np.testing.assert_array_equal(J[:, :6], Jr)


def test_read_only_inputs_are_accepted():
    # Model arrays come memory-mapped read-only from the cache.
    args = [a.copy() for a in inputs()]
    for a in args:
        a.flags.writeable = False
    for got, want in zip(run_all(compiled, *args), run_all(twin, *inputs())):
        assert_close(got, want)


@pytest.mark.parametrize("kernels", [compiled, twin], ids=["compiled", "numpy"])
def test_mismatched_shapes_raise_value_error(kernels):
    mean, basis, local, glob = inputs()
    with pytest.raises(ValueError):
        kernels.shape_3d(mean, basis, local[:-1], np.empty((68, 3)))
    with pytest.raises(ValueError):
        kernels.shape_3d(mean, basis[:-1], local, np.empty((68, 3)))
    with pytest.raises(ValueError):
        kernels.project(mean, glob[:5], np.empty((68, 2)))
    with pytest.raises(ValueError):
        kernels.project(mean, glob, np.empty((67, 2)))
    with pytest.raises(ValueError):
        kernels.jacobian(mean, basis, glob, np.empty((136, 39)))
    with pytest.raises(ValueError):
        kernels.rigid_jacobian(mean, glob, np.empty((135, 6)))


def test_compiled_refuses_wrong_dtype_instead_of_reading_garbage():
    mean, basis, local, glob = inputs()
    with pytest.raises(ValueError):
        compiled.shape_3d(mean.astype(np.float32), basis, local, np.empty((68, 3)))
    with pytest.raises(ValueError):
        compiled.shape_3d(np.asfortranarray(mean), basis, local, np.empty((68, 3)))


@pytest.mark.parametrize("n_visible", [68, 20, 6])
def test_calc_params_matches_twin_and_recovers_a_shape(n_visible):
    """CalcParams on points a known shape projects to: the kernel equals its twin (the
    loop may take a step more or less on a borderline 0.1% test, so the parameters are
    held to 1e-6 of their size) and both reproduce the points."""
    mean, basis, _, _ = inputs(n=n_visible, m=10, seed=n_visible)
    eigen = np.linspace(50.0, 1.0, 10)
    local = np.random.default_rng(1).normal(size=10) * np.sqrt(eigen)
    glob = np.array([1.3, 0.1, -0.2, 0.05, 200.0, 150.0])
    shape = np.empty((n_visible, 3))
    compiled.shape_3d(mean, basis, local, shape)
    target = np.empty((n_visible, 2))
    compiled.project(shape, glob, target)
    start = np.r_[1.0, 0.0, 0.0, 0.0, target.mean(axis=0), np.zeros(10)]
    ours, theirs = np.empty(16), np.empty(16)
    steps = compiled.calc_params(mean, basis, eigen, target, start, ours)
    twin_steps = twin.calc_params(mean, basis, eigen, target, start, theirs)
    assert abs(steps - twin_steps) <= 1 and 3 <= steps <= 1000
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)
    fitted = np.empty((n_visible, 2))
    compiled.shape_3d(mean, basis, ours[6:], shape)
    compiled.project(shape, ours[:6], fitted)
    assert np.abs(fitted - target).max() < 0.05 * np.ptp(target)


def test_calc_params_refuses_bad_input():
    mean, basis, _, _ = inputs(n=10, m=4)
    good = dict(mean=mean, basis=basis, eigen_values=np.ones(4), target=np.zeros((10, 2)),
                start=np.r_[1.0, np.zeros(9)], out=np.empty(10))
    for kernels in (compiled, twin):
        for name, bad in (("target", np.zeros((9, 2))), ("eigen_values", -np.ones(4)),
                          ("start", np.zeros(9)), ("out", np.empty(11))):
            with pytest.raises(ValueError):
                kernels.calc_params(**{**good, name: bad})

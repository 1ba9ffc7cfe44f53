"""cyclnf.linalg, and the rule it exists for: no BLAS or LAPACK call in cyclnf's code.

BLAS splits sums by thread count and CPU kernel, so any ``@``, ``np.dot`` or
``np.linalg`` call in the per-frame path would make results depend on
``OPENBLAS_NUM_THREADS``. The rule is checked on the source, for the whole package but
the NumPy twins (references for the kernels, not a path results come from).
"""

import ast
from pathlib import Path

import cv2
import numpy as np
import pytest

import cyclnf
from cyclnf import linalg

PACKAGE = Path(cyclnf.__file__).parent
#: NumPy functions that hand their work to BLAS / LAPACK.
BLAS_FUNCTIONS = {"dot", "vdot", "inner", "outer", "matmul", "tensordot", "einsum",
                  "kron", "linalg"}


def _blas_uses(path):
    """(line, what) of every BLAS-backed call in one source file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, (ast.BinOp, ast.AugAssign)) and isinstance(node.op, ast.MatMult):
            found.append((node.lineno, "@"))
        elif isinstance(node, ast.Attribute) and (
                node.attr == "dot"                                    # ndarray.dot
                or (node.attr in BLAS_FUNCTIONS and isinstance(node.value, ast.Name)
                    and node.value.id in ("np", "numpy"))):
            found.append((node.lineno, node.attr))
    return sorted(found)


def test_no_blas_or_lapack_call_outside_the_twins():
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.parent.name == "kernels" and path.name.startswith("numpy_"):
            continue
        uses = _blas_uses(path)
        if uses:
            offenders[str(path.relative_to(PACKAGE))] = uses
    assert not offenders, f"BLAS/LAPACK calls (go through cyclnf.linalg): {offenders}"


def test_the_rule_sees_what_it_forbids(tmp_path):
    source = tmp_path / "bad.py"
    source.write_text("import numpy as np\na = b @ c\nd @= e\nf = np.linalg.inv(g)\n"
                      "h = x.dot(y)\ni = np.einsum('ij->i', j)\nk = kernels.matmul(a, b)\n")
    assert [what for _, what in _blas_uses(source)] == ["@", "@", "linalg", "dot", "einsum"]


@pytest.mark.parametrize("a_shape, b_shape", [
    ((68, 3), (3, 3)), ((5, 2), (2, 2)), ((204, 34), (34,)), ((2, 4, 3), (3, 2)),
    ((3, 0), (0, 2)),
])
def test_matmul_is_a_product(a_shape, b_shape):
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=a_shape), rng.normal(size=b_shape)
    got = linalg.matmul(a, b)
    assert got.shape == np.matmul(a, b).shape
    np.testing.assert_allclose(got, np.matmul(a, b), rtol=1e-12, atol=1e-12)


def test_matmul_sums_in_index_order():
    # Left to right: 1 + 1e16 rounds back to 1e16, so the 1 is lost; 1e16 - 1e16 + 1 keeps it.
    assert linalg.matmul(np.array([[1.0, 1e16, -1e16]]), np.ones(3))[0] == 0.0
    assert linalg.matmul(np.array([[1e16, -1e16, 1.0]]), np.ones(3))[0] == 1.0


def test_matmul_refuses_mismatched_shapes():
    with pytest.raises(ValueError):
        linalg.matmul(np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError):
        linalg.matmul(np.ones(3), np.ones(3))


def test_norm():
    assert linalg.norm([3.0, 4.0]) == 5.0
    assert linalg.norm(np.zeros(3)) == 0.0
    v = np.random.default_rng(1).normal(size=7)
    assert linalg.norm(v) == pytest.approx(np.sqrt((v * v).sum()), rel=1e-15)


def test_inv2x2_float32_is_opencvs_matx_inverse():
    m = np.array([[1.3, -0.2], [0.25, 0.9]], np.float32)
    det = np.float32(m[0, 0] * m[1, 1]) - np.float32(m[0, 1] * m[1, 0])
    d = np.float32(1) / det
    want = np.array([[m[1, 1] * d, -m[0, 1] * d], [-m[1, 0] * d, m[0, 0] * d]], np.float32)
    got = linalg.inv2x2_float32(m)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(got @ m, np.eye(2), atol=1e-6)
    with pytest.raises(ValueError, match="no finite inverse"):
        linalg.inv2x2_float32([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(ValueError, match="2 x 2"):
        linalg.inv2x2_float32(np.eye(3))


def test_det3x3():
    m = np.random.default_rng(2).normal(size=(3, 3))
    assert linalg.det3x3(m) == pytest.approx(np.linalg.det(m), rel=1e-12)
    _, u, vt = cv2.SVDecomp(m)
    assert abs(linalg.det3x3(u @ vt)) == pytest.approx(1.0, rel=1e-12)

"""OpenFace's point distribution model (PDM): the 3D shape model every fit moves.

A face is described by ``params = [scale, rx, ry, rz, tx, ty, p_0, ..., p_{m-1}]``
(``n_params = 6 + m``), OpenFace's ``params_global`` followed by ``params_local``:

- the 3D shape in model space is ``mean + basis @ p`` (mm),
- it is rotated by ``R = Rx(rx) @ Ry(ry) @ Rz(rz)``, scaled and shifted by ``(tx, ty)``,
- and projected by dropping z (weak perspective), giving ``(n_points, 2)`` pixels.

This follows OpenFace's PDM.cpp (CalcShape3D, CalcShape2D, ComputeJacobian,
ComputeRigidJacobian, UpdateModelParameters, Clamp, CalcParams, CalcBoundingBox);
see Baltrusaitis et al., "Constrained Local Neural Fields for robust facial landmark
detection in the wild", ICCV Workshops 2013. OpenFace computes in float32; cyclnf in
float64.
"""

from __future__ import annotations

from typing import Optional, Tuple

import numpy as np

from . import rotation
from .linalg import matmul
from ._validate import as_bbox, as_float_array
from .kernels import pdm as _kernels

#: OpenFace's PDM::Clamp keeps each shape parameter within this many standard deviations.
CLAMP_SIGMAS = 3.0


class PDM:
    """A 3D point distribution model with OpenFace's parameterisation.

    Parameters
    ----------
    mean_shape : (3n,) or (3n, 1) array_like
        Mean shape in OpenFace's planar layout ``[X_0..X_{n-1}, Y_0.., Z_0..]``.
    princ_comp : (3n, m) array_like
        Principal components, rows in the same layout.
    eigen_values : (m,) array_like
        Variance of each principal component (all positive).

    Attributes
    ----------
    mean_shape : (3n, 1) ndarray
        As given, pyclnf's and OpenFace's layout.
    princ_comp : (3n, m) ndarray
    eigen_values : (m,) ndarray
    mean_3d : (n, 3) ndarray
        The mean shape as one (X, Y, Z) row per point (the kernels' layout).
    basis_3d : (n, 3, m) ndarray
        The principal components in the kernels' layout.
    n_points, n_modes, n_params : int
    """

    def __init__(self, mean_shape, princ_comp, eigen_values):
        mean = as_float_array(mean_shape, "mean_shape").reshape(-1)
        if mean.size == 0 or mean.size % 3:
            raise ValueError(f"mean_shape must hold 3 values per point, got {mean.size} values")
        n = mean.size // 3
        basis = as_float_array(princ_comp, "princ_comp", shape=(3 * n, None))
        m = basis.shape[1]
        eig = as_float_array(eigen_values, "eigen_values").reshape(-1)
        if eig.size != m:
            raise ValueError(f"eigen_values must have {m} values (one per mode), got {eig.size}")
        if (eig <= 0).any():
            raise ValueError("eigen_values must all be positive")

        self.n_points, self.n_modes, self.n_params = n, m, 6 + m
        self.mean_shape = mean.reshape(3 * n, 1)
        self.princ_comp = basis
        self.eigen_values = eig
        for array in (self.mean_shape, self.princ_comp, self.eigen_values):
            array.flags.writeable = False
        # Kernel layouts: one (X, Y, Z) row per point, modes last (read-only).
        self.mean_3d = np.ascontiguousarray(mean.reshape(3, n).T)
        self.basis_3d = np.ascontiguousarray(basis.reshape(3, n, m).transpose(1, 0, 2))
        self.mean_3d.flags.writeable = False
        self.basis_3d.flags.writeable = False

    @classmethod
    def load(cls, model: str = "clnf_general", cache_dir=None) -> "PDM":
        """The PDM of an installed OpenFace model (never downloads).

        Parameters
        ----------
        model : str
            A model in cyclnf's manifest: ``clnf_general`` (68 points), ``inner`` (51),
            ``left_eye_28`` or ``right_eye_28``.
        cache_dir : path, optional
            Base of the models folder (default ``$OPENFACE_MODELS_DIR`` or the per-user one).
        """
        from . import models
        data = models.load_file(models.manifest().model(model).pdm, cache_dir)
        return cls(data.mean_shape, data.princ_comp, data.eigen_values)

    @classmethod
    def from_file(cls, path) -> "PDM":
        """The PDM in an OpenFace PDM text file (any file, not only the manifest's)."""
        from . import models
        data = models.read_file(path, "pdm")
        return cls(data.mean_shape, data.princ_comp, data.eigen_values)

    def __repr__(self) -> str:
        return f"PDM(n_points={self.n_points}, n_modes={self.n_modes})"

    # ------------------------------------------------------------------ checks

    def _params(self, params, name: str = "params") -> np.ndarray:
        params = as_float_array(params, name).reshape(-1)
        if params.size != self.n_params:
            raise ValueError(f"{name} must have {self.n_params} values "
                             f"([scale, rx, ry, rz, tx, ty] + {self.n_modes} shape), "
                             f"got {params.size}")
        return params

    def _local(self, params_local) -> np.ndarray:
        if params_local is None:
            return np.zeros(self.n_modes)
        local = as_float_array(params_local, "params_local").reshape(-1)
        if local.size != self.n_modes:
            raise ValueError(f"params_local must have {self.n_modes} values, got {local.size}")
        return local

    # ------------------------------------------------------------------ shapes

    def shape_3d(self, params_local=None) -> np.ndarray:
        """3D shape in model space (OpenFace's CalcShape3D).

        Parameters
        ----------
        params_local : (m,) array_like, optional
            Shape parameters; the mean shape when omitted.

        Returns
        -------
        (n_points, 3) ndarray
        """
        out = np.empty((self.n_points, 3))
        _kernels.shape_3d(self.mean_3d, self.basis_3d, self._local(params_local), out)
        return out

    def landmarks_2d(self, params) -> np.ndarray:
        """Image landmarks of a parameter vector (OpenFace's CalcShape2D).

        Parameters
        ----------
        params : (n_params,) array_like

        Returns
        -------
        (n_points, 2) ndarray
            ``(x, y)`` pixels.
        """
        params = self._params(params)
        out = np.empty((self.n_points, 2))
        _kernels.project(self.shape_3d(params[6:]), params[:6], out)
        return out

    def landmarks_3d(self, params) -> np.ndarray:
        """The shape rotated, scaled and shifted like the image landmarks, depth kept.

        Parameters
        ----------
        params : (n_params,) array_like

        Returns
        -------
        (n_points, 3) ndarray
            Columns x and y equal :meth:`landmarks_2d`; z is the scaled, rotated depth.
        """
        params = self._params(params)
        R = rotation.euler_to_rotation_matrix(params[1:4])
        out = params[0] * matmul(self.shape_3d(params[6:]), R.T)
        out[:, :2] += params[4:6]
        return out

    def jacobian(self, params, rigid: bool = False) -> np.ndarray:
        """Jacobian of :meth:`landmarks_2d` (OpenFace's ComputeJacobian / ComputeRigidJacobian).

        Rotation columns are derivatives with respect to a small rotation composed on
        the right of the current one, the step :meth:`update` takes.

        Parameters
        ----------
        params : (n_params,) array_like
        rigid : bool
            Only the six global parameters.

        Returns
        -------
        (2 n_points, 6) or (2 n_points, n_params) ndarray
            Rows interleaved: ``2 i`` is landmark i's x, ``2 i + 1`` its y, matching
            ``landmarks.reshape(-1)``.
        """
        params = self._params(params)
        shape3d = self.shape_3d(params[6:])
        if rigid:
            out = np.empty((2 * self.n_points, 6))
            _kernels.rigid_jacobian(shape3d, params[:6], out)
        else:
            out = np.empty((2 * self.n_points, self.n_params))
            _kernels.jacobian(shape3d, self.basis_3d, params[:6], out)
        return out

    # ------------------------------------------------------------------ parameter updates

    def update(self, params, delta) -> np.ndarray:
        """Apply a parameter step (OpenFace's UpdateModelParameters).

        Scale, translation and shape are added; the rotation step ``delta[1:4]`` is a
        small rotation composed on the right, ``R_new = R @ orthonormalise(I + [w]x)``,
        and the result is read back as Euler angles through axis-angle, as OpenFace does.

        Parameters
        ----------
        params : (n_params,) array_like
        delta : (n_params,) or (6,) array_like
            A rigid-only step leaves the shape parameters as they are.

        Returns
        -------
        (n_params,) ndarray
        """
        params = self._params(params)
        delta = as_float_array(delta, "delta").reshape(-1)
        if delta.size not in (6, self.n_params):
            raise ValueError(f"delta must have 6 or {self.n_params} values, got {delta.size}")
        out = np.empty(self.n_params)
        _kernels.update(params, delta, out)
        return out

    def clamp(self, params, n_sigmas: float = CLAMP_SIGMAS) -> np.ndarray:
        """Clamp each shape parameter to ``n_sigmas`` standard deviations (OpenFace's Clamp).

        Parameters
        ----------
        params : (n_params,) array_like

        Returns
        -------
        (n_params,) ndarray
        """
        params = self._params(params).copy()
        limit = n_sigmas * np.sqrt(self.eigen_values)
        params[6:] = np.clip(params[6:], -limit, limit)
        return params

    # ------------------------------------------------------------------ boxes

    def bounding_box(self, params) -> Tuple[float, float, float, float]:
        """The box around the projected landmarks (OpenFace's CalcBoundingBox).

        Returns
        -------
        (x, y, width, height) : tuple of float
        """
        landmarks = self.landmarks_2d(params)
        lo, hi = landmarks.min(axis=0), landmarks.max(axis=0)
        return float(lo[0]), float(lo[1]), float(hi[0] - lo[0]), float(hi[1] - lo[1])

    def params_from_bbox(self, bbox, rotation_euler=(0.0, 0.0, 0.0),
                         params_local=None) -> np.ndarray:
        """Parameters whose landmarks just fill a face box (OpenFace's CalcParams from a box).

        The box is taken to span the face from the left to the right outline and from
        the brows to the chin, the box a landmark detector expects.

        Parameters
        ----------
        bbox : (4,) array_like
            ``(x, y, width, height)`` in pixels.
        rotation_euler : (3,) array_like
            Head rotation ``(rx, ry, rz)`` to start from, radians.
        params_local : (m,) array_like, optional
            Shape to start from; the mean shape when omitted.

        Returns
        -------
        (n_params,) ndarray
        """
        x, y, w, h = as_bbox(bbox)
        euler = as_float_array(rotation_euler, "rotation_euler", shape=(3,))
        local = self._local(params_local)
        rotated = matmul(self.shape_3d(local), rotation.euler_to_rotation_matrix(euler).T)
        lo, hi = rotated[:, :2].min(axis=0), rotated[:, :2].max(axis=0)
        extent = hi - lo
        scale = (w / extent[0] + h / extent[1]) / 2.0
        tx = x + w / 2.0 - scale * (lo[0] + hi[0]) / 2.0
        ty = y + h / 2.0 - scale * (lo[1] + hi[1]) / 2.0
        return np.concatenate([[scale], euler, [tx, ty], local])

    # ------------------------------------------------------------------ fitting to points

    def params_from_landmarks(self, landmarks, rotation_euler=(0.0, 0.0, 0.0),
                              visible: Optional[np.ndarray] = None) -> np.ndarray:
        """Parameters whose landmarks best match given 2D points (OpenFace's CalcParams).

        Regularised Gauss-Newton on ``|landmarks - landmarks_2d(params)|^2`` plus
        ``p^T diag(1/eigen_values) p``, with OpenFace's damping (0.75 of each step) and
        stopping rule (the third iteration that improves the error by less than 0.1%, or
        1000 iterations).

        Parameters
        ----------
        landmarks : (n_points, 2) array_like
            ``(x, y)`` pixels. Points marked invisible may be NaN.
        rotation_euler : (3,) array_like
            Rotation to start from, radians.
        visible : (n_points,) array_like of bool, optional
            Points to fit; all when omitted. At least 3 are needed.

        Returns
        -------
        (n_params,) ndarray
        """
        n = self.n_points
        points = as_float_array(landmarks, "landmarks", shape=(n, 2), allow_nan=True)
        if visible is None:
            mask = np.ones(n, dtype=bool)
        else:
            mask = np.asarray(visible)
            if mask.shape != (n,) or mask.dtype != np.bool_:
                raise ValueError(f"visible must be a boolean array of shape ({n},)")
        if np.isnan(points[mask]).any():
            raise ValueError("landmarks contains NaN at points marked visible")
        if mask.sum() < 3:
            raise ValueError("at least 3 visible landmarks are needed")
        euler = as_float_array(rotation_euler, "rotation_euler", shape=(3,))
        return _fit_to_points(self, points, mask, euler)


def _fit_to_points(pdm: PDM, points: np.ndarray, mask: np.ndarray,
                   euler: np.ndarray) -> np.ndarray:
    """OpenFace's PDM::CalcParams on the visible points (see params_from_landmarks)."""
    target = np.ascontiguousarray(points[mask])
    mean = np.ascontiguousarray(pdm.mean_3d[mask])
    basis = np.ascontiguousarray(pdm.basis_3d[mask])
    # Start: the box of the mean shape's visible points (unrotated, scale 1) stretched
    # over the box of the given points, centred on it, with the given rotation.
    lo, hi = target.min(axis=0), target.max(axis=0)
    model_extent = mean[:, :2].max(axis=0) - mean[:, :2].min(axis=0)
    scale = float(np.mean((hi - lo) / model_extent))
    start = np.concatenate([[scale], euler, (lo + hi) / 2.0, np.zeros(pdm.n_modes)])
    params = np.empty(pdm.n_params)
    _kernels.calc_params(mean, basis, pdm.eigen_values, target, start, params)
    return params

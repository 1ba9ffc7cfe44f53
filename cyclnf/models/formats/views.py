"""What every patch-expert file starts with: its scale and its views.

OpenFace trains patch experts per head orientation ("view"): each file gives the patch
scale, the Euler angles at the centre of each view and which landmarks each view sees
(Patch_experts::Read_CCNF_patch_experts and Read_SVR_patch_experts read the same header,
in binary and in text).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: A patch scale outside this range means the file is not a patch-expert file.
PLAUSIBLE_SCALE = (0.0, 100.0)


@dataclass(frozen=True)
class PatchExpertViews:
    """Scale and views of a patch-expert file.

    Attributes
    ----------
    scale : float
        Size of the reference shape the experts were trained at, relative to the PDM.
    view_centres : (V, 3) float64
        Head rotation (rx, ry, rz) at the centre of each view, radians.
    visibility : (V, n) bool
        Landmarks each view sees.
    """

    scale: float
    view_centres: np.ndarray
    visibility: np.ndarray

    @property
    def n_views(self) -> int:
        return self.visibility.shape[0]

    @property
    def n_landmarks(self) -> int:
        return self.visibility.shape[1]

    def view_index(self, rotation) -> int:
        """The view whose centre is nearest to a head rotation (OpenFace's GetViewIdx).

        Parameters
        ----------
        rotation : (3,) array_like
            ``(rx, ry, rz)`` in radians.
        """
        d = ((self.view_centres - np.asarray(rotation, dtype=np.float64)) ** 2).sum(axis=1)
        return int(np.argmin(d))

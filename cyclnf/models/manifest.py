"""The model manifest: every OpenFace file cyclnf uses, and how the files make up models.

The manifest (``openface_models.json``, kept in the repository's ``models/`` folder and
installed inside this package) lists for each file its path in OpenFace's repository,
size, SHA-256 and official download URLs at tag ``OpenFace_2.2.0``, and describes each
model the way OpenFace's model-definition files do (``main_clnf_general.txt`` and the
files it names): the PDM, the patch-expert files per scale, the hierarchical parts with
their landmark mappings, the validator and the detector networks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Dict, List, Optional, Tuple

MANIFEST_NAME = "openface_models.json"
OPENFACE_VERSION = "2.2.0"


@dataclass(frozen=True)
class ManifestFile:
    """One OpenFace file: ``path`` in OpenFace's repository, expected size and SHA-256."""

    path: str
    format: str
    size: int
    sha256: str
    urls: Tuple[str, ...]
    checksum_from: str


@dataclass(frozen=True)
class PartModel:
    """A hierarchical part: its model name and ``(main index, part index)`` landmark pairs."""

    name: str
    model: str
    mapping: Tuple[Tuple[int, int], ...]


@dataclass(frozen=True)
class ModelSpec:
    """The files of one landmark model, as an OpenFace model-definition file names them."""

    name: str
    description: str
    pdm: str
    patch_expert_kind: str
    patch_experts: Tuple[str, ...]
    triangulation: Optional[str] = None
    parts: Tuple[PartModel, ...] = ()
    validator: Optional[str] = None
    face_detection_conversion: Optional[str] = None

    def files(self) -> List[str]:
        """Every file this model needs, its parts' files included (OpenFace paths)."""
        own = [self.pdm, *self.patch_experts, self.triangulation, self.validator,
               self.face_detection_conversion]
        paths = [p for p in own if p]
        for part in self.parts:
            paths += [p for p in manifest().model(part.model).files() if p not in paths]
        return paths


class Manifest:
    """The parsed manifest. Use :func:`manifest` for the one shipped with cyclnf."""

    def __init__(self, data: dict, source: str = MANIFEST_NAME):
        if data.get("schema") != 1 or data.get("openface_version") != OPENFACE_VERSION:
            raise ValueError(f"{source} is not a schema-1 manifest for OpenFace {OPENFACE_VERSION}")
        self.source = source
        self.license = data["license"]
        self.license_url = data["license_url"]
        self.files: Dict[str, ManifestFile] = {}
        for entry in data["files"]:
            path = entry["path"]
            parts = path.split("/")
            if path.startswith("/") or "\\" in path or any(p in ("", ".", "..") for p in parts):
                raise ValueError(f"{source}: unsafe path {path!r}")
            self.files[path] = ManifestFile(path, entry["format"], int(entry["size"]),
                                            entry["sha256"].lower(), tuple(entry["urls"]),
                                            entry["checksum_from"])
        self.models: Dict[str, ModelSpec] = {}
        for name, spec in data["models"].items():
            parts = tuple(PartModel(p["name"], p["model"], tuple(map(tuple, p["mapping"])))
                          for p in spec.get("parts", ()))
            self.models[name] = ModelSpec(
                name=name, description=spec["description"], pdm=spec["pdm"],
                patch_expert_kind=spec["patch_experts"]["kind"],
                patch_experts=tuple(spec["patch_experts"]["files"]),
                triangulation=spec.get("triangulation"), parts=parts,
                validator=spec.get("validator"),
                face_detection_conversion=spec.get("face_detection_conversion"))
        self.detectors: Dict[str, Dict[str, str]] = data.get("detectors", {})
        self.extra: Dict[str, str] = data.get("extra", {})
        named = [f for m in self.models.values() for f in
                 (m.pdm, *m.patch_experts, m.triangulation, m.validator,
                  m.face_detection_conversion) if f]
        named += [f for d in self.detectors.values() for f in d.values()]
        named += list(self.extra.values())
        unknown = sorted(set(named) - set(self.files))
        if unknown:
            raise ValueError(f"{source}: models name files the manifest does not list: {unknown}")

    def model(self, name: str) -> ModelSpec:
        """The model called ``name`` (``clnf_general``, ``clm_general``, ``inner``, ...)."""
        try:
            return self.models[name]
        except KeyError:
            raise KeyError(f"no model {name!r}; known models: {sorted(self.models)}") from None

    def file(self, path: str) -> ManifestFile:
        """The manifest entry of an OpenFace path."""
        try:
            return self.files[path]
        except KeyError:
            raise KeyError(f"{path!r} is not in cyclnf's model manifest") from None

    def detector_files(self, name: str) -> Dict[str, str]:
        """Files of a face detector (``mtcnn``), by role."""
        return dict(self.detectors[name])


def _manifest_text() -> Tuple[str, str]:
    packaged = resources.files(__package__).joinpath(MANIFEST_NAME)
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8"), str(packaged)
    # An editable install keeps Python files in the source tree, where the manifest
    # lives in the top-level models/ folder instead of beside this module.
    source_tree = Path(__file__).resolve().parents[2] / "models" / MANIFEST_NAME
    if source_tree.is_file():
        return source_tree.read_text(encoding="utf-8"), str(source_tree)
    raise FileNotFoundError(f"cyclnf's model manifest {MANIFEST_NAME} is missing from the "
                            "installation; reinstall cyclnf")


@lru_cache(maxsize=1)
def manifest() -> Manifest:
    """The manifest shipped with cyclnf."""
    text, source = _manifest_text()
    return Manifest(json.loads(text), source)

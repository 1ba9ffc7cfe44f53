"""OpenFace's model-definition files: which files make up a landmark model.

Two kinds of plain-text files, one ``Key value...`` per line, paths relative to the file
(LandmarkDetectorModel.cpp, CLNF::Read and CLNF::Read_CLNF):

- a *main* file such as ``main_clnf_general.txt``: ``LandmarkDetector <model file>``,
  ``LandmarkDetector_part <main file> <name> <main index> <part index> ...`` (pairs of
  0-based landmark indices), ``FaceDetConversion <file>``, ``DetectionValidator <file>``;
- a *model* file such as ``clnf_general.txt``: ``PDM``, ``Triangulations``, one
  ``PatchesCCNF`` / ``PatchesIntensity`` (SVR) / ``PatchesCEN`` line per scale, and
  ``EarlyTermination``.

OpenFace ignores keys it does not know; so does this reader (they are kept in ``other``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Tuple

from ..errors import ModelFormatError

#: Patch-expert keys and the expert kind each names.
PATCH_KEYS = {"PatchesCCNF": "ccnf", "PatchesIntensity": "svr", "PatchesCEN": "cen"}


@dataclass(frozen=True)
class PartDefinition:
    """A hierarchical part: its main file, its name and ``(main, part)`` index pairs."""

    main_file: Path
    name: str
    mapping: Tuple[Tuple[int, int], ...]


@dataclass(frozen=True)
class ModelDefinition:
    """What a main or model definition file names (absolute paths)."""

    path: Path
    model_file: Optional[Path] = None
    pdm: Optional[Path] = None
    triangulation: Optional[Path] = None
    patch_expert_kind: Optional[str] = None
    patch_experts: Tuple[Path, ...] = ()
    early_termination: Optional[Path] = None
    parts: Tuple[PartDefinition, ...] = ()
    face_detection_conversion: Optional[Path] = None
    validator: Optional[Path] = None
    other: Tuple[Tuple[str, ...], ...] = field(default=())


def read_model_definition(path: "os.PathLike[str] | str",
                          follow: bool = True) -> ModelDefinition:
    """Read a main or model definition file.

    Parameters
    ----------
    path : path
        The definition file.
    follow : bool
        For a main file, also read the model file its ``LandmarkDetector`` line names and
        fill in ``pdm``, ``triangulation`` and the patch experts from it.

    Raises
    ------
    ModelFormatError
        Unreadable, not text, a line without its value, bad part mappings, or patch
        experts of more than one kind.
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("ascii")
    except FileNotFoundError:
        raise FileNotFoundError(f"model definition not found: {path}") from None
    except OSError as exc:
        raise ModelFormatError(path, f"cannot be read ({exc.strerror or exc})") from exc
    except UnicodeDecodeError:
        raise ModelFormatError(path, "is not a model definition (not plain text)") from None
    folder = path.parent
    found: dict = {"patch_experts": [], "parts": [], "other": []}

    for number, line in enumerate(text.splitlines(), start=1):
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        key = words[0]
        known = key in ("LandmarkDetector", "LandmarkDetector_part", "FaceDetConversion",
                        "DetectionValidator", "PDM", "Triangulations", "EarlyTermination",
                        *PATCH_KEYS)
        if not known:
            found["other"].append(tuple(words))
            continue
        if len(words) < 2:
            raise ModelFormatError(path, f"{key} has no file name", number, where="line")
        target = folder / words[1]
        if key == "LandmarkDetector":
            found["model_file"] = target
        elif key == "LandmarkDetector_part":
            found["parts"].append(_part(path, number, target, words[2:]))
        elif key == "FaceDetConversion":
            found["face_detection_conversion"] = target
        elif key == "DetectionValidator":
            found["validator"] = target
        elif key == "PDM":
            found["pdm"] = target
        elif key == "Triangulations":
            found["triangulation"] = target
        elif key == "EarlyTermination":
            found["early_termination"] = target
        else:
            kind = PATCH_KEYS[key]
            if found.setdefault("patch_expert_kind", kind) != kind:
                raise ModelFormatError(path, f"mixes {found['patch_expert_kind']} and {kind} "
                                       "patch experts", number, where="line")
            found["patch_experts"].append(target)

    if not any(found.get(k) for k in ("model_file", "pdm", "patch_experts")):
        raise ModelFormatError(path, "is not an OpenFace model definition (no LandmarkDetector, "
                               "PDM or patch-expert line)")
    definition = ModelDefinition(
        path=path, model_file=found.get("model_file"), pdm=found.get("pdm"),
        triangulation=found.get("triangulation"),
        patch_expert_kind=found.get("patch_expert_kind"),
        patch_experts=tuple(found["patch_experts"]),
        early_termination=found.get("early_termination"), parts=tuple(found["parts"]),
        face_detection_conversion=found.get("face_detection_conversion"),
        validator=found.get("validator"), other=tuple(found["other"]))
    if follow and definition.model_file is not None:
        model = read_model_definition(definition.model_file, follow=False)
        definition = ModelDefinition(
            **{**definition.__dict__, "pdm": model.pdm, "triangulation": model.triangulation,
               "patch_expert_kind": model.patch_expert_kind,
               "patch_experts": model.patch_experts,
               "early_termination": model.early_termination})
    return definition


def _part(path: Path, line: int, main_file: Path, words) -> PartDefinition:
    if not words:
        raise ModelFormatError(path, "LandmarkDetector_part has no part name", line, where="line")
    name, numbers = words[0], words[1:]
    if not numbers or len(numbers) % 2:
        raise ModelFormatError(path, f"part {name}: the landmark mapping must be pairs of "
                               "indices", line, where="line")
    try:
        values = [int(v) for v in numbers]
    except ValueError:
        raise ModelFormatError(path, f"part {name}: mapping indices must be whole numbers",
                               line, where="line") from None
    if min(values) < 0:
        raise ModelFormatError(path, f"part {name}: negative landmark index", line, where="line")
    pairs = tuple((values[i], values[i + 1]) for i in range(0, len(values), 2))
    return PartDefinition(main_file, name, pairs)

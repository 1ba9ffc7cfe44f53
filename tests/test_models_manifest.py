"""The manifest against OpenFace's files and OpenFace's own model-definition files."""

import copy
import hashlib
import json
import subprocess
from pathlib import Path

import pytest

import cyclnf
from cyclnf.models import manifest, read_model_definition
from cyclnf.models.manifest import Manifest

REPO = Path(__file__).resolve().parents[1]
M = "lib/local/LandmarkDetector/model/"


def test_sizes_and_checksums_match_the_files(models_root):
    for path, entry in manifest().files.items():
        data = (models_root / "originals" / path).read_bytes()
        assert len(data) == entry.size, path
        assert hashlib.sha256(data).hexdigest() == entry.sha256, path
        assert all(u.startswith("https://") and "OpenFace_2.2.0" in u for u in entry.urls)


def openface_definition(models_root, main):
    """OpenFace's definition of a model: the 2.2 main file where it was reconstructed
    (its validator line), everything else from the original files."""
    original = models_root / "originals" / M / main
    definition = read_model_definition(original)
    reconstructed = models_root / "reconstructed" / M / main
    validator = (read_model_definition(reconstructed, follow=False).validator
                 if reconstructed.is_file() else definition.validator)
    return definition, validator


def as_openface_path(models_root, path):
    text = str(path)
    for folder in ("originals", "reconstructed"):
        prefix = str(models_root / folder) + "/"
        if text.startswith(prefix):
            return text[len(prefix):]
    raise AssertionError(text)


@pytest.mark.parametrize("model, main", [("clnf_general", "main_clnf_general.txt"),
                                         ("clm_general", "main_clm_general.txt")])
def test_models_are_composed_as_openface_defines_them(models_root, model, main):
    spec = manifest().model(model)
    definition, validator = openface_definition(models_root, main)
    rel = lambda p: as_openface_path(models_root, p)
    assert spec.pdm == rel(definition.pdm)
    assert spec.triangulation == rel(definition.triangulation)
    assert spec.patch_expert_kind == definition.patch_expert_kind
    assert list(spec.patch_experts) == [rel(p) for p in definition.patch_experts]
    assert spec.face_detection_conversion == rel(definition.face_detection_conversion)
    assert [(p.name, p.mapping) for p in spec.parts] == \
        [(p.name, p.mapping) for p in definition.parts]
    if model == "clnf_general":   # the 2.2 file, reconstructed (see SOURCES.md)
        assert spec.validator == rel(validator)
    else:                         # only a 2.0-era main_clm_general.txt exists here
        assert spec.validator == M + "detection_validation/validator_cnn_68.txt"
    for part in definition.parts:
        part_def = read_model_definition(part.main_file)
        part_spec = manifest().model(part.name)
        assert part_spec.pdm == rel(part_def.pdm)
        assert list(part_spec.patch_experts) == [rel(p) for p in part_def.patch_experts]


def test_every_file_a_model_needs_is_in_the_manifest():
    for spec in manifest().models.values():
        for path in spec.files():
            assert path in manifest().files
    general = manifest().model("clnf_general").files()
    assert M + "model_inner/pdms/pdm_51_inner.txt" in general      # parts included


def load_raw():
    return json.loads(Path(manifest().source).read_text())


@pytest.mark.parametrize("damage", [
    lambda d: d["files"][0].update(path="../../etc/passwd"),
    lambda d: d["files"][0].update(path="/abs/path"),
    lambda d: d.update(openface_version="2.0.6"),
    lambda d: d["models"]["inner"].update(pdm=M + "not/listed.txt"),
])
def test_bad_manifests_are_refused(damage):
    data = copy.deepcopy(load_raw())
    damage(data)
    with pytest.raises(ValueError):
        Manifest(data)


def test_manifest_ships_with_the_package():
    source = Path(manifest().source)
    assert source.is_file() and source.name == "openface_models.json"
    package = Path(cyclnf.__file__).resolve().parent
    if "site-packages" in str(package):   # a regular install: it must be inside the package
        assert source.resolve().parent == package / "models"


def test_no_openface_file_is_in_the_repository_or_the_package():
    checksums = {e.sha256 for e in manifest().files.values()}
    files = [p for p in Path(cyclnf.__file__).resolve().parent.rglob("*") if p.is_file()]
    try:
        tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True,
                                 text=True, check=True).stdout.split()
        files += [REPO / t for t in tracked]
    except (OSError, subprocess.CalledProcessError):
        pass   # not a git checkout (tests run from an unpacked sdist)
    assert files
    for path in files:
        if path.is_file():
            assert hashlib.sha256(path.read_bytes()).hexdigest() not in checksums, path

"""Finding OpenFace's files: the shared folder, presence and size checks, never a download."""

import shutil
import sys

import pytest

from cyclnf import PDM
from cyclnf.models import (ModelFormatError, ModelsNotInstalledError, load_file, manifest,
                           models_root, require)

PDM_PATH = "lib/local/LandmarkDetector/model/pdms/In-the-wild_aligned_PDM_68.txt"


def test_root_from_argument_then_environment_then_user_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("OPENFACE_MODELS_DIR", str(tmp_path / "env"))
    assert models_root(tmp_path / "arg") == tmp_path / "arg" / "2.2.0"
    assert models_root() == tmp_path / "env" / "2.2.0"
    monkeypatch.delenv("OPENFACE_MODELS_DIR")
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert models_root() == tmp_path / "xdg" / "OpenFaceModels" / "2.2.0"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert models_root() == tmp_path / "home" / ".local" / "share" / "OpenFaceModels" / "2.2.0"
    monkeypatch.setattr(sys, "platform", "darwin")
    assert models_root() == (tmp_path / "home" / "Library" / "Application Support" /
                             "OpenFaceModels" / "2.2.0")


def test_files_live_under_originals_at_their_openface_path(models_root):
    for path in manifest().files:
        assert (models_root / "originals" / path).is_file(), path


def test_missing_files_raise_with_the_command_to_fix_it(tmp_path):
    with pytest.raises(ModelsNotInstalledError) as err:
        require([PDM_PATH], tmp_path)
    assert isinstance(err.value, FileNotFoundError)
    message = str(err.value)
    assert PDM_PATH in message and "cyclnf-download-models" in message
    assert str(tmp_path / "2.2.0") in message and "OPENFACE_MODELS_DIR" in message


def test_loading_never_downloads(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENFACE_MODELS_ACCEPT_LICENSE", "1")   # even with consent
    monkeypatch.setenv("OPENFACE_MODELS_DIR", str(tmp_path))

    def no_network(*args, **kwargs):
        raise AssertionError("loading a model tried to use the network")
    monkeypatch.setattr("urllib.request.urlopen", no_network)
    with pytest.raises(ModelsNotInstalledError):
        PDM.load()
    assert not (tmp_path / "2.2.0").exists()


def copy_models(models_root, tmp_path, paths):
    for path in paths:
        dest = tmp_path / "2.2.0" / "originals" / path
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(models_root / "originals" / path, dest)
    return tmp_path


def test_truncated_file_is_named(models_root, tmp_path):
    base = copy_models(models_root, tmp_path, [PDM_PATH])
    local = base / "2.2.0" / "originals" / PDM_PATH
    local.write_bytes(local.read_bytes()[:1000])
    with pytest.raises(ModelFormatError) as err:
        load_file(PDM_PATH, base)
    assert str(local) in str(err.value) and "truncated" in str(err.value)


def test_same_size_but_altered_file_is_refused(models_root, tmp_path):
    base = copy_models(models_root, tmp_path, [PDM_PATH])
    local = base / "2.2.0" / "originals" / PDM_PATH
    data = bytearray(local.read_bytes())
    data[-3] = ord("7") if data[-3] != ord("7") else ord("8")
    local.write_bytes(bytes(data))
    with pytest.raises(ModelFormatError, match="SHA-256"):
        load_file(PDM_PATH, base)


def test_pdm_loads_from_the_shared_folder(models_root):
    pdm = PDM.load("clnf_general")
    assert pdm.n_points == 68
    assert PDM.load("inner").n_points == 51
    assert PDM.load("left_eye_28").n_points == 28
    assert PDM.load("right_eye_28").n_points == 28
    with pytest.raises(KeyError, match="known models"):
        PDM.load("no_such_model")

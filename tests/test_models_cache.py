"""The binary model cache: parsed once, memory-mapped after, rebuilt when anything changes."""

import json
import os
import shutil

import numpy as np
import pytest

from cyclnf.models import cache
from cyclnf.models.formats.pdm import PDMFile, read_pdm

PDM_PATH = "lib/local/LandmarkDetector/model/pdms/In-the-wild_aligned_PDM_68.txt"


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CYCLNF_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / f"v{cache.CACHE_FORMAT}"


@pytest.fixture
def pdm_file(models_root, tmp_path):
    path = tmp_path / "pdm.txt"
    shutil.copy(models_root / "originals" / PDM_PATH, path)
    return path


class CountingReader:
    def __init__(self):
        self.calls = 0

    def __call__(self, path):
        self.calls += 1
        return read_pdm(path)


def test_parsed_once_then_memory_mapped(fresh_cache, pdm_file):
    read = CountingReader()
    first = cache.load(pdm_file, "pdm", PDMFile, read)
    second = cache.load(pdm_file, "pdm", PDMFile, read)
    assert read.calls == 1
    assert isinstance(second.princ_comp, np.memmap)
    assert not second.princ_comp.flags.writeable
    for name, array in first.to_arrays().items():
        np.testing.assert_array_equal(array, second.to_arrays()[name])
    entries = list((fresh_cache / "pdm").iterdir())
    assert [e.name for e in entries] == [cache.sha256_of(pdm_file)]
    meta = json.loads((entries[0] / "meta.json").read_text())
    assert meta["sha256"] == entries[0].name and meta["format"] == cache.CACHE_FORMAT
    # No pickles: every stored array loads with allow_pickle=False.
    for npy in entries[0].glob("*.npy"):
        np.load(npy, allow_pickle=False)


def test_changed_source_is_hashed_and_parsed_again(fresh_cache, pdm_file):
    read = CountingReader()
    cache.load(pdm_file, "pdm", PDMFile, read)
    text = pdm_file.read_text().replace("-73.393523", "-73.393524", 1)
    pdm_file.write_text(text)
    os.utime(pdm_file, ns=(1, 1))
    again = cache.load(pdm_file, "pdm", PDMFile, read)
    assert read.calls == 2
    assert again.mean_shape[0, 0] == -73.393524
    assert len(list((fresh_cache / "pdm").iterdir())) == 2


def test_expected_sha256_is_enforced(fresh_cache, pdm_file):
    from cyclnf.models import ModelFormatError
    with pytest.raises(ModelFormatError, match="SHA-256"):
        cache.load(pdm_file, "pdm", PDMFile, read_pdm, expected_sha256="0" * 64)


def test_damaged_cache_entry_is_rebuilt(fresh_cache, pdm_file):
    read = CountingReader()
    cache.load(pdm_file, "pdm", PDMFile, read)
    entry = next((fresh_cache / "pdm").iterdir())
    (entry / "princ_comp.npy").write_bytes(b"garbage")
    with pytest.warns(RuntimeWarning, match="could not be read"):
        rebuilt = cache.load(pdm_file, "pdm", PDMFile, read)
    assert read.calls == 2
    assert rebuilt.princ_comp.shape == (204, 34)
    assert cache.load(pdm_file, "pdm", PDMFile, read).princ_comp.shape == (204, 34)
    assert read.calls == 2


def test_unwritable_cache_still_loads(tmp_path, monkeypatch, pdm_file):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("CYCLNF_CACHE_DIR", str(blocker))
    with pytest.warns(RuntimeWarning, match="cannot write its model cache"):
        parsed = cache.load(pdm_file, "pdm", PDMFile, read_pdm)
    assert parsed.mean_shape.shape == (204, 1)


def test_every_manifest_file_is_served_from_the_cache(fresh_cache, models_root, monkeypatch):
    """Each format's parsed form survives the cache unchanged, and the second load reads
    the cache instead of parsing the file again."""
    from cyclnf import models
    parsed = {path: models.load_file(path) for path in models.manifest().files}

    def no_parsing(path):
        raise AssertionError(f"{path} was parsed again instead of read from the cache")
    monkeypatch.setattr(models, "READERS", {k: (cls, no_parsing)
                                            for k, (cls, _) in models.READERS.items()})
    for path, first in parsed.items():
        again = models.load_file(path)
        assert type(again) is type(first)
        a, b = first.to_arrays(), again.to_arrays()
        assert a.keys() == b.keys(), path
        for name in a:
            assert np.shape(a[name]) == np.shape(b[name]), (path, name)
            np.testing.assert_array_equal(a[name], b[name], err_msg=f"{path}: {name}")

"""The installed distribution: version, contents and build options as the release promises.

These run against whatever cyclnf Python imports, so under cibuildwheel (and
scripts/check_release.sh) they check each built wheel as installed, on its platform.
"""

import json
import os
import re
import sys
from importlib import metadata
from pathlib import Path

import pytest

import cyclnf
import cyclnf.kernels as kernels
from cyclnf.models.manifest import MANIFEST_NAME, manifest

#: The repository (or unpacked sdist) these tests came from.
PROJECT = Path(__file__).resolve().parents[1]


def installed_files():
    """Every file the installed distribution put in place, as POSIX paths."""
    dist = metadata.distribution("cyclnf")
    direct_url = dist.read_text("direct_url.json")
    if direct_url and json.loads(direct_url).get("dir_info", {}).get("editable"):
        pytest.skip("cyclnf is an editable install: its files are the checkout, not a wheel's")
    return [Path(str(f)).as_posix() for f in dist.files or ()]


def test_version_comes_from_one_place():
    assert metadata.version("cyclnf") == cyclnf.__version__


def test_installed_package_has_kernels_stubs_and_manifest_only():
    files = installed_files()
    package = [f for f in files if f.startswith("cyclnf/")]
    stubs = {f for f in package if f.startswith("cyclnf/kernels/_") and f.endswith(".pyi")}
    compiled = {f for f in package if re.match(r"cyclnf/kernels/_\w+\..*(so|pyd)$", f)}
    # One compiled module per stub, and nothing compiled without a stub.
    assert {f.split(".")[0] for f in compiled} == {f[:-len(".pyi")] for f in stubs}
    assert {f"cyclnf/kernels/_{name}.pyi" for name in (*kernels.KERNEL_NAMES, "build")} <= stubs
    assert "cyclnf/py.typed" in package
    assert "cyclnf/models/" + MANIFEST_NAME in package
    sources = [f for f in package if f.endswith((".pyx", ".pxd", ".c", ".h"))]
    assert not sources, f"Cython/C sources in the installed package: {sources}"


def test_no_openface_model_file_is_installed():
    """OpenFace's license forbids passing its files on: no distribution may carry one."""
    model_names = {Path(path).name for path in manifest().files}
    shipped = [f for f in installed_files() if Path(f).name in model_names
               or f.endswith(".dat")]
    assert not shipped, f"OpenFace model files in the distribution: {shipped}"


def test_openmp_is_what_the_wheel_build_promised():
    """cibuildwheel states per platform whether the kernels have OpenMP (pyproject.toml)."""
    expected = os.environ.get("CYCLNF_EXPECT_OPENMP")
    if expected is None:
        pytest.skip("CYCLNF_EXPECT_OPENMP is not set (wheel builds set it per platform)")
    assert kernels.openmp_enabled() is (expected == "1")


def _pyproject():
    tomllib = pytest.importorskip("tomllib", reason="reading pyproject.toml needs Python 3.11+")
    path = PROJECT / "pyproject.toml"
    if not path.is_file():
        pytest.skip(f"no pyproject.toml at {PROJECT} (tests run outside the project)")
    with open(path, "rb") as f:
        return tomllib.load(f)


def test_supported_pythons_agree_everywhere():
    """requires-python, the classifiers and cibuildwheel's build list name the same CPythons."""
    config = _pyproject()
    project = config["project"]
    lowest = re.fullmatch(r">=\s*3\.(\d+)", project["requires-python"])
    assert lowest, project["requires-python"]
    classified = sorted(int(c.rsplit(".", 1)[1]) for c in project["classifiers"]
                        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c))
    built = sorted(int(re.fullmatch(r"cp3(\d+)-\*", b).group(1))
                   for b in config["tool"]["cibuildwheel"]["build"])
    assert classified == built == list(range(int(lowest.group(1)), built[-1] + 1))
    if sys.implementation.name == "cpython":
        assert sys.version_info[1] in built, "tests run on a CPython the package does not list"


def test_numpy_abi_floor_matches_the_runtime_requirement():
    """Built against NumPy 2 headers targeting the oldest NumPy the package accepts."""
    config = _pyproject()
    runtime = next(d for d in config["project"]["dependencies"] if d.startswith("numpy"))
    major, minor = re.search(r">=\s*(\d+)\.(\d+)", runtime).groups()
    cmake = (PROJECT / "CMakeLists.txt").read_text()
    assert f"NPY_TARGET_VERSION=NPY_{major}_{minor}_API_VERSION" in cmake
    assert "numpy>=2.0" in config["build-system"]["requires"]

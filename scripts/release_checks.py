"""Checks scripts/check_release.sh runs on what it built (standard library, plus PyYAML for
``workflow``). Each subcommand prints what it checked and exits non-zero on a problem.

    release_checks.py dist SDIST WHEEL [--repaired]   contents and metadata of both
    release_checks.py junit REPORT.xml                the no-models test run
    release_checks.py matrix CIBUILDWHEEL WORKFLOW    cibuildwheel's matrix is the intended one
    release_checks.py workflow WORKFLOW.yml           the wheels workflow's shape
    release_checks.py oldest-numpy                    the oldest NumPy cyclnf accepts
"""

from __future__ import annotations

import email.parser
import hashlib
import json
import os
import re
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path, PurePosixPath
from typing import Dict, Iterable, List

REPO = Path(__file__).resolve().parents[1]

#: The intended wheel matrix (README, "Packaging and releases"). pyproject.toml's
#: [tool.cibuildwheel] must make cibuildwheel print exactly this.
PYTHONS = ["39", "310", "311", "312", "313", "314", "315"]
INTENDED = {
    "linux": [f"cp{py}-{libc}_{arch}" for py in PYTHONS
              for libc in ("manylinux", "musllinux") for arch in ("x86_64", "aarch64")],
    "macos": [f"cp{py}-macosx_{arch}" for py in PYTHONS for arch in ("x86_64", "arm64")],
    "windows": [f"cp{py}-win_amd64" for py in PYTHONS]
               + [f"cp{py}-win_arm64" for py in PYTHONS if int(py) >= 311],
}
#: Runners of .github/workflows/wheels.yml, one per native architecture.
RUNNERS = {"ubuntu-latest", "ubuntu-24.04-arm", "macos-15-intel", "macos-14",
           "windows-latest", "windows-11-arm"}

problems: List[str] = []


def check(ok: bool, message: str) -> None:
    if not ok:
        problems.append(message)


def finish(what: str) -> None:
    if problems:
        print(f"{what}: {len(problems)} problem(s)", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        sys.exit(1)
    print(f"{what}: ok")


def kernel_names() -> List[str]:
    """The compiled modules CMakeLists.txt builds (set(CYCLNF_KERNELS ...))."""
    match = re.search(r"set\(CYCLNF_KERNELS([^)]*)\)", (REPO / "CMakeLists.txt").read_text())
    return match.group(1).split()


def project_version() -> str:
    text = (REPO / "cyclnf" / "_version.py").read_text()
    return re.search(r'__version__\s*=\s*"([^"]+)"', text).group(1)


def model_files() -> Dict[str, str]:
    """OpenFace file names and SHA-256s from the manifest: name -> sha256."""
    data = json.loads((REPO / "models" / "openface_models.json").read_text())
    return {PurePosixPath(f["path"]).name: f["sha256"].lower() for f in data["files"]}


def forbidden_models(members: Dict[str, bytes]) -> List[str]:
    """Archive members that are OpenFace model files, by name, content or extension."""
    models = model_files()
    hashes = set(models.values())
    found = []
    for name, data in members.items():
        base = PurePosixPath(name).name
        if (base in models or base.endswith(".dat")
                or hashlib.sha256(data).hexdigest() in hashes):
            found.append(name)
    return found


def cmd_dist(sdist: Path, wheel: Path, repaired: bool) -> None:
    version = project_version()
    kernels = kernel_names()

    # The sdist: everything the build needs, the tests, and nothing it should not carry.
    with tarfile.open(sdist) as tar:
        members = {m.name.split("/", 1)[1]: tar.extractfile(m).read()
                   for m in tar.getmembers() if m.isfile() and "/" in m.name}
    needed = ["pyproject.toml", "CMakeLists.txt", "README.md", "LICENSE", "CHANGELOG.md",
              "PKG-INFO", "models/openface_models.json", "cyclnf/__init__.py",
              "cyclnf/_version.py", "cyclnf/py.typed", "tests/conftest.py"]
    needed += [f"src/{k}.pyx" for k in kernels] + [f"cyclnf/kernels/{k}.pyi" for k in kernels]
    for name in needed:
        check(name in members, f"sdist lacks {name}")
    stray = [n for n in members if n.startswith(("build/", ".ci/", ".github/", "scripts/",
                                                 "samples/"))
             or "__pycache__" in n or n.endswith((".so", ".pyd", ".whl"))]
    check(not stray, f"sdist carries build products or CI files: {stray[:10]}")
    check(not forbidden_models(members), f"sdist has OpenFace files: {forbidden_models(members)}")
    sdist_meta = email.parser.Parser().parsestr(members["PKG-INFO"].decode())
    check(sdist_meta["Version"] == version, f"sdist version {sdist_meta['Version']} != {version}")

    # The wheel: compiled kernels with their stubs, the manifest; no sources, no models.
    with zipfile.ZipFile(wheel) as zf:
        files = {n: zf.read(n) for n in zf.namelist() if not n.endswith("/")}
    for k in kernels:
        built = [n for n in files if re.fullmatch(rf"cyclnf/kernels/{k}\.[^/]*\.(so|pyd)", n)]
        check(len(built) == 1, f"wheel has {len(built)} compiled modules for {k}")
        check(f"cyclnf/kernels/{k}.pyi" in files, f"wheel lacks the stub for {k}")
    for name in ("cyclnf/py.typed", "cyclnf/models/openface_models.json", "cyclnf/__init__.py"):
        check(name in files, f"wheel lacks {name}")
    sources = [n for n in files if n.endswith((".pyx", ".pxd", ".c", ".h", ".cpp"))]
    check(not sources, f"wheel carries sources: {sources}")
    check(not forbidden_models(files), f"wheel has OpenFace files: {forbidden_models(files)}")
    outside = [n for n in files if not n.startswith(("cyclnf/", "cyclnf-", "cyclnf.libs/"))]
    check(not outside, f"wheel installs files outside the package: {outside}")
    libs = [n for n in files if n.startswith("cyclnf.libs/")]
    if repaired:
        check("manylinux" in wheel.name, f"{wheel.name} is not a manylinux wheel")
        check(any("gomp" in n for n in libs), f"the repaired wheel does not carry libgomp: {libs}")
    else:
        check(not libs, f"an unrepaired wheel carries libraries: {libs}")

    meta_name = next(n for n in files if n.endswith(".dist-info/METADATA"))
    meta = email.parser.Parser().parsestr(files[meta_name].decode())
    check(meta["Version"] == version, f"wheel version {meta['Version']} != {version}")
    check(meta["License-Expression"] == "BSD-3-Clause",
          f"License-Expression is {meta['License-Expression']!r}")
    check("LICENSE" in (meta.get_all("License-File") or []), "LICENSE is not a License-File")
    check(any(n.endswith(".dist-info/licenses/LICENSE") for n in files), "wheel lacks LICENSE")
    check(meta["Requires-Python"] == ">=3.9", f"Requires-Python is {meta['Requires-Python']}")
    classifiers = meta.get_all("Classifier") or []
    check("Typing :: Typed" in classifiers, "not classified Typing :: Typed")
    check(not [c for c in classifiers if c.startswith("License ::")],
          "License :: classifiers are deprecated beside License-Expression")
    urls = {u.split(",")[0] for u in meta.get_all("Project-URL") or []}
    for label in ("Homepage", "Source", "Issues", "Changelog", "Documentation"):
        check(label in urls, f"no {label} project URL")
    check("not included" in meta["Summary"], "the summary does not say the models are not included")
    description = " ".join(meta.get_payload().split())
    check("model files are **not** included" in description,
          "the long description does not say OpenFace's models are not included")

    print(f"sdist {sdist.name}: {sdist.stat().st_size / 1024:.0f} KiB, {len(members)} files")
    print(f"wheel {wheel.name}: {wheel.stat().st_size / 1024:.0f} KiB, {len(files)} files"
          + (f" (bundled: {', '.join(PurePosixPath(n).name for n in libs)})" if libs else ""))
    finish("dist")


def cmd_junit(report: Path) -> None:
    """Without models: nothing fails, model tests skip, every kernel's twin and bad-input
    tests ran (they need no models)."""
    outcomes: Dict[str, List[str]] = {}
    reasons: Dict[str, int] = {}
    for case in ET.parse(report).iter("testcase"):
        status = ("failed" if case.find("failure") is not None or case.find("error") is not None
                  else "skipped" if case.find("skipped") is not None else "passed")
        outcomes.setdefault(status, []).append(f"{case.get('classname')}::{case.get('name')}")
        if status == "skipped":
            reason = case.find("skipped").get("message", "")
            reasons[reason] = reasons.get(reason, 0) + 1
    counts = {k: len(v) for k, v in outcomes.items()}
    print(f"without models: {counts}; skip reasons:")
    for reason, n in sorted(reasons.items(), key=lambda r: -r[1]):
        print(f"  {n:4d} x {reason}")
    check(not outcomes.get("failed"), f"failures: {outcomes.get('failed')}")
    check(counts.get("skipped", 0) > 0, "nothing skipped: were the models really absent?")
    passed = outcomes.get("passed", [])
    for k in kernel_names():
        if k == "_build":
            continue
        mine = [t for t in passed if re.search(rf"test_kernels{k}(\.|::)", t)]
        check(any("twin" in t for t in mine), f"no kernel-vs-twin test of {k} ran")
        check(any("bad" in t or "raise_value_error" in t for t in mine),
              f"no bad-input test of {k} ran")
    finish("no-models run")


def _identifiers(cibuildwheel: str, platform: str, archs: str = "") -> List[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIBW_")}
    if archs:
        env["CIBW_ARCHS"] = archs
    return subprocess.run([cibuildwheel, "--print-build-identifiers", "--platform", platform],
                          cwd=REPO, env=env, capture_output=True, text=True,
                          check=True).stdout.split()


def cmd_matrix(cibuildwheel: str, workflow: Path) -> None:
    """pyproject.toml gives the intended matrix, and the workflow's runners build all of it."""
    import yaml
    runs = yaml.safe_load(workflow.read_text())["jobs"]["build_wheels"]["strategy"]["matrix"]
    for platform, intended in INTENDED.items():
        printed = _identifiers(cibuildwheel, platform)
        print(f"{platform} ({len(printed)}): {' '.join(printed)}")
        check(sorted(printed) == sorted(intended),
              f"{platform}: missing {sorted(set(intended) - set(printed))}, "
              f"unexpected {sorted(set(printed) - set(intended))}")
        prefix = {"linux": "ubuntu-", "macos": "macos-", "windows": "windows-"}[platform]
        by_runners = [i for run in runs["include"] if run["os"].startswith(prefix)
                      for i in _identifiers(cibuildwheel, platform, run["archs"])]
        check(sorted(by_runners) == sorted(intended),
              f"{platform}: the workflow's runners build {len(by_runners)} wheels, "
              f"missing {sorted(set(intended) - set(by_runners))}")
    finish("cibuildwheel matrix")


def cmd_workflow(path: Path) -> None:
    import yaml
    flow = yaml.safe_load(path.read_text())
    triggers = flow.get("on", flow.get(True))        # YAML 1.1 reads a bare `on` as true
    check("v*" in triggers["push"]["tags"], "no push trigger on v* tags")
    jobs = flow["jobs"]
    wheels, sdist, publish = jobs["build_wheels"], jobs["build_sdist"], jobs["publish"]
    runners = {entry["os"] for entry in wheels["strategy"]["matrix"]["include"]}
    check(runners == RUNNERS, f"wheel runners {sorted(runners)} != {sorted(RUNNERS)}")
    uses = [s.get("uses", "") for s in wheels["steps"]]
    check(any(u.startswith("pypa/cibuildwheel@") for u in uses), "build_wheels runs no cibuildwheel")
    check(any(s.get("run", "").startswith("pipx run build --sdist") for s in sdist["steps"]),
          "build_sdist does not build the sdist")
    check(set(publish["needs"]) == {"build_wheels", "build_sdist"}, "publish needs both builds")
    check("refs/tags/v" in publish.get("if", ""), "publish is not limited to v* tags")
    check(publish.get("environment", {}).get("name") == "pypi", "publish has no pypi environment")
    check(publish.get("permissions", {}).get("id-token") == "write",
          "publish lacks id-token: write (trusted publishing)")
    check(any(s.get("uses", "").startswith("pypa/gh-action-pypi-publish@")
              for s in publish["steps"]), "publish does not use pypa/gh-action-pypi-publish")
    print(f"{path.name}: jobs {sorted(jobs)}, runners {sorted(runners)}")
    finish("workflow")


def cmd_oldest_numpy() -> None:
    text = (REPO / "pyproject.toml").read_text()
    dependencies = re.search(r"^dependencies = \[(.*?)\]", text, re.S | re.M).group(1)
    print(re.search(r'"numpy>=([\d.]+)', dependencies).group(1))


def main(argv: Iterable[str]) -> None:
    command, *args = argv
    if command == "dist":
        cmd_dist(Path(args[0]), Path(args[1]), "--repaired" in args)
    elif command == "junit":
        cmd_junit(Path(args[0]))
    elif command == "matrix":
        cmd_matrix(args[0], Path(args[1]))
    elif command == "workflow":
        cmd_workflow(Path(args[0]))
    elif command == "oldest-numpy":
        cmd_oldest_numpy()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])

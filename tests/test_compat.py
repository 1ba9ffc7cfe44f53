"""cyclnf in pyclnf's place: pyclnf 0.4.1's interface, the import alias, the launcher."""

import ast
import inspect
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

import cyclnf
from cyclnf.clnf import DIFFERENCES_FROM_PYCLNF
from conftest import SHARED, _missing

GRID = SHARED / "data" / "video" / "grid_lipnet" / "bbaf2n.mpg"
#: The CLNF methods pyclnf's callers use.
CLNF_METHODS = ("__init__", "fit", "fit_multi_hypothesis", "detect_and_fit", "fit_video",
                "reset_temporal_state", "clear_gpu_cache", "get_info")
#: pyfaceau 1.4.1's CLNF_CONFIG (pyfaceau/config.py), as its pipeline passes it.
PYFACEAU_CONFIG = dict(max_iterations=10, convergence_threshold=0.005, detector=False,
                       use_eye_refinement=True, convergence_profile="video", sigma=2.25,
                       use_gpu=True, gpu_device="auto", use_validator=False)


@pytest.fixture(scope="module")
def pyclnf_source():
    """pyclnf 0.4.1's wheel, read as source (never imported): $CYCLNF_PYCLNF_WHEEL, a wheel
    or a folder holding one (``pip download --no-deps pyclnf==0.4.1``)."""
    where = os.environ.get("CYCLNF_PYCLNF_WHEEL", "")
    candidates = [Path(where)] if where else []
    if candidates and candidates[0].is_dir():
        candidates = sorted(candidates[0].glob("pyclnf-0.4.1-*.whl"))
    if not candidates or not candidates[0].is_file():
        _missing("pyclnf 0.4.1's wheel is needed to compare interfaces: "
                 "pip download --no-deps pyclnf==0.4.1 -d DIR; CYCLNF_PYCLNF_WHEEL=DIR")
    with zipfile.ZipFile(candidates[0]) as wheel:
        return {name: wheel.read(name).decode() for name in
                ("pyclnf/clnf.py", "pyclnf/models/__init__.py", "pyclnf/__init__.py")}


def _signatures(source: str, owner: str = ""):
    """name -> [(parameter, kind, default source or None)] of a module's (or class's) functions."""
    tree = ast.parse(source)
    body = tree.body
    if owner:
        body = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == owner).body
    out = {}
    for node in body:
        if isinstance(node, ast.FunctionDef):
            args = node.args
            positional = args.posonlyargs + args.args
            defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
            params = [(a.arg, "positional", d) for a, d in zip(positional, defaults)]
            params += [(a.arg, "keyword", d) for a, d in zip(args.kwonlyargs, args.kw_defaults)]
            out[node.name] = [(n, k, REQUIRED if d is None else ast.literal_eval(d))
                              for n, k, d in params if n != "self"]
    return out


#: Stands for "no default" in the signatures compared.
REQUIRED = "<required>"


def _ours(function):
    return [(p.name, "keyword" if p.kind == p.KEYWORD_ONLY else "positional",
             REQUIRED if p.default is p.empty else p.default)
            for p in inspect.signature(function).parameters.values() if p.name != "self"]


def _difference_key(method, name):
    return name if method == "__init__" else f"{method}.{name}"


def test_clnf_methods_have_pyclnfs_parameters_order_and_defaults(pyclnf_source):
    theirs = _signatures(pyclnf_source["pyclnf/clnf.py"], "CLNF")
    listed_used = set()
    for method in CLNF_METHODS:
        expected, ours = theirs[method], _ours(getattr(cyclnf.CLNF, method))
        positional = [p for p in expected if p[1] == "positional"]
        assert [p[0] for p in ours[:len(positional)]] == [p[0] for p in positional], method
        for (name, _, default), (_, _, our_default) in zip(positional, ours):
            if default != our_default:
                key = _difference_key(method, name)
                assert key in DIFFERENCES_FROM_PYCLNF, f"{method}({name}={our_default!r}) " \
                    f"differs from pyclnf's {default!r} and is not a listed difference"
                listed_used.add(key)
            # A parameter pyclnf requires may become optional, never the other way round.
            assert our_default != REQUIRED or default == REQUIRED, (method, name)
        # Anything cyclnf adds is keyword-only, so pyclnf's positional calls still work.
        assert all(kind == "keyword" for _, kind, _ in ours[len(positional):]), method
    # The list of differences names only pyclnf's parameters (it does not go stale).
    known = {_difference_key(m, p[0]) for m in CLNF_METHODS for p in theirs[m]}
    assert set(DIFFERENCES_FROM_PYCLNF) <= known, set(DIFFERENCES_FROM_PYCLNF) - known
    print("\ndefaults that differ from pyclnf 0.4.1:", sorted(listed_used))


def test_models_module_has_pyclnfs_names(pyclnf_source):
    tree = ast.parse(pyclnf_source["pyclnf/models/__init__.py"])
    exported = next(ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
                    and getattr(n.targets[0], "id", "") == "__all__")
    cyclnf.install_as_pyclnf()
    try:
        import pyclnf.models as models
        assert set(exported) <= set(dir(models))
        theirs = _signatures(pyclnf_source["pyclnf/models/__init__.py"])
        ours = _ours(models.ensure_models)
        assert ours[:len(theirs["ensure_models"])] == theirs["ensure_models"]
        assert models.LICENSE_URL.endswith("OpenFace-license.txt")
        assert issubclass(models.ModelsNotInstalledError, FileNotFoundError)
    finally:
        cyclnf.compat.uninstall_as_pyclnf()


def test_install_as_pyclnf_makes_pyclnf_imports_give_cyclnf():
    cyclnf.install_as_pyclnf()
    try:
        import pyclnf
        import pyclnf.clnf
        from pyclnf import CLNF
        from pyclnf.models import LICENSE_URL, ModelsNotInstalledError, ensure_models  # noqa
        assert CLNF is cyclnf.CLNF and pyclnf.clnf.CLNF is cyclnf.CLNF
        assert pyclnf.__version__ == "0.4.1" and pyclnf.PDM is cyclnf.PDM
        with pytest.raises(ImportError, match="internals"):
            import pyclnf.core.optimizer  # noqa
        with pytest.raises(AttributeError, match="internals"):
            pyclnf.NURLMSOptimizer
    finally:
        cyclnf.compat.uninstall_as_pyclnf()
    assert "pyclnf" not in sys.modules or sys.modules["pyclnf"].__name__ == "pyclnf"


def test_launcher_runs_an_unmodified_pyclnf_script(tmp_path, models_root):
    script = tmp_path / "uses_pyclnf.py"
    script.write_text(
        "import sys\n"
        "from pyclnf import CLNF\n"
        "from pyclnf.models import ensure_models\n"
        "clnf = CLNF(detector=False, use_validator=False)\n"
        "print(type(clnf).__module__, sys.argv[1:], clnf.pdm.mean_shape.shape)\n")
    for target in (str(script), "uses_pyclnf"):
        result = subprocess.run(
            [sys.executable, "-m", "cyclnf.as_pyclnf", target, "--flag", "x"],
            capture_output=True, text=True, cwd=tmp_path if target == "uses_pyclnf" else
            tempfile.gettempdir(), env={**os.environ, "PYTHONPATH": str(tmp_path)})
        assert result.returncode == 0, result.stderr
        assert result.stdout.split("\n")[0] == "cyclnf.clnf ['--flag', 'x'] (204, 1)"
    usage = subprocess.run([sys.executable, "-m", "cyclnf.as_pyclnf"], capture_output=True,
                           text=True, cwd=tempfile.gettempdir())
    assert usage.returncode == 2 and "usage" in usage.stderr


def test_driven_as_pyfaceau_drives_pyclnf(models_root, shared_data):
    """pyfaceau 1.4.1's pipeline: its CLNF_CONFIG, fit(frame, MTCNN box,
    detector_type='pymtcnn', return_params=True) per frame, converged / iterations /
    params[:6] as pose, pdm.mean_shape[:136].reshape(68, 2)."""
    cyclnf.install_as_pyclnf()
    try:
        from pyclnf import CLNF
        clnf = CLNF(**PYFACEAU_CONFIG)
    finally:
        cyclnf.compat.uninstall_as_pyclnf()
    mean_2d = clnf.pdm.mean_shape[:136].reshape(68, 2)
    assert mean_2d.shape == (68, 2)
    np.testing.assert_array_equal(mean_2d.reshape(-1), clnf.pdm.mean_shape[:136, 0])
    from cyclnf.detect.mtcnn import MTCNNDetector
    detector = MTCNNDetector.load()
    capture = cv2.VideoCapture(str(GRID))
    clnf.reset_temporal_state()
    poses, boxes = [], None
    for index in range(12):
        ok, frame = capture.read()
        assert ok
        if boxes is None:                       # pyfaceau detects once, then keeps the box
            boxes = detector.detect(frame)[0].detector_box
        landmarks, info = clnf.fit(frame, boxes, detector_type="pymtcnn", return_params=True)
        assert landmarks.shape == (68, 2) and np.isfinite(landmarks).all()
        assert isinstance(info["converged"], bool) and info["iterations"] > 0
        assert info["params"].shape == (40,)
        poses.append(info["params"][:6])
        assert info["tracking_mode"] == (index > 0)      # consecutive frames are tracked
    capture.release()
    poses = np.array(poses)
    # A speaker reading a sentence: the head barely moves between frames.
    assert np.abs(np.diff(poses[:, 4:6], axis=0)).max() < 3.0
    clnf.clear_gpu_cache()
    assert clnf.get_info()["device"] == "cpu"

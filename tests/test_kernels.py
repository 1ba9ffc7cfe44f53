"""Which kernels a process uses: compiled by default, the NumPy twins on request."""

import os
import subprocess
import sys

import cyclnf.kernels as kernels


def run(code, **env):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, **env})


def test_default_backend_is_the_compiled_extension():
    assert os.environ.get("CYCLNF_KERNELS", "compiled") == "compiled"
    assert kernels.BACKEND == "compiled"
    suffix = os.path.splitext(kernels.pdm.__file__)[1]
    assert suffix in (".so", ".pyd"), kernels.pdm.__file__
    assert isinstance(kernels.openmp_enabled(), bool)


def test_environment_selects_numpy_twins():
    result = run("import cyclnf.kernels as k; print(k.BACKEND, k.pdm.__name__, k.openmp_enabled())",
                 CYCLNF_KERNELS="numpy")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["numpy", "cyclnf.kernels.numpy_pdm", "False"]


def test_unknown_backend_is_a_clear_error():
    result = run("import cyclnf", CYCLNF_KERNELS="fortran")
    assert result.returncode != 0
    assert "CYCLNF_KERNELS='fortran' is not understood" in result.stderr


def test_stubs_describe_the_compiled_modules():
    """Each compiled module has a .pyi stub whose functions and arguments are the module's."""
    import ast
    import inspect
    from pathlib import Path

    for name in ("pdm", "build"):
        module = kernels.load(name, "compiled")
        stub = Path(kernels.__file__).with_name(f"_{name}.pyi")
        tree = ast.parse(stub.read_text())
        stubbed = {node.name: [a.arg for a in node.args.args] for node in tree.body
                   if isinstance(node, ast.FunctionDef)}
        variables = {node.target.id for node in tree.body if isinstance(node, ast.AnnAssign)}
        public = {n for n in dir(module) if not n.startswith("_")}
        assert public == set(stubbed) | variables, name
        for function, args in stubbed.items():
            assert list(inspect.signature(getattr(module, function)).parameters) == args

"""Which kernels a process uses: compiled by default, the NumPy twins on request."""

import os
import subprocess
import sys
import tempfile

import cyclnf.kernels as kernels


def run(code, **env):
    """Run ``code`` in a fresh interpreter, from outside the checkout.

    ``python -c`` puts the working directory first on ``sys.path``; from the repository root
    that is the source folder ``./cyclnf``, which holds no compiled kernels, instead of the
    installed package the tests are about.
    """
    environment = {k: v for k, v in os.environ.items() if k != "CYCLNF_KERNELS"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**environment, **env}, cwd=tempfile.gettempdir())


def test_default_backend_is_the_compiled_extension():
    result = run("import os, cyclnf.kernels as k; "
                 "print(k.BACKEND, os.path.splitext(k.pdm.__file__)[1], k.openmp_enabled())")
    assert result.returncode == 0, result.stderr
    backend, suffix, openmp = result.stdout.split()
    assert backend == "compiled" and suffix in (".so", ".pyd") and openmp in ("True", "False")


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

    for name in (*kernels.KERNEL_NAMES, "build"):
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


def test_every_kernel_and_its_twin_have_the_same_functions_and_arguments():
    import inspect
    for name in kernels.KERNEL_NAMES:
        compiled, twin = kernels.load(name, "compiled"), kernels.load(name, "numpy")
        functions = {n for n, f in vars(twin).items()
                     if not n.startswith("_") and getattr(f, "__module__", None) == twin.__name__}
        public = {n for n in dir(compiled) if not n.startswith("_")}
        assert functions == public, name
        for function in functions:
            assert list(inspect.signature(getattr(compiled, function)).parameters) == \
                list(inspect.signature(getattr(twin, function)).parameters), (name, function)

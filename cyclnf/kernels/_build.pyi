"""Facts about how the compiled kernels were built (src/_build.pyx)."""

OPENMP: bool

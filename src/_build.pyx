"""Facts about how the compiled kernels were built."""

cdef extern from *:
    """
    #ifdef _OPENMP
    #define CYCLNF_HAVE_OPENMP 1
    #else
    #define CYCLNF_HAVE_OPENMP 0
    #endif
    """
    int CYCLNF_HAVE_OPENMP

#: True when the kernels were compiled with OpenMP (their parallel loops use threads).
OPENMP = bool(CYCLNF_HAVE_OPENMP)

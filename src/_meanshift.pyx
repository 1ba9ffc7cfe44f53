"""Regularised landmark mean-shift: the KDE step of NU-RLMS (Saragih et al. 2011).

A response map of w x w values ``R[ii, jj]`` (row ii is y, column jj is x) is a
likelihood of where the landmark is. Its mean-shift from the current position
``(dx, dy)`` (in response-map pixels) is::

    v[ii, jj] = R[ii, jj] * exp(a * ((dy - ii)^2 + (dx - jj)^2)),   a = -1 / (2 sigma^2)
    shift = (sum v * jj, sum v * ii) / sum v - (dx, dy)

As in OpenFace (CLNF::NonVectorisedMeanShift_precalc_kde), the Gaussian is read from a
table precomputed on a 0.1-pixel grid: ``(dx, dy)`` is clamped to [0, w - 0.1] and
rounded to the nearest grid point. Arithmetic is float32 like OpenFace's.
"""

from libc.math cimport expf, exp

from _meanshift_core cimport mean_shifts_c


cdef inline int _check(bint ok, str what) except -1:
    if not ok:
        raise ValueError(what)
    return 0


def kde_table(float a,                   # IN  -1 / (2 sigma^2)
              float[:, ::1] out):        # OUT ((10 w)^2, w^2)
    """The Gaussian of every 0.1-pixel offset: row ``x * 10 w + y`` for offset
    ``(x / 10, y / 10)``, column ``ii * w + jj`` for response pixel (ii, jj)."""
    cdef int w, steps, x, y, ii, jj, row
    cdef float dx, dy, vx, vy, step = 0.1
    w = <int>(out.shape[1] ** 0.5 + 0.5)
    steps = 10 * w
    _check(w * w == out.shape[1] and out.shape[0] == steps * steps,
           "out must be ((10 w)^2, w^2)")
    with nogil:
        for x in range(steps):
            dx = x * step
            for y in range(steps):
                dy = y * step
                row = x * steps + y
                for ii in range(w):
                    vx = (dy - ii) * (dy - ii)
                    for jj in range(w):
                        vy = (dx - jj) * (dx - jj)
                        out[row, ii * w + jj] = expf(a * (vx + vy))


def mean_shifts(const float[:, :, ::1] responses,  # IN  (n, w, w)
                const float[:, ::1] positions,     # IN  (n, 2) current (dx, dy) in the maps
                const float[:, ::1] table,         # IN  from kde_table for this w and sigma
                float[:, ::1] out):                # OUT (n, 2) mean-shift (x, y)
    """Mean-shift vectors of n response maps (0 where a map sums to 0)."""
    cdef Py_ssize_t n = responses.shape[0]
    cdef int w = responses.shape[1], steps = 10 * w
    _check(responses.shape[2] == w, "responses must be (n, w, w)")
    _check(positions.shape[0] == n and positions.shape[1] == 2, f"positions must be ({n}, 2)")
    _check(table.shape[0] == steps * steps and table.shape[1] == w * w,
           f"table must be ({steps * steps}, {w * w}) for {w} x {w} responses")
    _check(out.shape[0] == n and out.shape[1] == 2, f"out must be ({n}, 2)")
    cdef bint ok
    with nogil:
        ok = mean_shifts_c(responses, positions, table, out)
    if not ok:
        raise MemoryError()


def likelihoods(const float[:, :, ::1] responses,   # IN  (n, w, w)
                const float[:, ::1] positions,      # IN  (n, 2) (dx, dy) in the maps
                float sigma,
                float[::1] out):                    # OUT (n,)
    """Each landmark's KDE likelihood at its position (exact Gaussian, no table),
    as OpenFace's NU_RLMS computes it for the model likelihood."""
    cdef Py_ssize_t n = responses.shape[0], i
    cdef int w = responses.shape[1], ii, jj
    cdef float dx, dy, vx, vy, v, total, sigma2 = sigma * sigma
    _check(responses.shape[2] == w, "responses must be (n, w, w)")
    _check(positions.shape[0] == n and positions.shape[1] == 2, f"positions must be ({n}, 2)")
    _check(out.shape[0] == n, f"out must be ({n},)")
    _check(sigma > 0, "sigma must be positive")
    with nogil:
        for i in range(n):
            dx = positions[i, 0]
            dy = positions[i, 1]
            total = 0.0
            for ii in range(w):
                vx = (dy - ii) * (dy - ii)
                for jj in range(w):
                    vy = (dx - jj) * (dx - jj)
                    v = <float>(responses[i, ii, jj] * exp(-0.5 * (vx + vy) / sigma2))
                    total = total + v
            out[i] = total

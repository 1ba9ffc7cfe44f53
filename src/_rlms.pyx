"""One NU-RLMS phase, fused: every iteration of OpenFace's CLNF::NU_RLMS in one call.

Each iteration: project the PDM; stop if the shape moved less than the threshold since
the previous iteration; express the landmarks' offsets from the base shape in the
response maps' frame; mean-shift each map (src/_meanshift.pyx); map the shifts back to
the image; take the regularised Gauss-Newton step over the rigid or all parameters
(src/_pdm.pyx); clamp the shape parameters to 3 standard deviations.

Float32 where OpenFace uses it for the response-map side (offsets, mean-shifts),
float64 for the parameters.
"""

from libc.math cimport sqrt
from libc.stdlib cimport malloc, free

from _meanshift_core cimport mean_shifts_c
from _pdm_core cimport gauss_newton_c, jacobian_c, project_c, shape_3d_c, update_c


cdef inline int _check(bint ok, str what) except -1:
    if not ok:
        raise ValueError(what)
    return 0


def nu_rlms(const double[:, ::1] mean,            # IN  (n, 3) PDM mean shape
            const double[:, :, ::1] basis,        # IN  (n, 3, m) PDM components
            const double[::1] eigen_values,       # IN  (m,)
            const float[:, :, ::1] responses,     # IN  (n, w, w) around base_shape
            const float[:, ::1] table,            # IN  KDE table for w and sigma
            const double[:, ::1] base_shape,      # IN  (n, 2) where the maps are centred
            const double[:, ::1] img_to_ref,      # IN  (2, 2) image offsets -> map frame
            const double[:, ::1] ref_to_img,      # IN  (2, 2) map frame -> image
            const double[::1] weights,            # IN  (n,) landmark weights, 0 if unseen
            double reg_factor,                    # IN  shape prior weight (full phase)
            bint rigid,                           # IN  only the 6 global parameters
            int n_iterations,                     # IN  at most
            double threshold,                     # IN  stop when the shape moves less
            double[::1] params,                   # IN/OUT (6 + m,)
            float[:, ::1] positions):             # OUT (n, 2) last map positions
    """Run one NU-RLMS phase in place on ``params``.

    Returns
    -------
    (iterations, converged, change) : (int, bool, float)
        Iterations taken, whether the shape stopped moving, and its last movement (norm
        over all coordinates, px). ``positions`` holds the landmarks' positions in the
        maps at the last iteration (for the KDE likelihood).
    """
    cdef Py_ssize_t n = mean.shape[0], m = basis.shape[2], q, i, k
    cdef int w = responses.shape[1], it, iterations = 0
    cdef bint converged = False, out_of_memory = False
    cdef double change = 0.0, dx, dy, limit
    cdef float centre
    cdef double* buf
    cdef double[:, ::1] shape3d, shape, previous, J
    cdef float[:, ::1] shifts
    _check(n > 0 and mean.shape[1] == 3 and basis.shape[0] == n and basis.shape[1] == 3,
           "mean must be (n, 3) and basis (n, 3, m) with n > 0")
    _check(eigen_values.shape[0] == m and params.shape[0] == 6 + m,
           f"eigen_values must have {m} values and params {6 + m}")
    _check(responses.shape[0] == n and responses.shape[2] == w and w > 0,
           f"responses must be ({n}, w, w)")
    _check(table.shape[0] == 100 * w * w and table.shape[1] == w * w,
           f"table must be ({100 * w * w}, {w * w})")
    _check(base_shape.shape[0] == n and base_shape.shape[1] == 2, f"base_shape must be ({n}, 2)")
    _check(img_to_ref.shape[0] == 2 and img_to_ref.shape[1] == 2 and ref_to_img.shape[0] == 2
           and ref_to_img.shape[1] == 2, "img_to_ref and ref_to_img must be (2, 2)")
    _check(weights.shape[0] == n, f"weights must have {n} values")
    _check(positions.shape[0] == n and positions.shape[1] == 2, f"positions must be ({n}, 2)")
    _check(n_iterations >= 0, "n_iterations must not be negative")
    q = 6 if rigid else 6 + m
    # One scratch block: shape3d, shape, previous, J, row weights, residual, reg, prior,
    # step, Hessian (doubles), then the mean-shifts (floats).
    cdef Py_ssize_t n_doubles = 3 * n + 2 * n + 2 * n + 2 * n * q + 4 * n + 3 * q + q * q
    buf = <double*>malloc(n_doubles * sizeof(double) + 2 * n * sizeof(float))
    if buf == NULL:
        raise MemoryError()
    shape3d = <double[:n, :3]> buf
    shape = <double[:n, :2]> (buf + 3 * n)
    previous = <double[:n, :2]> (buf + 5 * n)
    J = <double[:2 * n, :q]> (buf + 7 * n)
    cdef double* row_weights = buf + 7 * n + 2 * n * q
    cdef double* residual = row_weights + 2 * n
    cdef double* reg = residual + 2 * n
    cdef double* prior = reg + q
    cdef double* step = prior + q
    cdef double* H = step + q
    shifts = <float[:n, :2]> (<float*>(buf + n_doubles))
    centre = <float>((w - 1) // 2)
    with nogil:
        for i in range(n):
            row_weights[2 * i] = weights[i]
            row_weights[2 * i + 1] = weights[i]
        for k in range(q):
            reg[k] = 0.0 if (rigid or k < 6) else reg_factor / eigen_values[k - 6]
            prior[k] = 0.0
        for it in range(n_iterations):
            shape_3d_c(mean, basis, params[6:], shape3d)
            project_c(shape3d, &params[0], shape)
            if it > 0:
                change = 0.0
                for i in range(n):
                    dx = shape[i, 0] - previous[i, 0]
                    dy = shape[i, 1] - previous[i, 1]
                    change = change + dx * dx + dy * dy
                change = sqrt(change)
                if change < threshold:
                    converged = True
                    break
            for i in range(n):
                previous[i, 0] = shape[i, 0]
                previous[i, 1] = shape[i, 1]
                dx = shape[i, 0] - base_shape[i, 0]
                dy = shape[i, 1] - base_shape[i, 1]
                positions[i, 0] = <float>(img_to_ref[0, 0] * dx + img_to_ref[0, 1] * dy) + centre
                positions[i, 1] = <float>(img_to_ref[1, 0] * dx + img_to_ref[1, 1] * dy) + centre
            if not mean_shifts_c(responses, positions, table, shifts):
                out_of_memory = True
                break
            for i in range(n):
                residual[2 * i] = ref_to_img[0, 0] * shifts[i, 0] + ref_to_img[0, 1] * shifts[i, 1]
                residual[2 * i + 1] = ref_to_img[1, 0] * shifts[i, 0] + ref_to_img[1, 1] * shifts[i, 1]
            jacobian_c(shape3d, basis, &params[0], rigid, J)
            if not rigid:
                for k in range(m):
                    prior[6 + k] = params[6 + k]
            gauss_newton_c(J, row_weights, residual, reg, prior, H, step)
            update_c(&params[0], 6 + m, step, q, &params[0])
            for k in range(m):
                limit = 3.0 * sqrt(eigen_values[k])
                if params[6 + k] > limit:
                    params[6 + k] = limit
                elif params[6 + k] < -limit:
                    params[6 + k] = -limit
            iterations = iterations + 1
    free(buf)
    if out_of_memory:
        raise MemoryError("no memory for the mean-shift index")
    return iterations, bool(converged), change

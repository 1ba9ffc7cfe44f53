"""The piecewise affine warp's sampling (OpenFace's PAW::WarpRegion + cv::remap), fused.

Each masked reference pixel ``(u, v) = (x + min_x, y + min_y)`` lands in the image at
``(a0 + a1 u + a2 v, b0 + b1 u + b2 v)`` with its triangle's coefficients, in float32 with
OpenFace's order of operations; the image is sampled there as OpenCV's
``remap(INTER_LINEAR, BORDER_CONSTANT 0)`` samples it: the position rounded to 1/32 px
(to the nearest, halves to even), the four neighbours weighted with OpenCV's float table
and summed in float32, neighbours outside the image counting as 0. Pixels outside the
mask are 0. The NumPy twin (cyclnf/kernels/numpy_paw.py) spells out the same steps.
"""

from libc.math cimport llrint

cdef enum:
    INTER_BITS = 5
    INTER_TAB_SIZE = 32


cdef inline int _check(bint ok, str what) except -1:
    if not ok:
        raise ValueError(what)
    return 0


cdef inline float _pixel(const float[:, ::1] image, long long x, long long y) noexcept nogil:
    if x < 0 or y < 0 or x >= image.shape[1] or y >= image.shape[0]:
        return 0.0
    return image[y, x]


cdef inline long long _shifted(double position) noexcept nogil:
    """The position in 1/32 px, rounded half to even and saturated to int32 as OpenCV's
    conversion does."""
    cdef double scaled = position * INTER_TAB_SIZE
    if scaled >= 2147483647.0:
        return 2147483647
    if scaled <= -2147483648.0:
        return -2147483648
    return llrint(scaled)


cdef inline long long _short(long long v) noexcept nogil:
    if v > 32767:
        return 32767
    if v < -32768:
        return -32768
    return v


def warp_region(const float[:, ::1] image,             # IN  (H, W)
                const float[:, ::1] coefficients,      # IN  (t, 6) per triangle
                const int[:, ::1] triangle_id,         # IN  (h, w)
                const unsigned char[:, ::1] mask,      # IN  (h, w) 1 inside the face
                float min_x, float min_y,
                float[:, ::1] out):                    # OUT (h, w)
    """The warped face: ``out[y, x]`` samples the image where reference pixel (x, y) lands."""
    cdef Py_ssize_t h = mask.shape[0], w = mask.shape[1], t = coefficients.shape[0], x, y
    cdef int tri
    cdef float u, v, mx, my, hx, hy, lx, ly, acc
    cdef long long fx, fy, sx, sy
    _check(image.shape[0] > 0 and image.shape[1] > 0, "image must not be empty")
    _check(coefficients.shape[1] == 6, "coefficients must be (t, 6)")
    _check(triangle_id.shape[0] == h and triangle_id.shape[1] == w,
           f"triangle_id must be ({h}, {w})")
    _check(out.shape[0] == h and out.shape[1] == w, f"out must be ({h}, {w})")
    for y in range(h):
        for x in range(w):
            if mask[y, x] and not (0 <= triangle_id[y, x] < t):
                raise ValueError(f"triangle_id[{y}, {x}] = {triangle_id[y, x]} is not a "
                                 f"triangle (0..{t - 1})")
    with nogil:
        for y in range(h):
            v = <float>y + min_y
            for x in range(w):
                if not mask[y, x]:
                    out[y, x] = 0.0
                    continue
                u = <float>x + min_x
                tri = triangle_id[y, x]
                mx = (coefficients[tri, 0] + coefficients[tri, 1] * u) + coefficients[tri, 2] * v
                my = (coefficients[tri, 3] + coefficients[tri, 4] * u) + coefficients[tri, 5] * v
                fx = _shifted(<double>mx)
                fy = _shifted(<double>my)
                sx = _short(fx >> INTER_BITS)
                sy = _short(fy >> INTER_BITS)
                hx = <float>(fx & (INTER_TAB_SIZE - 1)) / <float>INTER_TAB_SIZE
                hy = <float>(fy & (INTER_TAB_SIZE - 1)) / <float>INTER_TAB_SIZE
                lx = 1.0 - hx
                ly = 1.0 - hy
                acc = _pixel(image, sx, sy) * (ly * lx)
                acc = acc + _pixel(image, sx + 1, sy) * (ly * hx)
                acc = acc + _pixel(image, sx, sy + 1) * (hy * lx)
                acc = acc + _pixel(image, sx + 1, sy + 1) * (hy * hx)
                out[y, x] = acc

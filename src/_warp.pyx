"""Areas of interest: each landmark's neighbourhood warped into the reference frame.

OpenFace 2.2 (Patch_experts::Response) cuts, for every landmark, an A x A area from the
float grayscale image (its 8-bit values; an 8-bit image may be given directly) with ``cv::warpAffine(..., WARP_INVERSE_MAP | INTER_LINEAR)`` and a
zero border, through the similarity ``[[a1, -b1], [b1, a1]]`` from the reference shape
to the image, centred on the landmark. This kernel reproduces that warp exactly, with
OpenCV's own fixed-point arithmetic (coordinates in 1/1024 px, rounded to 1/32 px, and
the float bilinear weights of its interpolation table), so results match OpenFace's
without depending on the installed OpenCV.
"""

from libc.math cimport lrint
from libc.stdlib cimport malloc, free

cdef enum:
    AB_BITS = 10                # coordinates in 1/1024 px
    INTER_BITS = 5              # interpolated at 1/32 px
    INTER_TAB_SIZE = 32
    ROUND_DELTA = 16            # (1 << AB_BITS) / INTER_TAB_SIZE / 2


ctypedef fused pixel_t:
    unsigned char
    float


cdef inline int _check(bint ok, str what) except -1:
    if not ok:
        raise ValueError(what)
    return 0


cdef inline short _saturate_short(int v) noexcept nogil:
    if v > 32767:
        return 32767
    if v < -32768:
        return -32768
    return <short>v


cdef inline float _pixel(const pixel_t[:, ::1] image, int x, int y) noexcept nogil:
    """Image value, 0 outside (OpenCV's BORDER_CONSTANT with value 0)."""
    if x < 0 or y < 0 or x >= image.shape[1] or y >= image.shape[0]:
        return 0.0
    return image[y, x]


# OpenCV's bilinear weights for each 1/32 px sub-position (fy, fx): the products of its
# 1D table, in float, as cv::warpAffine forms them.
cdef float _WEIGHTS[INTER_TAB_SIZE * INTER_TAB_SIZE][4]


cdef void _init_weights() noexcept nogil:
    cdef float tab[2 * INTER_TAB_SIZE]
    cdef int k, fy, fx
    for k in range(INTER_TAB_SIZE):
        tab[2 * k + 1] = <float>k / INTER_TAB_SIZE
        tab[2 * k] = 1.0 - tab[2 * k + 1]
    for fy in range(INTER_TAB_SIZE):
        for fx in range(INTER_TAB_SIZE):
            _WEIGHTS[fy * INTER_TAB_SIZE + fx][0] = tab[2 * fy] * tab[2 * fx]
            _WEIGHTS[fy * INTER_TAB_SIZE + fx][1] = tab[2 * fy] * tab[2 * fx + 1]
            _WEIGHTS[fy * INTER_TAB_SIZE + fx][2] = tab[2 * fy + 1] * tab[2 * fx]
            _WEIGHTS[fy * INTER_TAB_SIZE + fx][3] = tab[2 * fy + 1] * tab[2 * fx + 1]


_init_weights()


cdef inline bint _interior(int X, int Y, int width, int height) noexcept nogil:
    """Whether a sample at fixed-point (X, Y) has its four neighbours in the image."""
    return 0 <= (X >> AB_BITS) < width - 1 and 0 <= (Y >> AB_BITS) < height - 1


cdef void _warp_one(const pixel_t[:, ::1] image, double* M, float[:, ::1] out,
                    int* adelta, int* bdelta) noexcept nogil:
    """cv::warpAffine with an inverse map M (2 x 3, row-major) into out.

    adelta and bdelta are scratch space for one int per output column.
    """
    cdef int height = image.shape[0], width = image.shape[1]
    cdef int size_y = out.shape[0], size_x = out.shape[1]
    cdef int x, y, X0, Y0, X, Y, sx, sy, lo_x, hi_x, lo_y, hi_y
    cdef float v0, v1, v2, v3
    cdef float* w
    cdef bint inside = True
    for x in range(size_x):
        adelta[x] = <int>lrint(M[0] * x * (1 << AB_BITS))
        bdelta[x] = <int>lrint(M[3] * x * (1 << AB_BITS))
    # Fast path when every sample of the area has all four neighbours inside the image.
    for y in range(size_y):
        X0 = <int>lrint((M[1] * y + M[2]) * (1 << AB_BITS)) + ROUND_DELTA
        Y0 = <int>lrint((M[4] * y + M[5]) * (1 << AB_BITS)) + ROUND_DELTA
        if not (_interior(X0 + adelta[0], Y0 + bdelta[0], width, height) and
                _interior(X0 + adelta[size_x - 1], Y0 + bdelta[size_x - 1], width, height)):
            inside = False
    for y in range(size_y):
        X0 = <int>lrint((M[1] * y + M[2]) * (1 << AB_BITS)) + ROUND_DELTA
        Y0 = <int>lrint((M[4] * y + M[5]) * (1 << AB_BITS)) + ROUND_DELTA
        if inside:
            for x in range(size_x):
                X = (X0 + adelta[x]) >> (AB_BITS - INTER_BITS)
                Y = (Y0 + bdelta[x]) >> (AB_BITS - INTER_BITS)
                sx = X >> INTER_BITS
                sy = Y >> INTER_BITS
                w = _WEIGHTS[(Y & (INTER_TAB_SIZE - 1)) * INTER_TAB_SIZE + (X & (INTER_TAB_SIZE - 1))]
                out[y, x] = (<float>image[sy, sx] * w[0] + <float>image[sy, sx + 1] * w[1]
                             + <float>image[sy + 1, sx] * w[2] + <float>image[sy + 1, sx + 1] * w[3])
            continue
        for x in range(size_x):
            X = (X0 + adelta[x]) >> (AB_BITS - INTER_BITS)
            Y = (Y0 + bdelta[x]) >> (AB_BITS - INTER_BITS)
            sx = _saturate_short(X >> INTER_BITS)
            sy = _saturate_short(Y >> INTER_BITS)
            w = _WEIGHTS[(Y & (INTER_TAB_SIZE - 1)) * INTER_TAB_SIZE + (X & (INTER_TAB_SIZE - 1))]
            if 0 <= sx < width - 1 and 0 <= sy < height - 1:
                v0 = image[sy, sx]
                v1 = image[sy, sx + 1]
                v2 = image[sy + 1, sx]
                v3 = image[sy + 1, sx + 1]
            elif sx >= width or sx + 1 < 0 or sy >= height or sy + 1 < 0:
                out[y, x] = 0.0
                continue
            else:
                v0 = _pixel(image, sx, sy)
                v1 = _pixel(image, sx + 1, sy)
                v2 = _pixel(image, sx, sy + 1)
                v3 = _pixel(image, sx + 1, sy + 1)
            out[y, x] = v0 * w[0] + v1 * w[1] + v2 * w[2] + v3 * w[3]


def areas_of_interest(const pixel_t[:, ::1] image,   # IN  (H, W) grayscale, uint8 or float32
                      const double[:, ::1] centres,  # IN  (n, 2) landmark (x, y) pixels
                      float a1, float b1,            # IN  reference-to-image similarity
                      float[:, :, ::1] out):         # OUT (n, A, A)
    """Warp an A x A area around each centre into the reference frame.

    Area pixel (u, v) samples the image at ``centre + [[a1, -b1], [b1, a1]] @ (u - c, v - c)``
    with ``c = (A - 1) / 2``; the 2 x 3 map is formed in float32 as OpenFace forms it.
    """
    cdef Py_ssize_t n = centres.shape[0], i
    cdef int A = out.shape[1]
    cdef double M[6]
    cdef float half, cx, cy, ta, tb
    _check(centres.shape[1] == 2, "centres must be (n, 2)")
    _check(out.shape[0] == n and out.shape[2] == A and A > 0, f"out must be ({n}, A, A)")
    _check(image.shape[0] > 0 and image.shape[1] > 0, "image is empty")
    cdef int* deltas = <int*>malloc(2 * A * sizeof(int))
    if deltas == NULL:
        raise MemoryError()
    with nogil:
        half = <float>A - 1.0
        for i in range(n):
            cx = <float>centres[i, 0]
            cy = <float>centres[i, 1]
            ta = a1 * half / 2.0
            tb = b1 * half / 2.0
            M[0] = a1
            M[1] = -b1
            M[2] = cx - ta + tb
            M[3] = b1
            M[4] = a1
            M[5] = cy - ta - tb
            _warp_one(image, M, out[i], deltas, deltas + A)
    free(deltas)

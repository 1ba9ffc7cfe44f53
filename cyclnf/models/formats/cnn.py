"""OpenFace's CNN files: the MTCNN networks (``PNet.dat``, ``RNet.dat``, ``ONet.dat``) and
the landmark validator (``validator_cnn_68.txt``), both binary and little-endian.

A network is an int32 layer count, then per layer an int32 type and its parameters.
The two files number layer types differently (FaceDetectorMTCNN.cpp, CNN::Read;
LandmarkDetectionValidator.cpp, DetectionValidator::Read):

====  ====================================  =====================================
type  MTCNN network                         validator
====  ====================================  =====================================
0     convolution                           convolution
1     max pooling: int32 kx, ky, sx, sy     max pooling, always 2x2 with stride 2
2     fully connected                       fully connected
3     PReLU: matrix of slopes               ReLU (no parameters)
4     -                                     sigmoid (no parameters)
====  ====================================  =====================================

A convolution is int32 input maps I, int32 kernels K, K float32 biases, then I x K
matrices (kh, kw) stored input-major. A fully connected layer is a bias matrix and a
weight matrix. cyclnf stores every layer with one numbering, :data:`LAYER_KINDS`.

The validator file is an int32 validator type (3: CNN), int32 number of views V,
V matrices (3, 1) float64 (view orientations, degrees), then per view: mean image and
standard deviation matrices (float64), the network, and a piece-wise affine warp (PAW::Read):
int32 pixel count, float64 min_x, float64 min_y, then matrices destination landmarks
(2n, 1), triangulation (t, 3), triangle id per pixel (h, w), pixel mask (h, w), alpha (t, 3),
beta (t, 3).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Dict, Tuple

import numpy as np

from .stream import BinaryReader

CONV, MAX_POOL, FULLY_CONNECTED, PRELU, RELU, SIGMOID = range(6)
LAYER_KINDS = {CONV: "convolution", MAX_POOL: "max pooling",
               FULLY_CONNECTED: "fully connected", PRELU: "PReLU", RELU: "ReLU",
               SIGMOID: "sigmoid"}
_MTCNN_CODES = {0: CONV, 1: MAX_POOL, 2: FULLY_CONNECTED, 3: PRELU}
_VALIDATOR_CODES = {0: CONV, 1: MAX_POOL, 2: FULLY_CONNECTED, 3: RELU, 4: SIGMOID}
VALIDATOR_TYPE_CNN = 3


@dataclass(frozen=True)
class Layer:
    """One network layer.

    ``kind`` is one of :data:`LAYER_KINDS`; ``params`` by kind:
    convolution ``kernels`` (K, I, kh, kw) float32 and ``bias`` (K,);
    max pooling ``pool`` (kx, ky, sx, sy) int32; fully connected ``weights``
    (n_in, n_out) float32 and ``bias`` (n_out,) as stored; PReLU ``slopes`` (K,).
    """

    kind: int
    params: Dict[str, np.ndarray]


@dataclass(frozen=True)
class Network:
    """A sequence of layers."""

    layers: Tuple[Layer, ...]

    def to_arrays(self, prefix: str = "") -> Dict[str, np.ndarray]:
        arrays = {f"{prefix}kinds": np.array([layer.kind for layer in self.layers], np.int32)}
        for i, layer in enumerate(self.layers):
            for name, value in layer.params.items():
                arrays[f"{prefix}layer{i:02d}_{name}"] = value
        return arrays

    @classmethod
    def from_arrays(cls, arrays: Dict[str, np.ndarray], prefix: str = "") -> "Network":
        layers = []
        for i, kind in enumerate(arrays[f"{prefix}kinds"]):
            start = f"{prefix}layer{i:02d}_"
            params = {k[len(start):]: v for k, v in arrays.items() if k.startswith(start)}
            layers.append(Layer(int(kind), params))
        return cls(tuple(layers))


def _float_matrix(r: BinaryReader, what: str) -> np.ndarray:
    """A floating-point matrix, as the float32 OpenFace computes with."""
    at = r.pos
    matrix = r.matrix(what)
    if matrix.dtype.kind != "f":
        raise r.fail(f"{what} must hold floating-point numbers, not {matrix.dtype}", at)
    with np.errstate(over="ignore"):
        single = matrix.astype(np.float32)
    if not np.isfinite(single).all():
        raise r.fail(f"{what} holds values too large for single precision; the file is "
                     "corrupt", at)
    return single


def _network(r: BinaryReader, codes: Dict[int, int], what: str) -> Network:
    depth = r.count(f"{what} number of layers", 1, 1000)
    layers = []
    for i in range(depth):
        name = f"{what} layer {i}"
        at = r.pos
        code = r.int32(f"{name} type")
        if code not in codes:
            raise r.fail(f"{name} has unknown type {code}", at)
        kind = codes[code]
        if kind == CONV:
            n_in = r.count(f"{name} input maps", 1, 100_000)
            n_kernels = r.count(f"{name} kernels", 1, 100_000)
            bias = r.array("<f4", n_kernels, f"{name} biases")
            at = r.pos
            kernels = r.matrices(n_in * n_kernels, f"{name} kernel")
            if kernels.dtype.kind != "f":
                raise r.fail(f"{name} kernels must hold floating-point numbers, not "
                             f"{kernels.dtype}", at)
            with np.errstate(over="ignore"):
                kernels = kernels.astype(np.float32)
            if not np.isfinite(kernels).all():
                raise r.fail(f"{name} kernels hold values too large for single precision; "
                             "the file is corrupt", at)
            # Stored input-major: [input 0: kernel 0..K-1], [input 1: ...] -> (K, I, kh, kw).
            stacked = kernels.reshape(n_in, n_kernels, *kernels.shape[1:])
            params = {"kernels": np.ascontiguousarray(stacked.transpose(1, 0, 2, 3)),
                      "bias": bias}
        elif kind == MAX_POOL:
            if codes is _MTCNN_CODES:
                pool = np.array([r.count(f"{name} {p}", 1, 1000)
                                 for p in ("kernel x", "kernel y", "stride x", "stride y")])
            else:
                pool = np.array([2, 2, 2, 2])  # the validator's pooling is fixed
            params = {"pool": pool.astype(np.int32)}
        elif kind == FULLY_CONNECTED:
            bias = _float_matrix(r, f"{name} biases")
            weights = _float_matrix(r, f"{name} weights")
            if bias.size not in weights.shape:
                raise r.fail(f"{name}: {bias.size} biases do not fit weights {weights.shape}")
            params = {"weights": weights, "bias": bias.reshape(-1)}
        elif kind == PRELU:
            params = {"slopes": _float_matrix(r, f"{name} slopes").reshape(-1)}
        else:
            params = {}
        layers.append(Layer(kind, params))
    return Network(tuple(layers))


def read_mtcnn_network(path: "os.PathLike[str] | str") -> Network:
    """Read one of OpenFace's MTCNN networks (``PNet.dat``, ``RNet.dat``, ``ONet.dat``).

    Raises
    ------
    ModelFormatError
        Truncated, corrupt, or not an MTCNN network.
    """
    r = BinaryReader(path)
    network = _network(r, _MTCNN_CODES, "network")
    r.expect_end()
    return network


@dataclass(frozen=True)
class PiecewiseAffineWarp:
    """The validator's warp of a face into a fixed reference frame (PAW).

    ``destination`` (n, 2) float64 reference landmarks (x, y); ``triangles`` (t, 3) int32;
    ``triangle_id`` (h, w) int32 triangle of each reference pixel (-1 outside);
    ``pixel_mask`` (h, w) bool; ``alpha``, ``beta`` (t, 3) float64; ``min_xy`` (2,);
    ``n_pixels`` pixels inside the mask.
    """

    n_pixels: int
    min_xy: np.ndarray
    destination: np.ndarray
    triangles: np.ndarray
    triangle_id: np.ndarray
    pixel_mask: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray


def _paw(r: BinaryReader, what: str) -> PiecewiseAffineWarp:
    n_pixels = r.count(f"{what} pixel count", 1, 10_000_000)
    min_xy = np.array([r.float64(f"{what} min x"), r.float64(f"{what} min y")])
    destination = r.matrix(f"{what} destination landmarks").astype(np.float64)
    if destination.shape[1] != 1 or destination.shape[0] % 2 or destination.shape[0] == 0:
        raise r.fail(f"{what} destination landmarks must be (2n, 1), got {destination.shape}")
    triangles = r.matrix(f"{what} triangulation")
    triangle_id = r.matrix(f"{what} triangle ids")
    mask = r.matrix(f"{what} pixel mask")
    alpha = r.matrix(f"{what} alpha").astype(np.float64)
    beta = r.matrix(f"{what} beta").astype(np.float64)
    n = destination.shape[0] // 2
    if triangles.shape[1] != 3 or triangles.dtype.kind not in "iu" or \
            triangles.min() < 0 or triangles.max() >= n:
        raise r.fail(f"{what} triangulation must be (t, 3) indices below {n}")
    if triangle_id.shape != mask.shape or alpha.shape != (triangles.shape[0], 3) or \
            beta.shape != alpha.shape:
        raise r.fail(f"{what} warp tables do not fit together")
    if int(np.count_nonzero(mask)) != n_pixels:
        raise r.fail(f"{what} mask has {np.count_nonzero(mask)} pixels, header says {n_pixels}")
    return PiecewiseAffineWarp(n_pixels, min_xy, destination.reshape(2, n).T.copy(),
                               triangles.astype(np.int32), triangle_id.astype(np.int32),
                               mask != 0, alpha, beta)


@dataclass(frozen=True)
class Validator:
    """OpenFace's CNN landmark validator: per view a normalisation, a network and a warp.

    ``orientations`` (V, 3) radians; ``mean_images``, ``standard_deviations``: V arrays
    (n_pixels,) float32 in the warp's masked-pixel order.
    """

    orientations: np.ndarray
    mean_images: Tuple[np.ndarray, ...]
    standard_deviations: Tuple[np.ndarray, ...]
    networks: Tuple[Network, ...]
    warps: Tuple[PiecewiseAffineWarp, ...]

    def to_arrays(self) -> Dict[str, np.ndarray]:
        arrays = {"orientations": self.orientations}
        for v in range(len(self.networks)):
            arrays[f"view{v}_mean"] = self.mean_images[v]
            arrays[f"view{v}_std"] = self.standard_deviations[v]
            arrays.update(self.networks[v].to_arrays(f"view{v}_net_"))
            warp = self.warps[v]
            for name, value in warp.__dict__.items():
                arrays[f"view{v}_paw_{name}"] = np.asarray(value)
        return arrays

    @classmethod
    def from_arrays(cls, arrays: Dict[str, np.ndarray]) -> "Validator":
        n_views = len(arrays["orientations"])
        warps = []
        for v in range(n_views):
            fields = {name: arrays[f"view{v}_paw_{name}"]
                      for name in PiecewiseAffineWarp.__dataclass_fields__}
            fields["n_pixels"] = int(fields["n_pixels"])
            warps.append(PiecewiseAffineWarp(**fields))
        return cls(arrays["orientations"],
                   tuple(arrays[f"view{v}_mean"] for v in range(n_views)),
                   tuple(arrays[f"view{v}_std"] for v in range(n_views)),
                   tuple(Network.from_arrays(arrays, f"view{v}_net_") for v in range(n_views)),
                   tuple(warps))


def read_validator(path: "os.PathLike[str] | str") -> Validator:
    """Read OpenFace's CNN landmark validator (``validator_cnn_68.txt``).

    Raises
    ------
    ModelFormatError
        Truncated, corrupt, or an older (non-CNN) validator, which OpenFace 2.2 no
        longer supports either.
    """
    r = BinaryReader(path)
    kind = r.int32("validator type")
    if kind != VALIDATOR_TYPE_CNN:
        raise r.fail(f"validator type {kind} is not the CNN validator (type "
                     f"{VALIDATOR_TYPE_CNN}) that OpenFace 2.2 uses", 0)
    n_views = r.count("number of views", 1, 100)
    orientations = []
    for v in range(n_views):
        centre = r.matrix(f"orientation of view {v}", np.float64)
        if centre.size != 3:
            raise r.fail(f"orientation of view {v} must have 3 values")
        orientations.append(centre.reshape(-1))
    means, stds, networks, warps = [], [], [], []
    for v in range(n_views):
        means.append(_float_matrix(r, f"view {v} mean image").reshape(-1))
        stds.append(_float_matrix(r, f"view {v} standard deviations").reshape(-1))
        networks.append(_network(r, _VALIDATOR_CODES, f"view {v} network"))
        warps.append(_paw(r, f"view {v} warp"))
        if means[-1].size != warps[-1].n_pixels or stds[-1].size != warps[-1].n_pixels:
            raise r.fail(f"view {v}: normalisation has {means[-1].size} values for "
                         f"{warps[-1].n_pixels} warped pixels")
    r.expect_end()
    return Validator(np.deg2rad(np.array(orientations)), tuple(means), tuple(stds),
                     tuple(networks), tuple(warps))

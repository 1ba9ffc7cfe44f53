"""OpenFace's convolutional networks (CNN_utils.cpp): the layers MTCNN and the landmark
validator are made of, run on batches.

Maps are ``(N, H, W, C)`` float32 arrays, channels last: ``N`` images (MTCNN's crops, or
one face) of ``C`` maps each. The layers compute what OpenFace computes, in float32:

- convolution: correlation with each kernel (no flipping, no padding, stride 1), summed
  over input maps, plus the bias; done as im2col and one matrix product (OpenFace calls
  BLAS sgemm the same way), with the bias as an extra row of the weight matrix;
- max pooling: OpenFace's Caffe-style output size ``round((size - kernel) / stride) + 1``,
  windows cut off at the edge;
- fully connected: if there are as many maps as the layer has inputs, it acts on every
  pixel (a 1 x 1 convolution: PNet's last layer); otherwise it takes all maps flattened
  as OpenFace flattens them, map after map, each column by column;
- PReLU (one slope per map), ReLU, sigmoid.

The matrix products are cyclnf's own kernel (:func:`cyclnf.kernels.cnn.matmul`), not
NumPy's BLAS: every output is one chain of fused multiply-adds in a fixed order, so the
networks give the same bits however many threads BLAS or cyclnf use, on every CPU. Results
differ from OpenFace's (whose BLAS sums in blocks) only by float32 rounding, about 1e-6
relative.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple

import numpy as np

from .kernels import cnn as _kernels
from .models.formats.cnn import (CONV, FULLY_CONNECTED, LAYER_KINDS, MAX_POOL, PRELU, RELU,
                                 SIGMOID, Network)


def pooled_size(size: int, kernel: int, stride: int) -> int:
    """OpenFace's pooled length: ``round((size - kernel) / stride) + 1``, halves away from 0."""
    ratio = np.float32(size - kernel) / np.float32(stride)
    return int(np.sign(ratio) * np.floor(abs(ratio) + 0.5)) + 1


_NO_BIAS = np.zeros(0, np.float32)


def matmul(a: np.ndarray, b: np.ndarray, bias: np.ndarray = _NO_BIAS) -> np.ndarray:
    """``a @ b (+ bias)`` in float32 by cyclnf's kernel (a fixed summation order).

    Parameters
    ----------
    a : (M, K) float32
    b : (K, N) float32
    bias : (N,) float32, optional

    Returns
    -------
    (M, N) float32
    """
    out = np.empty((a.shape[0], b.shape[1]), np.float32)
    _kernels.matmul(np.ascontiguousarray(a, np.float32), np.ascontiguousarray(b, np.float32),
                    np.ascontiguousarray(bias, np.float32), out)
    return out


def convolution_weights(kernels: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """A convolution layer's kernels and biases as the matrix :func:`convolution` takes.

    Parameters
    ----------
    kernels : (K, C, kernel_h, kernel_w)
    bias : (K,)

    Returns
    -------
    (kernel_h * kernel_w * C + 1, K) float32
    """
    n_kernels, n_in, kh, kw = kernels.shape
    weights = np.empty((kh * kw * n_in + 1, n_kernels), np.float32)
    weights[:-1] = np.asarray(kernels).transpose(2, 3, 1, 0).reshape(-1, n_kernels)
    weights[-1] = bias
    return weights


def convolution(maps: np.ndarray, weights: np.ndarray, kernel_h: int, kernel_w: int) -> np.ndarray:
    """Convolution layer.

    Parameters
    ----------
    maps : (N, H, W, C) float32
    weights : (kernel_h * kernel_w * C + 1, K) float32
        Row ``(dy * kernel_w + dx) * C + c`` holds kernel element ``(dy, dx)`` of input map
        ``c``; the last row holds the biases.

    Returns
    -------
    (N, H - kernel_h + 1, W - kernel_w + 1, K) float32
    """
    n, h, w, _ = maps.shape
    ho, wo = h - kernel_h + 1, w - kernel_w + 1
    columns = np.empty((n * ho * wo, weights.shape[0]), np.float32)
    _kernels.im2col(maps, kernel_h, kernel_w, columns)
    return matmul(columns, weights).reshape(n, ho, wo, weights.shape[1])


def max_pooling(maps: np.ndarray, kernel_x: int, kernel_y: int, stride_x: int,
                stride_y: int) -> np.ndarray:
    """Max pooling layer: (N, H, W, C) -> (N, Ho, Wo, C) float32 (see :func:`pooled_size`)."""
    n, h, w, c = maps.shape
    out = np.empty((n, max(pooled_size(h, kernel_y, stride_y), 0),
                    max(pooled_size(w, kernel_x, stride_x), 0), c), np.float32)
    _kernels.max_pool(maps, kernel_x, kernel_y, stride_x, stride_y, out)
    return out


def fully_connected(maps: np.ndarray, weights: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Fully connected layer.

    Parameters
    ----------
    maps : (N, H, W, C) float32
    weights : (n_in, n_out) float32
    bias : (n_out,) float32

    Returns
    -------
    (N, H, W, n_out) float32 if ``C == n_in`` (applied to every pixel), else
    (N, 1, 1, n_out) from the maps flattened in OpenFace's order.
    """
    n, h, w, c = maps.shape
    n_in, n_out = weights.shape
    if c == n_in:
        return matmul(maps.reshape(-1, c), weights, bias).reshape(n, h, w, n_out)
    if c * h * w != n_in:
        raise ValueError(f"a fully connected layer with {n_in} inputs cannot take "
                         f"{c} maps of {h} x {w}")
    flat = maps.transpose(0, 3, 2, 1).reshape(n, n_in)   # map by map, column by column
    return matmul(flat, weights, bias).reshape(n, 1, 1, n_out)


def prelu(maps: np.ndarray, slopes: np.ndarray) -> np.ndarray:
    """PReLU layer on (N, H, W, C) maps, ``slopes`` (C,); in place if ``maps`` is
    C-contiguous float32 (as every layer's output is)."""
    maps = np.ascontiguousarray(maps, np.float32)
    _kernels.prelu(maps.reshape(-1, maps.shape[3]), np.ascontiguousarray(slopes, np.float32))
    return maps


def relu(maps: np.ndarray) -> np.ndarray:
    """ReLU layer, in place."""
    return np.maximum(maps, np.float32(0.0), out=maps)


def sigmoid(maps: np.ndarray) -> np.ndarray:
    """Sigmoid layer: ``1 / (1 + exp(-x))``."""
    return (np.float32(1.0) / (np.float32(1.0) + np.exp(-maps))).astype(np.float32)


@dataclass(frozen=True)
class _Step:
    kind: int
    arrays: Tuple[np.ndarray, ...] = ()
    sizes: Tuple[int, ...] = ()


class ConvNet:
    """One of OpenFace's networks, ready to run.

    Parameters
    ----------
    network : cyclnf.models.Network
        As read from an MTCNN ``.dat`` file or from the validator.
    """

    def __init__(self, network: Network):
        steps = []
        for i, layer in enumerate(network.layers):
            p = layer.params
            if layer.kind == CONV:
                kh, kw = p["kernels"].shape[2:]
                steps.append(_Step(CONV, (convolution_weights(p["kernels"], p["bias"]),),
                                   (kh, kw)))
            elif layer.kind == MAX_POOL:
                steps.append(_Step(MAX_POOL, (), tuple(int(v) for v in p["pool"])))
            elif layer.kind == FULLY_CONNECTED:
                steps.append(_Step(FULLY_CONNECTED,
                                   (np.ascontiguousarray(p["weights"], np.float32),
                                    np.ascontiguousarray(p["bias"], np.float32))))
            elif layer.kind == PRELU:
                steps.append(_Step(PRELU, (np.ascontiguousarray(p["slopes"], np.float32),)))
            elif layer.kind in (RELU, SIGMOID):
                steps.append(_Step(layer.kind))
            else:
                raise ValueError(f"layer {i}: unknown kind {layer.kind}")
        self._steps = tuple(steps)

    def __repr__(self) -> str:
        return "ConvNet(" + ", ".join(LAYER_KINDS[s.kind] for s in self._steps) + ")"

    def __call__(self, maps: np.ndarray) -> np.ndarray:
        """Run the network.

        Parameters
        ----------
        maps : (N, H, W, C) float32

        Returns
        -------
        (N, Ho, Wo, n_out) float32
            The last layer's maps (``Ho = Wo = 1`` after a flattening fully connected layer).
        """
        # PReLU and ReLU work in place: never on the caller's array.
        if self._steps and self._steps[0].kind in (PRELU, RELU):
            maps = np.array(maps, np.float32, order="C")
        else:
            maps = np.ascontiguousarray(maps, np.float32)
        if maps.ndim != 4:
            raise ValueError(f"maps must be (N, H, W, C), got shape {maps.shape}")
        for step in self._steps:
            if step.kind == CONV:
                maps = convolution(maps, step.arrays[0], *step.sizes)
            elif step.kind == MAX_POOL:
                maps = max_pooling(maps, *step.sizes)
            elif step.kind == FULLY_CONNECTED:
                maps = fully_connected(maps, *step.arrays)
            elif step.kind == PRELU:
                maps = prelu(maps, step.arrays[0])
            elif step.kind == RELU:
                maps = relu(maps)
            else:
                maps = sigmoid(maps)
        return maps

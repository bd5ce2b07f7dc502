"""Small networks in pure JAX: MLP, CNN and ResNet.

Conventions (binding for the whole validation layer):

* **NTK parametrisation** (default, ``param="ntk"``): every dense or convolutional
  layer computes ``W h / sqrt(fan_in)`` with ``W`` entries ``N(0, 1)``.
  ``fan_in`` is the input width of a dense layer and ``kh * kw * c_in`` of a
  convolution.
* **Standard parametrisation** (``param="standard"``): ``W ~ N(0, 1/fan_in)`` and
  no ``1/sqrt(fan_in)`` factor in the forward pass (same function at init, a
  different gradient geometry).
* **No biases** by default (``bias=True`` adds zero-initialised biases, with the
  same ``1`` / ``1/sqrt(fan_in)`` treatment as the weights' scale: biases are
  added unscaled). A one-hidden-layer linear MLP is therefore exactly
  ``f(x) = v^T U x / sqrt(n d)`` with ``U = params[0]["W"]`` of shape ``(n, d)``
  and ``v = params[1]["W"][0]`` -- the theory layer's ``full`` model.
* No variance-preserving gains (no He ``sqrt(2)``); weights are ``N(0, 1)``.
* The normals are always drawn in float32 and then cast to the requested dtype, so
  ``init(key, float64)`` is exactly ``init(key, float32)`` at higher precision (the
  same network, not another draw).

Inputs are always flattened vectors ``x`` of shape ``(m, H*W*C)``; the CNN and
ResNet reshape them to ``(m, H, W, C)`` using the ``image_shape`` they were
built with. Outputs have shape ``(m, k)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp

from catapultlab import CatapultError
from catapultlab.records import short_repr

__all__ = ["ACTIVATIONS", "ARCHITECTURES", "Network", "make_network", "mlp", "cnn", "resnet"]

Params = Any

ACTIVATIONS: dict[str, Callable[[jax.Array], jax.Array]] = {
    "linear": lambda z: z,
    "relu": jax.nn.relu,
    "tanh": jnp.tanh,
    "gelu": lambda z: jax.nn.gelu(z, approximate=False),
}
ARCHITECTURES: tuple[str, ...] = ("mlp", "cnn", "resnet")
PARAMETRISATIONS: tuple[str, ...] = ("ntk", "standard")


@dataclass(frozen=True)
class Network:
    """A network as a pair of pure functions.

    Attributes:
        name: short description, e.g. ``"mlp(relu, depth=3, width=512, ntk)"``.
        init: ``init(key, dtype) -> params`` (a pytree of arrays).
        apply: ``apply(params, x) -> outputs`` with ``x`` of shape ``(m, D)``
            and outputs of shape ``(m, k)``.
        num_outputs: ``k``.
    """

    __repr__ = short_repr

    name: str
    init: Callable[..., Params]
    apply: Callable[[Params, jax.Array], jax.Array]
    num_outputs: int


def _check(act: str, depth: int, width: int, param: str) -> Callable[[jax.Array], jax.Array]:
    if act not in ACTIVATIONS:
        raise CatapultError(f"unknown activation {act!r}; choose one of {', '.join(ACTIVATIONS)}")
    if depth < 1:
        raise CatapultError(f"depth must be at least 1, got {depth}")
    if width < 1:
        raise CatapultError(f"width must be at least 1, got {width}")
    if param not in PARAMETRISATIONS:
        raise CatapultError(f"unknown parametrisation {param!r}; choose ntk or standard")
    return ACTIVATIONS[act]


def _init_std(fan_in: int, param: str) -> float:
    return 1.0 if param == "ntk" else 1.0 / math.sqrt(fan_in)


def _fwd_scale(fan_in: int, param: str) -> float:
    return 1.0 / math.sqrt(fan_in) if param == "ntk" else 1.0


def _normal(key: jax.Array, shape: tuple[int, ...], dtype: Any) -> jax.Array:
    """``N(0, 1)`` draws made in float32 and cast, identical for every target dtype."""
    return jax.random.normal(key, shape, dtype=jnp.float32).astype(dtype)


def _dense_init(key: jax.Array, fan_in: int, fan_out: int, param: str, bias: bool, dtype: Any):
    w = _init_std(fan_in, param) * _normal(key, (fan_out, fan_in), dtype)
    layer = {"W": w}
    if bias:
        layer["b"] = jnp.zeros((fan_out,), dtype=dtype)
    return layer


def _dense(layer: dict, h: jax.Array, param: str) -> jax.Array:
    fan_in = layer["W"].shape[1]
    out = (h @ layer["W"].T) * _fwd_scale(fan_in, param)
    if "b" in layer:
        out = out + layer["b"]
    return out


def _conv_init(key, c_in: int, c_out: int, param: str, bias: bool, dtype: Any, ksize: int = 3):
    fan_in = ksize * ksize * c_in
    w = _init_std(fan_in, param) * _normal(key, (ksize, ksize, c_in, c_out), dtype)
    layer = {"K": w}
    if bias:
        layer["b"] = jnp.zeros((c_out,), dtype=dtype)
    return layer


def _conv(layer: dict, h: jax.Array, param: str) -> jax.Array:
    kh, kw, c_in, _ = layer["K"].shape
    out = jax.lax.conv_general_dilated(
        h, layer["K"], (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")
    ) * _fwd_scale(kh * kw * c_in, param)
    if "b" in layer:
        out = out + layer["b"]
    return out


def mlp(
    *,
    inputs: int,
    outputs: int,
    depth: int = 1,
    width: int = 512,
    act: str = "relu",
    param: str = "ntk",
    bias: bool = False,
) -> Network:
    """Fully connected network with ``depth`` hidden layers of ``width`` units.

    Args:
        inputs: input dimension ``d``.
        outputs: number of outputs ``k``.
        depth: number of hidden layers (at least 1).
        width: hidden width ``n``.
        act: one of ``linear``, ``relu``, ``tanh``, ``gelu``.
        param: ``ntk`` (default) or ``standard``.
        bias: add zero-initialised biases.

    Returns:
        The network.
    """
    phi = _check(act, depth, width, param)
    sizes = [inputs] + [width] * depth + [outputs]

    def init(key: jax.Array, dtype: Any = jnp.float32) -> Params:
        keys = jax.random.split(key, len(sizes) - 1)
        return [
            _dense_init(k, a, b, param, bias, dtype)
            for k, a, b in zip(keys, sizes[:-1], sizes[1:], strict=True)
        ]

    def apply(params: Params, x: jax.Array) -> jax.Array:
        h = x.reshape(x.shape[0], -1)
        for layer in params[:-1]:
            h = phi(_dense(layer, h, param))
        return _dense(params[-1], h, param)

    name = f"mlp({act}, depth={depth}, width={width}, {param})"
    return Network(name=name, init=init, apply=apply, num_outputs=outputs)


def cnn(
    *,
    image_shape: tuple[int, int, int],
    outputs: int,
    depth: int = 2,
    width: int = 32,
    act: str = "relu",
    param: str = "ntk",
    bias: bool = False,
) -> Network:
    """Small CNN: 3x3 convolutions, global average pooling, dense readout.

    ``depth`` 'SAME' convolutions of ``width`` channels.

    Args:
        image_shape: ``(H, W, C)`` used to reshape flattened inputs.
        outputs: number of outputs ``k``.
        depth: number of convolutional layers (at least 1).
        width: channels per convolution.
        act: activation name.
        param: ``ntk`` or ``standard``.
        bias: add zero-initialised biases.

    Returns:
        The network.
    """
    phi = _check(act, depth, width, param)
    chans = [image_shape[2]] + [width] * depth

    def init(key: jax.Array, dtype: Any = jnp.float32) -> Params:
        keys = jax.random.split(key, depth + 1)
        convs = [
            _conv_init(k, a, b, param, bias, dtype)
            for k, a, b in zip(keys[:-1], chans[:-1], chans[1:], strict=True)
        ]
        return {"convs": convs, "out": _dense_init(keys[-1], width, outputs, param, bias, dtype)}

    def apply(params: Params, x: jax.Array) -> jax.Array:
        h = x.reshape((x.shape[0], *image_shape))
        for layer in params["convs"]:
            h = phi(_conv(layer, h, param))
        return _dense(params["out"], h.mean(axis=(1, 2)), param)

    name = f"cnn({act}, depth={depth}, width={width}, {param})"
    return Network(name=name, init=init, apply=apply, num_outputs=outputs)


def resnet(
    *,
    image_shape: tuple[int, int, int],
    outputs: int,
    depth: int = 2,
    width: int = 16,
    act: str = "relu",
    param: str = "ntk",
    bias: bool = False,
) -> Network:
    """Small ResNet without normalisation.

    A 3x3 conv stem, ``depth`` residual blocks
    ``h <- h + conv(phi(conv(phi(h))))`` (pre-activation, no normalisation), global
    average pooling and a dense readout.

    Args:
        image_shape: ``(H, W, C)`` used to reshape flattened inputs.
        outputs: number of outputs ``k``.
        depth: number of residual blocks (at least 1).
        width: channels.
        act: activation name.
        param: ``ntk`` or ``standard``.
        bias: add zero-initialised biases.

    Returns:
        The network.
    """
    phi = _check(act, depth, width, param)

    def init(key: jax.Array, dtype: Any = jnp.float32) -> Params:
        keys = jax.random.split(key, 2 * depth + 2)
        stem = _conv_init(keys[0], image_shape[2], width, param, bias, dtype)
        blocks = [
            (
                _conv_init(keys[1 + 2 * i], width, width, param, bias, dtype),
                _conv_init(keys[2 + 2 * i], width, width, param, bias, dtype),
            )
            for i in range(depth)
        ]
        out = _dense_init(keys[-1], width, outputs, param, bias, dtype)
        return {"stem": stem, "blocks": blocks, "out": out}

    def apply(params: Params, x: jax.Array) -> jax.Array:
        h = _conv(params["stem"], x.reshape((x.shape[0], *image_shape)), param)
        for c1, c2 in params["blocks"]:
            h = h + _conv(c2, phi(_conv(c1, phi(h), param)), param)
        return _dense(params["out"], phi(h).mean(axis=(1, 2)), param)

    name = f"resnet({act}, depth={depth}, width={width}, {param})"
    return Network(name=name, init=init, apply=apply, num_outputs=outputs)


def make_network(
    arch: str,
    *,
    image_shape: tuple[int, int, int],
    outputs: int,
    depth: int,
    width: int,
    act: str = "relu",
    param: str = "ntk",
    bias: bool = False,
) -> Network:
    """Build a network by architecture name (``mlp``, ``cnn`` or ``resnet``).

    Raises:
        CatapultError: unknown architecture/activation/parametrisation, or
            ``depth`` / ``width`` below 1.
    """
    kwargs = dict(outputs=outputs, depth=depth, width=width, act=act, param=param, bias=bias)
    if arch == "mlp":
        inputs = image_shape[0] * image_shape[1] * image_shape[2]
        return mlp(inputs=inputs, **kwargs)
    if arch == "cnn":
        return cnn(image_shape=image_shape, **kwargs)
    if arch == "resnet":
        return resnet(image_shape=image_shape, **kwargs)
    raise CatapultError(f"unknown architecture {arch!r}; choose one of {', '.join(ARCHITECTURES)}")

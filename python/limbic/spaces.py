"""Spaces across the boundary: limbic's JSON form (Minari's) as ``gymnasium.spaces``."""

import json

import numpy as np
from gymnasium import spaces


def from_json(text):
    """The Gymnasium space of limbic's JSON text (Python's ``json`` reads its ``Infinity``)."""
    return _space(json.loads(text))


def _space(d):
    kind = d["type"]
    if kind == "Discrete":
        return spaces.Discrete(d["n"], start=d["start"])
    if kind == "Box":
        dtype = np.dtype(d["dtype"])
        low, high = np.array(d["low"], dtype=np.float64), np.array(d["high"], dtype=np.float64)
        return spaces.Box(low.astype(dtype), high.astype(dtype), shape=tuple(d["shape"]), dtype=dtype)
    if kind == "MultiDiscrete":
        return spaces.MultiDiscrete(np.array(d["nvec"]), start=np.array(d["start"]))
    if kind == "MultiBinary":
        return spaces.MultiBinary(d["n"])
    if kind == "Dict":
        return spaces.Dict({key: _space(sub) for key, sub in d["subspaces"].items()})
    if kind == "Tuple":
        return spaces.Tuple([_space(sub) for sub in d["subspaces"]])
    if kind == "Text":
        return spaces.Text(d["max_length"], min_length=d["min_length"], charset=d["charset"])
    raise ValueError(f"unknown space type {kind!r}")

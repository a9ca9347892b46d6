"""A user's own Python environments, trained by limbic's Rust learners.

``register_env(id, factory)`` makes ``factory()`` (returning a ``gymnasium.Env`` with Box or
Discrete spaces) the environment ``id``: ``limbic.train({"env": id, ...})`` then trains on it
with the run directories, checkpoints and evaluation of a native env, and ``limbic.make(id)``
builds it. ``limbic.train(config, env=factory)`` registers the factory under ``python:NAME``
(NAME: the factory's ``__name__``) first. An id Gymnasium has and limbic does not
(``FrozenLake-v1``, ``LunarLander-v3`` with box2d, ...) is registered with ``gymnasium.make``
as its factory when ``limbic.train``, ``limbic.load`` or ``limbic.evaluate`` meets it.

The sub-envs are stepped from Rust (python/src/user_env.rs) on one thread; a run lets the GIL
go while Rust trains and takes it once per vector step, so other Python threads keep running. Each reset is seeded (``reset(seed=...)``), and a resumed run
replays each sub-env's episode from its seed and actions, so the env should be deterministic
given its seed. The ``info`` dicts are not read. A process that trains, loads or evaluates a
run on a Python env registers it first.
"""

import functools
import json
import re

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from limbic import _limbic

__all__ = ["register_env", "registered_envs"]

_factories = {}


def register_env(id, factory):
    """Makes ``factory()`` the environment ``id`` for this process. The id of a native limbic
    environment is refused; registering an id again replaces its factory."""
    if not callable(factory):
        raise TypeError(f"register_env takes a callable returning a gymnasium.Env, got {factory!r}")
    if not isinstance(id, str) or not re.fullmatch(r"[A-Za-z0-9_.:/\-]+", id):
        raise ValueError(f"an environment id is letters, digits and _ . : / -, got {id!r}")
    if id not in _factories:
        _limbic.register_python_env(id)
    _factories[id] = factory
    return id


def registered_envs():
    """The Python environments registered in this process: id -> factory."""
    return dict(_factories)


def gymnasium_fallback(id):
    """Registers ``gymnasium.make(id)`` as ``id`` when limbic has no env ``id`` and Gymnasium has."""
    if isinstance(id, str) and id not in _factories and id in gym.registry and id not in _limbic.ids():
        register_env(id, functools.partial(gym.make, id))


def id_for(factory):
    """The id ``limbic.train(config, env=factory)`` registers ``factory`` under."""
    name = getattr(factory, "__name__", type(factory).__name__)
    return "python:" + (re.sub(r"[^A-Za-z0-9_.\-]", "_", name) or "env")


def space_to_json(space, what):
    """limbic's JSON form of a Box or Discrete space; any other space is refused."""
    if isinstance(space, spaces.Discrete):
        return {"type": "Discrete", "n": int(space.n), "start": int(space.start)}
    if isinstance(space, spaces.Box):
        dtype = np.dtype(space.dtype)
        if dtype.name not in ("float32", "float64", "uint8", "int8", "int64"):
            raise ValueError(f"{what} is a Box of {dtype.name}: limbic's Boxes hold float32, float64, uint8, "
                             "int8 or int64")
        return {"type": "Box", "dtype": dtype.name, "shape": list(space.shape),
                "low": space.low.astype(np.float64).tolist(), "high": space.high.astype(np.float64).tolist()}
    raise ValueError(f"{what} is {space}: limbic trains Python environments with Box and Discrete spaces "
                     "(flatten others with a gymnasium wrapper, e.g. gymnasium.wrappers.FlattenObservation)")


def _make(id, kwargs_json):
    """One env of ``id`` and its spaces as JSON (called by the native side)."""
    env = _factories[id](**json.loads(kwargs_json))
    if not isinstance(env, gym.Env):
        raise TypeError(f"the factory of {id!r} must return a gymnasium.Env, got {type(env).__name__}")
    obs = space_to_json(env.observation_space, "the observation space")
    act = space_to_json(env.action_space, "the action space")
    return env, json.dumps(obs), json.dumps(act)

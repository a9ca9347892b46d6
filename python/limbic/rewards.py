"""``limbic.rewards``: reward signals written in Python, trained with limbic's Rust learners.

Register a class under a name, then name it in a run's ``rewards`` list like a built-in::

    class Novelty(limbic.rewards.Signal):
        def compute(self, batch):          # batch.next_obs: [T, N, D] float32
            return np.abs(batch.next_obs).sum(axis=2)

    limbic.rewards.register("novelty", Novelty)
    limbic.train({"env": "CartPole-v1", "rewards": [{"name": "novelty", "weight": 0.01}]})

The class follows the Rust ``IntrinsicReward`` contract (rewards/src/signal.rs); subclassing
:class:`Signal` gives the optional methods their defaults:

- ``cls(context, **params)``: built once per run (``params``: the spec's ``params`` dict;
  ``context``: :class:`SignalContext`);
- ``memory``: ``"lifelong"`` (default) or ``"episodic"``: an episodic signal's
  ``reset_episode(env)`` is called when sub-env ``env``'s episode ends;
- ``keys``: the Dict observation keys it reads (None: the whole observation row);
- ``observe(step)``: one vector step as it happens (a :class:`Batch` with ``T = 1``);
- ``compute(batch) -> array [T, N]``: the raw bonus of every transition of a rollout (a float
  array; invalid slots are ignored; NaN or infinity stops the run);
- ``update(batch) -> dict | None``: trains the signal's own model after ``compute``; the dict's
  numbers are logged as ``reward/NAME/KEY``;
- ``save() -> bytes`` / ``load(data)``: the signal's state in checkpoints (default: a pickle
  of ``__dict__``).

Normalization, weight, schedule and stream come from the spec, as for built-in signals: a
signal returns raw bonuses. Every call takes the GIL once, with the batch as numpy arrays.
An exception in the class stops the run: the ``LimbicError`` carries its traceback. A process
that trains, loads or evaluates a run using a Python signal registers it first.
"""

import builtins
import json
import pickle
import re
from dataclasses import dataclass

import numpy as np

from limbic import _limbic
from limbic.spaces import from_json

__all__ = ["Signal", "SignalContext", "Batch", "register", "list", "registered"]

_classes = {}


@dataclass(frozen=True)
class SignalContext:
    """What a signal is built with (the Rust ``SignalContext``)."""

    obs_dim: int
    """Width of the observation rows the signal receives (only its keys' part)."""
    num_envs: int
    seed: int
    """Seed for the signal's own weights and draws."""
    observation_space: object
    """The ``gymnasium.spaces`` space of those rows."""
    action_space: object


@dataclass(frozen=True)
class Batch:
    """``T`` steps of ``N`` sub-envs (the Rust ``Transitions``), as numpy arrays the signal may keep."""

    obs: np.ndarray
    """``[T, N, D]`` float32, flat observation rows."""
    actions: np.ndarray
    """``[T, N, A]`` float32: a discrete action's index (``A = 1``) or the Box action."""
    rewards: np.ndarray
    """``[T, N]`` float32, the env's reward."""
    next_obs: np.ndarray
    """``[T, N, D]`` float32."""
    terminated: np.ndarray
    """``[T, N]`` bool."""
    truncated: np.ndarray
    """``[T, N]`` bool."""
    valid: np.ndarray
    """``[T, N]`` bool: slots that hold a transition."""

    @property
    def done(self):
        """``[T, N]`` bool: the step ended its sub-env's episode."""
        return self.terminated | self.truncated


class Signal:
    """A base class with the optional parts of the contract; subclasses write ``compute``."""

    memory = "lifelong"
    keys = None
    weight = 0.1
    """The weight a spec without ``weight`` uses (of the normalized bonus)."""
    exploration = True
    """An exploration bonus gets a stream of its own; otherwise it is summed into the env's."""

    def __init__(self, context, **params):
        if params:
            raise TypeError(f"{type(self).__name__} takes no parameters, got {sorted(params)}")
        self.context = context

    def observe(self, step):
        pass

    def compute(self, batch):
        raise NotImplementedError(f"{type(self).__name__}.compute")

    def update(self, batch):
        return None

    def reset_episode(self, env):
        pass

    def save(self):
        return pickle.dumps(self.__dict__)

    def load(self, data):
        self.__dict__.update(pickle.loads(data))


def register(name, cls):
    """Makes class ``cls`` the reward signal ``name`` for every run of this process. A built-in's
    name is refused (``limbic.errors.LimbicError``); registering a name again replaces its class."""
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_\-]*", name):
        raise ValueError(f"a signal name is letters, digits, '_' and '-' starting with a letter, got {name!r}")
    if not isinstance(cls, type) or not callable(getattr(cls, "compute", None)):
        raise TypeError(f"register takes a class with a compute(batch) method, got {cls!r}")
    memory = getattr(cls, "memory", "lifelong")
    if memory not in ("lifelong", "episodic"):
        raise ValueError(f"{cls.__name__}.memory must be 'lifelong' or 'episodic', got {memory!r}")
    doc = (cls.__doc__ or "").strip()
    summary = doc.splitlines()[0] if doc else f"Python class {cls.__module__}.{cls.__qualname__}"
    weight, exploration = float(getattr(cls, "weight", 0.1)), bool(getattr(cls, "exploration", True))
    _limbic.install_signal(name, summary, weight, exploration)
    _classes[name] = cls


def registered():
    """The Python signals registered in this process: name -> class."""
    return dict(_classes)


def list():
    """Every signal a run can name, built-ins first: dicts with ``name``, ``summary``,
    ``weight``, ``exploration``, ``params`` (defaults), ``caveats`` and ``python`` (registered
    from Python)."""
    rows = json.loads(_limbic.signals())
    for row in rows:
        row["python"] = row["name"] in _classes
    return rows


# The native side's entry points (python/src/rewards.rs).


def _build(name, params_json, obs_dim, num_envs, seed, obs_space_json, act_space_json):
    """An instance of the class registered as ``name``, whether it is episodic, and its keys."""
    cls = _classes[name]
    context = SignalContext(obs_dim, num_envs, seed, from_json(obs_space_json), from_json(act_space_json))
    params = json.loads(params_json) or {}
    signal = cls(context, **params)
    keys = getattr(signal, "keys", None)
    if keys is not None:
        keys = builtins.list(keys)
    return signal, getattr(signal, "memory", "lifelong") == "episodic", keys


def _batch(obs, actions, rewards, next_obs, terminated, truncated, valid):
    flags = [a.view(np.bool_) for a in (terminated, truncated, valid)]
    return Batch(obs, actions, rewards, next_obs, *flags)


def _save(signal):
    save = getattr(signal, "save", None)
    return save() if save is not None else pickle.dumps(signal.__dict__)


def _load(signal, data):
    load = getattr(signal, "load", None)
    if load is not None:
        load(data)
    else:
        signal.__dict__.update(pickle.loads(data))

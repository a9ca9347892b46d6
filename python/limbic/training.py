"""``limbic.train``, ``limbic.load`` and ``limbic.evaluate``: limbic's learners from Python, with
the run directories, checkpoints and evaluation of ``limbic train`` / ``limbic eval``."""

import json
import os

from limbic import _limbic
from limbic.envs import gymnasium_fallback, id_for, register_env
from limbic.spaces import from_json


def train(config_or_path=None, *, out=None, force=False, quiet=True, resume=None, **overrides):
    """Trains a run and returns its directory.

    ``config_or_path`` is a dict of RunConfig fields or the path of a JSON config file (None:
    the defaults); keyword arguments override it (``env="CartPole-v1"``, ``total_steps=20000``,
    ``params={"learning_rate": 3e-4}``: dicts merge key by key). Unset fields come from the
    env's preset, as ``limbic train`` resolves them; ``limbic train --print-config`` lists them.
    ``out`` is the run directory (default ``runs/ENV-ALGO-seedSEED``); ``force`` replaces a run
    limbic wrote there.

    ``env`` may also be a factory returning a ``gymnasium.Env`` (Box/Discrete spaces): it is
    registered as ``python:NAME`` (``limbic.register_env``) and limbic's learners train on it,
    stepped from Rust on one thread; so is an id only Gymnasium has (through ``gymnasium.make``).
    Reward specs may name signals registered with ``limbic.rewards.register``. Such a run's
    config records what came from Python (``from_python``): the ``limbic`` command line cannot
    open it, and says so; this package does (``resume=``, ``evaluate``, ``load``).

    ``resume=run_dir`` continues that run from its latest checkpoint (``limbic train --resume``),
    to ``total_steps=N`` if given; ``env=factory`` then gives the factory of the run's Python
    env (registered under the run's env id). It takes no other config.
    """
    if resume is not None:
        if config_or_path is not None or out is not None or force:
            raise TypeError("train(resume=run_dir) continues that run: it takes no config, out or force")
        return _resume(resume, quiet, **overrides)
    if callable(overrides.get("env")):
        factory = overrides["env"]
        overrides["env"] = register_env(id_for(factory), factory)
    path, config = None, {}
    if isinstance(config_or_path, dict):
        config = config_or_path
    elif config_or_path is not None:
        path = os.fspath(config_or_path)
    gymnasium_fallback(overrides.get("env", config.get("env")))
    return _limbic.train(path, json.dumps(config), json.dumps(overrides), None if out is None else os.fspath(out),
                         force, quiet)


def _resume(run_dir, quiet, env=None, total_steps=None, **rest):
    if rest:
        raise TypeError(f"train(resume=...) takes only env= and total_steps=, got {sorted(rest)}")
    _run_env(run_dir, env)
    return _limbic.resume(os.fspath(run_dir), total_steps, quiet)


def evaluate(run_dir, episodes=None, seed=None, checkpoint="best", deterministic=True, env=None):
    """Evaluates a run's checkpoint as ``limbic eval`` does (episode i resets with ``seed + i``;
    the run's evaluation episodes and seed by default) and returns the summary as a dict
    (``mean_return``, ``std_return``, ``ci95``, ``episodes``, ...). ``env``: the factory of the
    run's Python env, when this process has not registered it."""
    _run_env(run_dir, env)
    return json.loads(_limbic.evaluate(os.fspath(run_dir), episodes, seed, checkpoint, deterministic))


class Agent:
    """A run's trained policy: ``act(obs, state=None) -> (action, state)`` for one observation
    of the run's environment (as ``limbic.make(config["env"])`` gives it)."""

    def __init__(self, run_dir, checkpoint="best", seed=0, env=None):
        _run_env(run_dir, env)
        self._agent = _limbic.Agent(os.fspath(run_dir), checkpoint, seed)
        self.config = json.loads(self._agent.config_json)
        self.checkpoint = self._agent.checkpoint
        self.observation_space = from_json(self._agent.observation_space_json)
        self.action_space = from_json(self._agent.action_space_json)

    def act(self, obs, state=None, deterministic=True):
        """The action for ``obs``, and the state to pass with the next observation of the same
        episode (None at an episode's start; None throughout for feed-forward policies)."""
        return self._agent.act(obs, state, deterministic)


def load(run_dir, checkpoint="best", seed=0, env=None):
    """The agent of a run directory: checkpoint ``best`` (falling back to the latest),
    ``latest``, or a checkpoint's name; ``seed`` seeds its sampling when not deterministic.
    ``env``: the factory of the run's Python env, when this process has not registered it."""
    return Agent(run_dir, checkpoint, seed, env)


def _run_env(run_dir, factory=None):
    """Registers ``factory`` under the run's env id, or, without one, ``gymnasium.make`` if only
    Gymnasium has the id."""
    if factory is not None and not callable(factory):
        raise TypeError(f"env must be a callable returning a gymnasium.Env, got {factory!r}")
    try:
        with open(os.path.join(os.fspath(run_dir), "config.json")) as f:
            env = json.load(f).get("env")
    except (OSError, ValueError):
        return  # the native side says what is wrong with the run directory
    if factory is not None:
        register_env(env, factory)
    else:
        gymnasium_fallback(env)

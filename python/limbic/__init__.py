"""limbic from Python: limbic's environments as Gymnasium environments, run in native code.

- ``limbic.make(id, render_mode=None, **kwargs)``: a ``gymnasium.Env``;
- ``limbic.make_vec(id, num_envs, autoreset_mode=..., copy=True, threads=1, **kwargs)``: a
  ``gymnasium.vector.VectorEnv`` stepping all sub-environments in one native call;
- ``limbic.ids()``: every registered id;
- ``limbic.train(config_or_path, **overrides)`` -> run directory (``resume=run_dir`` continues
  one), ``limbic.load(run_dir)`` -> an agent with ``act(obs, state=None)``,
  ``limbic.evaluate(run_dir)`` -> the evaluation summary (``env=factory`` for a run on a Python env);
- ``limbic.register_env(id, factory)``: a user's ``gymnasium.Env`` (Box/Discrete spaces) as an
  environment limbic's learners train on (``limbic.train(config, env=factory)`` does it for you);
- ``limbic.rewards.register(name, cls)``: a Python class as a reward signal (``limbic.rewards``);
- ``limbic.errors``: the exceptions (Gymnasium's where it has one) with the Rust error's message.
"""

from limbic import datasets, errors, rewards
from limbic._limbic import ids
from limbic.env import LimbicEnv
from limbic.envs import register_env
from limbic.training import Agent, evaluate, load, train
from limbic.vector import LimbicVectorEnv

__all__ = ["make", "make_vec", "ids", "errors", "rewards", "datasets", "register_env", "train", "load", "evaluate", "Agent",
           "LimbicEnv", "LimbicVectorEnv"]


def make(id, render_mode=None, **kwargs):
    """The environment registered as ``id``, like ``gymnasium.make(id, **kwargs)`` (the id's
    time limit included; ``max_episode_steps=`` overrides it)."""
    return LimbicEnv(id, render_mode=render_mode, **kwargs)


def make_vec(id, num_envs=1, autoreset_mode="NextStep", copy=True, threads=1, **kwargs):
    """``num_envs`` copies of ``id`` as one vector env, like
    ``gymnasium.make_vec(id, num_envs, vectorization_mode="sync")``."""
    return LimbicVectorEnv(id, num_envs, autoreset_mode=autoreset_mode, copy=copy, threads=threads, **kwargs)

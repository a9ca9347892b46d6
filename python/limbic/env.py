"""``limbic.make``: one limbic environment as a ``gymnasium.Env``."""

import json

import gymnasium as gym

from limbic import _limbic
from limbic.spaces import from_json


class LimbicEnv(gym.Env):
    """A registered limbic environment, stepped in native code, with Gymnasium 1.x semantics.

    Observations are numpy arrays (dicts, tuples, ints and strings for the structured spaces),
    exactly as the Python environment of the same id gives them from the same seed.
    """

    def __init__(self, id, render_mode=None, **kwargs):
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        self._env = _limbic.RustEnv(id, json.dumps(kwargs))
        self.id = id
        self.render_mode = render_mode
        self.metadata = {"render_modes": ["rgb_array"], "render_fps": self._env.render_fps}
        self.observation_space = from_json(self._env.observation_space_json)
        self.action_space = from_json(self._env.action_space_json)

    def reset(self, *, seed=None, options=None):
        # Seeds `self.np_random` as Gymnasium does; the environment's own generator is limbic's
        # numpy-exact one, seeded with the same number.
        super().reset(seed=seed)
        return self._env.reset(seed, json.dumps(options) if options else "{}")

    def step(self, action):
        return self._env.step(action)

    def render(self):
        return self._env.render() if self.render_mode == "rgb_array" else None

    def __repr__(self):
        return f"<LimbicEnv<{self.id}>>"

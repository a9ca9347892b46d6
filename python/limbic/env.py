"""``limbic.make``: one limbic environment as a ``gymnasium.Env``."""

import json

import gymnasium as gym

from limbic import _limbic
from limbic.errors import UnsupportedMode
from limbic.spaces import from_json


class LimbicEnv(gym.Env):
    """A registered limbic environment, stepped in native code, with Gymnasium 1.x semantics.

    Observations are numpy arrays (dicts, tuples, ints and strings for the structured spaces),
    exactly as the Python environment of the same id gives them from the same seed.
    """

    def __init__(self, id, render_mode=None, **kwargs):
        self._env = _limbic.RustEnv(id, json.dumps(kwargs))
        self.metadata = {
            "render_modes": ["rgb_array"] if self._env.renders else [],
            "render_fps": self._env.render_fps,
        }
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            modes = self.metadata["render_modes"] or "none"
            raise UnsupportedMode(f"{id} renders in modes {modes}, not {render_mode!r}")
        self.id = id
        self.render_mode = render_mode
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

    def __str__(self):
        return f"<LimbicEnv<{self.id}>>"

    __repr__ = __str__

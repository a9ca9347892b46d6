"""``limbic.make_vec``: N limbic environments as one ``gymnasium.vector.VectorEnv``.

Every call steps all sub-environments in native code, which writes observations, rewards and
flags into numpy arrays in one copy each; the batched observation is read from those arrays
(a reshape for float32 boxes, a cast or an argmax of the one-hot columns for other spaces).
"""

import json

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space, iterate

from limbic import _limbic
from limbic.spaces import from_json

_MODES = {
    AutoresetMode.NEXT_STEP: "next_step",
    AutoresetMode.SAME_STEP: "same_step",
    AutoresetMode.DISABLED: "disabled",
}


class LimbicVectorEnv(VectorEnv):
    """``num_envs`` copies of a registered limbic environment, stepped together.

    Like ``gymnasium.make_vec(id, num_envs, vectorization_mode="sync")``: ``reset(seed=s)``
    seeds sub-env i with ``s + i``; ``autoreset_mode`` has Gymnasium's meaning. The observation
    is the batch of the sub-env's flat-encodable part (MiniGrid's without its text mission).
    ``copy=False`` hands out the env's own arrays, overwritten by the next call. ``threads``
    steps chunks of sub-envs on that many threads (worth it for slow envs or thousands of fast
    ones).
    """

    def __init__(self, id, num_envs, autoreset_mode=AutoresetMode.NEXT_STEP, copy=True, threads=1, **kwargs):
        mode = AutoresetMode(autoreset_mode)
        self._envs = _limbic.RustVecEnv(id, num_envs, json.dumps(kwargs), _MODES[mode], threads)
        self.id = id
        self.num_envs = num_envs
        self.copy = copy
        self.metadata = {"autoreset_mode": mode, "render_modes": []}
        self._same_step = mode == AutoresetMode.SAME_STEP
        self.single_observation_space = from_json(self._envs.flat_space_json)
        self.single_action_space = from_json(self._envs.action_space_json)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self._obs, self._rewards, terminated, truncated, self._final_obs, final_mask = self._envs.buffers()
        self._terminated, self._truncated, self._final_mask = (a.view(bool) for a in (terminated, truncated, final_mask))
        self._read_obs = _batch_reader(self.single_observation_space, 0)[0]
        # Discrete and float32 Box actions go to native code as one array; others one by one.
        space = self.single_action_space
        self._array_actions = isinstance(space, spaces.Discrete) or (
            isinstance(space, spaces.Box) and space.dtype == np.float32
        )

    def reset(self, *, seed=None, options=None):
        if seed is not None and not isinstance(seed, (int, np.integer)):
            raise TypeError(f"seed must be an int or None (sub-env i gets seed + i), got {seed!r}")
        super().reset(seed=seed)
        options = dict(options or {})
        mask = options.pop("reset_mask", None)
        mask = None if mask is None else np.asarray(mask, dtype=bool).tolist()
        self._envs.reset(seed, json.dumps(options), mask)
        return self._observation(self._obs), {}

    def step(self, actions):
        if self._array_actions:
            self._envs.step(actions)
        else:
            self._envs.step(list(iterate(self.action_space, actions)))
        infos = {}
        if self._same_step and self._final_mask.any():
            infos = self._final_infos()
        return (
            self._observation(self._obs),
            self._out(self._rewards),
            self._out(self._terminated),
            self._out(self._truncated),
            infos,
        )

    def _observation(self, flat):
        obs = self._read_obs(flat)
        return _copied(obs) if self.copy else obs

    def _out(self, array):
        return array.copy() if self.copy else array

    def _final_infos(self):
        """SAME_STEP's ``final_obs``: an object array of the terminal observations, as Gymnasium's."""
        batched = self._read_obs(self._final_obs)
        mask = self._final_mask.copy()
        final_obs = np.full(self.num_envs, None, dtype=object)
        for i in np.flatnonzero(mask):
            final_obs[i] = _copied(_row(batched, i))
        return {"final_obs": final_obs, "_final_obs": mask, "final_info": {}, "_final_info": mask.copy()}

    def __repr__(self):
        return f"LimbicVectorEnv({self.id}, num_envs={self.num_envs})"


def _batch_reader(space, offset):
    """A function from the ``[N, D]`` flat rows to the batched observation of ``space``, whose
    encoding starts at column ``offset``; and the column after it."""
    if isinstance(space, spaces.Box):
        end = offset + int(np.prod(space.shape))
        shape, dtype = space.shape, space.dtype
        if dtype == np.float32:
            return (lambda flat: flat[:, offset:end].reshape(-1, *shape)), end
        return (lambda flat: flat[:, offset:end].reshape(-1, *shape).astype(dtype)), end
    if isinstance(space, spaces.Discrete):
        end, start = offset + int(space.n), int(space.start)
        return (lambda flat: flat[:, offset:end].argmax(axis=1).astype(np.int64) + start), end
    if isinstance(space, spaces.MultiDiscrete):
        bounds = np.cumsum([offset, *space.nvec.tolist()])
        starts = space.start

        def read(flat):
            columns = [flat[:, a:b].argmax(axis=1) for a, b in zip(bounds[:-1], bounds[1:])]
            return np.stack(columns, axis=1).astype(np.int64) + starts

        return read, int(bounds[-1])
    if isinstance(space, spaces.MultiBinary):
        end, shape = offset + int(np.prod(space.shape)), space.shape
        return (lambda flat: flat[:, offset:end].reshape(-1, *shape).astype(np.int8)), end
    if isinstance(space, (spaces.Dict, spaces.Tuple)):
        items = space.spaces.items() if isinstance(space, spaces.Dict) else enumerate(space.spaces)
        readers = []
        for key, sub in items:
            read, offset = _batch_reader(sub, offset)
            readers.append((key, read))
        if isinstance(space, spaces.Dict):
            return (lambda flat: {key: read(flat) for key, read in readers}), offset
        return (lambda flat: tuple(read(flat) for _, read in readers)), offset
    raise TypeError(f"{space} has no flat encoding")


def _copied(obs):
    if isinstance(obs, dict):
        return {key: _copied(value) for key, value in obs.items()}
    if isinstance(obs, tuple):
        return tuple(_copied(value) for value in obs)
    return obs.copy() if obs.base is not None else obs


def _row(batched, i):
    if isinstance(batched, dict):
        return {key: _row(value, i) for key, value in batched.items()}
    if isinstance(batched, tuple):
        return tuple(_row(value, i) for value in batched)
    return batched[i]

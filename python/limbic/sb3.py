"""``limbic.sb3.LimbicVecEnv``: a limbic vector env as a Stable-Baselines3 ``VecEnv``.

SB3 takes ``gymnasium.Env``s (``limbic.make`` works as it is) and its own ``VecEnv``s, not
Gymnasium's vector envs; this class puts ``limbic.make_vec`` behind SB3's interface, so
``PPO("MlpPolicy", LimbicVecEnv("CartPole-v1", 8))`` steps all envs in one native call. SB3
resets finished envs within the step and keeps the terminal observation in the info, which is
Gymnasium's SAME_STEP autoreset. Needs stable-baselines3 (not a dependency of limbic).
"""

import numpy as np
from stable_baselines3.common.vec_env import VecEnv

from limbic.vector import LimbicVectorEnv


class LimbicVecEnv(VecEnv):
    def __init__(self, id, num_envs, **kwargs):
        self.envs = LimbicVectorEnv(id, num_envs, autoreset_mode="SameStep", **kwargs)
        super().__init__(num_envs, self.envs.single_observation_space, self.envs.single_action_space)
        self._actions = None

    def reset(self):
        # `VecEnv.seed(s)` asks for seed s + i in sub-env i, as limbic seeds them.
        obs, _ = self.envs.reset(seed=self._seeds[0])
        self._reset_seeds()
        return obs

    def step_async(self, actions):
        self._actions = actions

    def step_wait(self):
        obs, rewards, terminated, truncated, infos = self.envs.step(self._actions)
        dones = terminated | truncated
        sb3_infos = [{} for _ in range(self.num_envs)]
        for i in np.flatnonzero(dones):
            sb3_infos[i]["terminal_observation"] = infos["final_obs"][i]
            sb3_infos[i]["TimeLimit.truncated"] = bool(truncated[i] and not terminated[i])
        return obs, rewards.astype(np.float32), dones, sb3_infos

    def close(self):
        self.envs.close()

    def get_attr(self, attr_name, indices=None):
        return [getattr(self.envs, attr_name)] * len(self._get_indices(indices))

    def set_attr(self, attr_name, value, indices=None):
        raise NotImplementedError("limbic sub-environments have no attributes to set")

    def env_method(self, method_name, *method_args, indices=None, **method_kwargs):
        raise NotImplementedError("limbic sub-environments are stepped natively; they have no Python methods")

    def env_is_wrapped(self, wrapper_class, indices=None):
        return [False] * len(self._get_indices(indices))

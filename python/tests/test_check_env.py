"""Every registered id passes Gymnasium's own environment checker, rendering included."""

import warnings

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

import limbic


@pytest.mark.parametrize("env_id", limbic.ids())
def test_check_env(env_id):
    renders = "rgb_array" in limbic.make(env_id).metadata["render_modes"]
    env = limbic.make(env_id, render_mode="rgb_array" if renders else None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_env(env)
    frame = env.render()
    if frame is not None:
        assert frame.ndim == 3 and frame.shape[2] == 3 and frame.dtype.name == "uint8"


def test_a_render_mode_the_env_lacks_is_refused():
    with pytest.raises(gym.error.UnsupportedMode, match="popgym-RepeatFirstEasy-v0"):
        limbic.make("popgym-RepeatFirstEasy-v0", render_mode="rgb_array")
    with pytest.raises(gym.error.UnsupportedMode, match="human"):
        limbic.make("CartPole-v1", render_mode="human")


def test_every_family_is_registered():
    ids = limbic.ids()
    for prefix in ["CartPole-v1", "MiniGrid-", "BabyAI-", "popgym-", "Fourrooms-v0"]:
        assert any(i.startswith(prefix) for i in ids), prefix

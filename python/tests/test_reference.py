"""The same trajectories as the Python environments (gymnasium.make, MiniGrid) from the same
seeds: observations, rewards and flags equal at every step, episodes reset without a seed."""

import gymnasium as gym
import minigrid  # noqa: F401  (registers the MiniGrid and BabyAI ids)
import numpy as np
import pytest

import limbic

STEPS = 120
REFERENCE_IDS = [i for i in limbic.ids() if i in gym.registry]


def assert_same(ours, theirs, where):
    if isinstance(theirs, dict):
        assert ours.keys() == theirs.keys(), where
        for key in theirs:
            assert_same(ours[key], theirs[key], f"{where}[{key}]")
    elif isinstance(theirs, str):
        assert ours == theirs, where
    else:
        ours, theirs = np.asarray(ours), np.asarray(theirs)
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape, f"{where}: {ours.dtype}{ours.shape} vs {theirs.dtype}{theirs.shape}"
        np.testing.assert_array_equal(ours, theirs, err_msg=where)


def assert_same_space(ours, theirs):
    """Equal spaces, except that MiniGrid's mission space (a Python callable) is a Text here."""
    if isinstance(theirs, gym.spaces.Dict) and "mission" in theirs.spaces:
        assert ours.keys() == theirs.keys()
        assert isinstance(ours["mission"], gym.spaces.Text)
        for key in theirs.keys() - {"mission"}:
            assert ours[key] == theirs[key], key
    else:
        assert ours == theirs


def test_the_reference_ids_cover_every_family():
    assert len(REFERENCE_IDS) > 150
    for prefix in ["CartPole", "MountainCar", "Acrobot", "Pendulum", "MiniGrid-", "BabyAI-"]:
        assert any(i.startswith(prefix) for i in REFERENCE_IDS), prefix


@pytest.mark.parametrize("env_id", REFERENCE_IDS)
def test_same_trajectory_as_gymnasium(env_id):
    ours, theirs = limbic.make(env_id), gym.make(env_id)
    assert_same_space(ours.observation_space, theirs.observation_space)
    assert ours.action_space == theirs.action_space
    theirs.action_space.seed(7)
    obs, _ = ours.reset(seed=3)
    ref, _ = theirs.reset(seed=3)
    assert_same(obs, ref, f"{env_id} reset")
    for t in range(STEPS):
        action = theirs.action_space.sample()
        obs, reward, terminated, truncated, _ = ours.step(action)
        ref, ref_reward, ref_terminated, ref_truncated, _ = theirs.step(action)
        assert_same(obs, ref, f"{env_id} step {t}")
        assert (reward, terminated, truncated) == (ref_reward, ref_terminated, ref_truncated), f"{env_id} step {t}"
        if terminated or truncated:
            assert_same(ours.reset()[0], theirs.reset()[0], f"{env_id} reset after step {t}")

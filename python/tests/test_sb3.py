"""limbic.sb3.LimbicVecEnv steps like SB3's DummyVecEnv over limbic.make envs (runs where
stable-baselines3 is installed; run_tests.sh does not install it)."""

import numpy as np
import pytest

sb3 = pytest.importorskip("stable_baselines3")

import limbic  # noqa: E402
from limbic.sb3 import LimbicVecEnv  # noqa: E402
from stable_baselines3.common.vec_env import DummyVecEnv  # noqa: E402


def test_same_steps_as_dummy_vec_env():
    n = 4
    ours = LimbicVecEnv("CartPole-v1", n)
    theirs = DummyVecEnv([lambda: limbic.make("CartPole-v1") for _ in range(n)])
    ours.seed(5)
    theirs.seed(5)
    np.testing.assert_array_equal(ours.reset(), theirs.reset())
    rng = np.random.default_rng(0)
    ended = 0
    for t in range(600):
        actions = rng.integers(0, 2, size=n)
        obs, rewards, dones, infos = ours.step(actions)
        ref, ref_rewards, ref_dones, ref_infos = theirs.step(actions)
        np.testing.assert_array_equal(obs, ref, err_msg=f"step {t}")
        np.testing.assert_array_equal(rewards, ref_rewards)
        np.testing.assert_array_equal(dones, ref_dones)
        for i in np.flatnonzero(dones):
            np.testing.assert_array_equal(infos[i]["terminal_observation"], ref_infos[i]["terminal_observation"])
            assert infos[i]["TimeLimit.truncated"] == ref_infos[i]["TimeLimit.truncated"]
            ended += 1
    assert ended > 0

"""make_vec against Gymnasium's SyncVectorEnv over the Python envs: the same batches from the
same seed in every autoreset mode, and clear errors for bad actions."""

import gymnasium as gym
import minigrid  # noqa: F401  (registers the MiniGrid ids)
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

import limbic

N, STEPS = 6, 1001  # past every time limit (MountainCarContinuous: 999 steps)


def reference(env_id, mode):
    return gym.make_vec(env_id, N, vectorization_mode="sync", vector_kwargs={"autoreset_mode": mode})


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
@pytest.mark.parametrize("env_id", ["CartPole-v1", "Acrobot-v1", "Pendulum-v1", "MountainCarContinuous-v0"])
def test_same_batches_as_sync_vector_env(env_id, mode):
    ours, theirs = limbic.make_vec(env_id, N, autoreset_mode=mode), reference(env_id, mode)
    assert ours.single_observation_space == theirs.single_observation_space
    assert ours.observation_space == theirs.observation_space
    assert ours.action_space == theirs.action_space
    obs, _ = ours.reset(seed=11)
    ref, _ = theirs.reset(seed=11)
    np.testing.assert_array_equal(obs, ref)
    theirs.action_space.seed(5)
    ended = 0
    for t in range(STEPS):
        actions = theirs.action_space.sample()
        obs, rewards, terminated, truncated, infos = ours.step(actions)
        ref, ref_rewards, ref_terminated, ref_truncated, ref_infos = theirs.step(actions)
        np.testing.assert_array_equal(obs, ref, err_msg=f"step {t}")
        np.testing.assert_array_equal(rewards, ref_rewards, err_msg=f"step {t}")
        np.testing.assert_array_equal(terminated, ref_terminated, err_msg=f"step {t}")
        np.testing.assert_array_equal(truncated, ref_truncated, err_msg=f"step {t}")
        assert ("final_obs" in infos) == ("final_obs" in ref_infos), f"step {t}"
        if "final_obs" in ref_infos:
            np.testing.assert_array_equal(infos["_final_obs"], ref_infos["_final_obs"])
            for i in np.flatnonzero(ref_infos["_final_obs"]):
                np.testing.assert_array_equal(infos["final_obs"][i], ref_infos["final_obs"][i])
        ended += int(np.sum(terminated | truncated))
    assert ended > 0


def test_disabled_autoreset_resets_only_the_masked_envs():
    mode = AutoresetMode.DISABLED
    ours, theirs = limbic.make_vec("CartPole-v1", N, autoreset_mode=mode), reference("CartPole-v1", mode)
    ours.reset(seed=2)
    theirs.reset(seed=2)
    for t in range(200):
        actions = np.zeros(N, dtype=np.int64)  # pushing left topples every pole
        obs, _, terminated, truncated, _ = ours.step(actions)
        ref, _, ref_terminated, ref_truncated, _ = theirs.step(actions)
        np.testing.assert_array_equal(obs, ref)
        done = terminated | truncated
        if done.any():
            obs, _ = ours.reset(options={"reset_mask": done})
            ref, _ = theirs.reset(options={"reset_mask": done})
            np.testing.assert_array_equal(obs, ref)
            return
    pytest.fail("no episode ended")


def test_minigrid_batches_equal_the_single_envs():
    envs = limbic.make_vec("MiniGrid-DoorKey-5x5-v0", 3)
    singles = [gym.make("MiniGrid-DoorKey-5x5-v0") for _ in range(3)]
    obs, _ = envs.reset(seed=4)
    assert set(obs) == {"direction", "image"} and obs["image"].dtype == np.uint8
    rng = np.random.default_rng(0)
    refs = [env.reset(seed=4 + i)[0] for i, env in enumerate(singles)]
    for t in range(40):
        for i, ref in enumerate(refs):
            np.testing.assert_array_equal(obs["image"][i], ref["image"], err_msg=f"step {t} env {i}")
            assert obs["direction"][i] == ref["direction"]
        actions = rng.integers(0, 7, size=3)
        obs, *_ = envs.step(actions)
        refs = [env.step(a)[0] for env, a in zip(singles, actions)]


def test_copy_false_hands_out_the_same_arrays():
    envs = limbic.make_vec("CartPole-v1", 4, copy=False)
    first, _ = envs.reset(seed=0)
    second, *_ = envs.step(np.ones(4, dtype=np.int64))
    assert np.shares_memory(first, second)
    copied = limbic.make_vec("CartPole-v1", 4)
    first, _ = copied.reset(seed=0)
    second, *_ = copied.step(np.ones(4, dtype=np.int64))
    assert not np.shares_memory(first, second)


def test_bad_vector_actions_raise_clearly():
    envs = limbic.make_vec("CartPole-v1", 4)
    envs.reset(seed=0)
    with pytest.raises(TypeError, match="integer"):
        envs.step(np.full(4, 0.5))
    with pytest.raises(ValueError, match=r"shape \[4\]"):
        envs.step(np.zeros(3, dtype=np.int64))
    with pytest.raises(gym.error.InvalidAction, match="sub-environment 2"):
        envs.step(np.array([0, 1, 2, 0]))
    pendulums = limbic.make_vec("Pendulum-v1", 2)
    pendulums.reset(seed=0)
    with pytest.raises(ValueError, match=r"shape \[2, 1\]"):
        pendulums.step(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="AutoresetMode"):
        limbic.make_vec("CartPole-v1", 2, autoreset_mode="sometimes")

"""Bad input from Python raises an exception with the Rust message, of Gymnasium's class where
Gymnasium has one."""

import gymnasium as gym
import numpy as np
import pytest

import limbic


def test_unknown_id_is_gymnasiums_name_not_found():
    with pytest.raises(gym.error.NameNotFound, match="did you mean CartPole-v0 or CartPole-v1"):
        limbic.make("CartPole-v9")
    with pytest.raises(gym.error.NameNotFound):
        limbic.make_vec("CartPole-v9", 2)


def test_bad_kwargs():
    with pytest.raises(TypeError, match="no keyword argument `gravity`; valid keys: sutton_barto_reward"):
        limbic.make("CartPole-v1", gravity=3)
    with pytest.raises(ValueError, match="max_episode_steps"):
        limbic.make("CartPole-v1", max_episode_steps=-1)
    assert limbic.make("CartPole-v1", max_episode_steps=7).reset(seed=0)


@pytest.mark.parametrize("action", [0.5, np.float64(1.0), True, np.array([1]), "1", None])
def test_a_discrete_action_must_be_an_integer(action):
    env = limbic.make("CartPole-v1")
    env.reset(seed=0)
    with pytest.raises(TypeError, match=r"action for Discrete\(2\) must be an integer"):
        env.step(action)


def test_integer_actions_of_every_kind_are_taken():
    env = limbic.make("CartPole-v1")
    env.reset(seed=0)
    for action in [1, np.int64(0), np.int32(1), np.array(0), np.uint8(1)]:
        env.step(action)


def test_out_of_range_and_wrong_shape():
    env = limbic.make("CartPole-v1")
    env.reset(seed=0)
    with pytest.raises(gym.error.InvalidAction, match="invalid action 2"):
        env.step(2)
    pendulum = limbic.make("Pendulum-v1")
    pendulum.reset(seed=0)
    with pytest.raises(ValueError, match=r"must have shape \[1\], got shape \[2\]"):
        pendulum.step(np.zeros(2))
    with pytest.raises(TypeError, match="numeric array"):
        pendulum.step(["a"])
    pendulum.step([0.5])  # a list of floats is an array


def test_step_before_reset_and_after_the_end():
    env = limbic.make("CartPole-v1", max_episode_steps=1)
    with pytest.raises(gym.error.ResetNeeded, match="before reset"):
        env.step(0)
    env.reset(seed=0)
    assert env.step(0)[3]  # truncated
    with pytest.raises(gym.error.ResetNeeded, match="after the episode ended"):
        env.step(0)


def test_bad_reset_option():
    env = limbic.make("CartPole-v1")
    with pytest.raises(ValueError, match="low"):
        env.reset(seed=0, options={"low": 1.0, "high": 0.0})

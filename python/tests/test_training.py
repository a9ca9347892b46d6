"""limbic.train / load / evaluate: a short PPO run on CartPole, its agent acting in limbic.make's
env, and the errors of a bad config."""

import json

import numpy as np
import pytest

import limbic


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "cartpole"
    config = {"env": "CartPole-v1", "algo": "ppo", "seed": 3}
    return limbic.train(config, out=out, total_steps=4096, eval_episodes=3, num_envs=4)


def test_train_writes_a_run_directory(run_dir):
    with open(f"{run_dir}/config.json") as f:
        config = json.load(f)
    assert (config["env"], config["total_steps"], config["num_envs"], config["seed"]) == ("CartPole-v1", 4096, 4, 3)


def test_the_agent_acts_in_the_env(run_dir):
    agent = limbic.load(run_dir)
    assert agent.config["env"] == "CartPole-v1"
    env = limbic.make("CartPole-v1")
    obs, _ = env.reset(seed=0)
    state, total = None, 0.0
    for _ in range(50):
        action, state = agent.act(obs, state)
        assert env.action_space.contains(action) and state is None  # a feed-forward policy
        obs, reward, terminated, truncated, _ = env.step(action)
        total += reward
        if terminated or truncated:
            break
    assert total > 0
    # Deterministic actions depend on the observation only.
    assert agent.act(obs)[0] == agent.act(obs)[0]


def test_evaluate_matches_the_runs_own_evaluation(run_dir):
    with open(f"{run_dir}/eval.json") as f:
        recorded = json.load(f)
    summary = limbic.evaluate(run_dir, episodes=recorded["episodes"], seed=recorded["seed"])
    assert summary["mean_return"] == recorded["mean_return"]
    other = limbic.evaluate(run_dir, episodes=2, seed=100)
    assert other["episodes"] == 2


def test_bad_observation_and_config(run_dir):
    agent = limbic.load(run_dir)
    with pytest.raises(ValueError, match=r"observation of Box.*shape \[4\]"):
        agent.act(np.zeros(3, dtype=np.float32))
    with pytest.raises(limbic.errors.LimbicError, match="learning_rat"):
        limbic.train({"env": "CartPole-v1"}, out=run_dir + "-bad", params={"learning_rat": 1.0})
    with pytest.raises(limbic.errors.LimbicError, match="no_such_field"):
        limbic.train(no_such_field=1, out=run_dir + "-bad")
    with pytest.raises(limbic.errors.LimbicError):
        limbic.load(run_dir + "-missing")

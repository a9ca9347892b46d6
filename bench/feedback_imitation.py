"""The `imitation` library's PreferenceComparisons (1.0.1) with its synthetic (oracle) gatherer,
at the label budgets of bench/feedback_drlhp.sh, on the same env with SB3's PPO at limbic's
preset hyperparameters. Prints one JSON line per run (final true return over 20 episodes).
Fragments are 10 steps (imitation draws fixed-length fragments from episodes at least that
long; CartPole-v1's early episodes are shorter than 25, its default in the docs' examples).

    /work/venvs/imitation/bin/python bench/feedback_imitation.py CartPole-v1 100000 "50 100 200 500" "1 2 3"
"""
import json
import sys
import time

import numpy as np
from imitation.algorithms import preference_comparisons
from imitation.rewards.reward_nets import BasicRewardNet
from imitation.util.networks import RunningNorm
from imitation.util.util import make_vec_env
from stable_baselines3 import PPO
from stable_baselines3.common.evaluation import evaluate_policy
from stable_baselines3.ppo import MlpPolicy


def run(env_id, steps, budget, seed):
    rng = np.random.default_rng(seed)
    venv = make_vec_env(env_id, rng=rng, n_envs=8)
    net = BasicRewardNet(venv.observation_space, venv.action_space, normalize_input_layer=RunningNorm)
    fragmenter = preference_comparisons.RandomFragmenter(warning_threshold=0, rng=rng)
    gatherer = preference_comparisons.SyntheticGatherer(rng=rng)
    trainer = preference_comparisons.BasicRewardTrainer(
        preference_model=preference_comparisons.PreferenceModel(net),
        loss=preference_comparisons.CrossEntropyRewardLoss(),
        epochs=3,
        rng=rng,
    )
    # limbic's CartPole-v1 PPO preset (rl-zoo's).
    agent = PPO(MlpPolicy, venv, seed=seed, n_steps=32, batch_size=256, n_epochs=20, gamma=0.98,
                gae_lambda=0.8, learning_rate=1e-3, ent_coef=0.0, verbose=0)
    generator = preference_comparisons.AgentTrainer(agent, net, venv, rng=rng, exploration_frac=0.05)
    comparisons = preference_comparisons.PreferenceComparisons(
        generator, net, num_iterations=10, fragmenter=fragmenter, preference_gatherer=gatherer,
        reward_trainer=trainer, fragment_length=10, transition_oversampling=1,
        initial_comparison_frac=0.1, allow_variable_horizon=True, initial_epoch_multiplier=4,
    )
    start = time.time()
    comparisons.train(total_timesteps=steps, total_comparisons=budget)
    seconds = time.time() - start
    eval_env = make_vec_env(env_id, rng=np.random.default_rng(10_000 + seed), n_envs=1)
    mean, _ = evaluate_policy(agent.policy, eval_env, n_eval_episodes=20, deterministic=True)
    return {"env": env_id, "lib": "imitation", "labels": budget, "seed": seed, "mean_return": float(mean),
            "seconds": round(seconds, 1), "load": open("/proc/loadavg").read().split()[0]}


if __name__ == "__main__":
    env_id, steps, budgets, seeds = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(), sys.argv[4].split()
    for seed in seeds:
        for budget in budgets:
            print(json.dumps(run(env_id, steps, int(budget), int(seed))), flush=True)

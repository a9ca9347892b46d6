#!/usr/bin/env python3
"""Stable-Baselines3 PPO, default hyperparameters, user code unchanged but for the env line:
on `gym.make("CartPole-v1")` and `limbic.make("CartPole-v1")`, on `make_vec_env` of each with 8
envs, and on `limbic.sb3.LimbicVecEnv` (limbic.make_vec behind SB3's VecEnv). Prints training
steps per second and the mean return of 20 deterministic evaluation episodes (on gym.make, the same
episodes for every setup: identical env dynamics give identical rows).

    /work/venvs/sb3/bin/python bench/sb3_on_limbic.py [--timesteps 50000] [--seed 0]

Needs stable-baselines3 2.9.2 and `limbic` in the same venv (a wheel from `maturin build`).
"""

import argparse
import os
import time

import gymnasium as gym
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.evaluation import evaluate_policy
from stable_baselines3.common.vec_env import VecMonitor

import limbic
from limbic.sb3 import LimbicVecEnv

ID = "CartPole-v1"
SETUPS = {
    "gym.make": lambda: gym.make(ID),
    "limbic.make": lambda: limbic.make(ID),
    "make_vec_env(gym.make, 8)": lambda: make_vec_env(ID, n_envs=8),
    "make_vec_env(limbic.make, 8)": lambda: make_vec_env(lambda: limbic.make(ID), n_envs=8),
    "LimbicVecEnv (limbic.make_vec, 8)": lambda: VecMonitor(LimbicVecEnv(ID, 8)),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--timesteps", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"SB3 PPO on {ID}, {args.timesteps} steps, seed {args.seed}; load {os.getloadavg()}")
    print(f"{'env':<36} {'steps/s':>9} {'eval return':>12}")
    for name, make in SETUPS.items():
        model = PPO("MlpPolicy", make(), seed=args.seed, device="cpu", verbose=0)
        start = time.perf_counter()
        model.learn(total_timesteps=args.timesteps)
        rate = args.timesteps / (time.perf_counter() - start)
        evaluation = gym.make(ID)
        evaluation.reset(seed=1000)  # the same 20 episodes for every setup
        mean, std = evaluate_policy(model, evaluation, n_eval_episodes=20, deterministic=True, warn=False)
        print(f"{name:<36} {rate:>9,.0f} {mean:>7.1f} ± {std:.1f}", flush=True)
    print(f"load after {os.getloadavg()}")


if __name__ == "__main__":
    main()

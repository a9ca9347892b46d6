#!/usr/bin/env python3
"""Cost per env step of training on a user's Python env: limbic's PPO on its native CartPole-v1,
limbic's PPO on Gymnasium's CartPole-v1 through `limbic.train(config, env=factory)` (stepped from
Rust, one Python call per sub-env step), and SB3's PPO on the same Gymnasium env (DummyVecEnv).

For scale, the Gymnasium env alone stepped in a Python loop (the part no binding can remove).

Same PPO hyperparameters on every side (8 envs, n_steps 128, batch 256, 4 epochs, 64x64 tanh MLP
as SB3's default), no evaluation during training; wall-clock seconds for `--steps` env steps.

    python bench/python_env_cost.py --side limbic [--steps 50000]       # venv with limbic
    /work/venvs/sb3/bin/python bench/python_env_cost.py --side sb3      # venv with SB3 2.9.2

Run both in one sitting and note `uptime`.
"""

import argparse
import os
import tempfile
import time

import gymnasium as gym

ENVS, N_STEPS, BATCH, EPOCHS = 8, 128, 256, 4


def gym_cartpole():
    return gym.make("CartPole-v1")


def limbic_side(steps, seed):
    import limbic

    config = {"algo": "ppo", "seed": seed, "total_steps": steps, "num_envs": ENVS, "eval_episodes": 1,
              "eval_every": 0, "params": {  # SB3's PPO defaults, so both sides compute the same update
                  "n_steps": N_STEPS, "batch_size": BATCH, "n_epochs": EPOCHS, "learning_rate": 3e-4,
                  "gamma": 0.99, "gae_lambda": 0.95, "net_arch": [64, 64], "activation": "tanh",
                  "normalize_obs": False, "normalize_reward": False, "anneal_lr": False, "anneal_clip": False}}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, env in [("limbic PPO, native CartPole-v1", "CartPole-v1"),
                          ("limbic PPO, Gymnasium CartPole-v1 via env=factory", gym_cartpole)]:
            start = time.perf_counter()
            limbic.train(config, env=env, out=os.path.join(tmp, name.split()[-1].replace("=", "_")))
            rows.append((name, time.perf_counter() - start))
    return rows


def python_loop(steps, seed):
    """The Python env alone: 8 Gymnasium CartPoles stepped in a Python loop, random actions."""
    import numpy as np

    envs = [gym_cartpole() for _ in range(ENVS)]
    for i, env in enumerate(envs):
        env.reset(seed=seed + i)
    actions = np.random.default_rng(seed).integers(0, 2, size=steps)
    start = time.perf_counter()
    for k in range(0, steps, ENVS):
        for i, env in enumerate(envs):
            _, _, terminated, truncated, _ = env.step(int(actions[k + i]))
            if terminated or truncated:
                env.reset()
    return [("Gymnasium CartPole-v1 alone, stepped in a Python loop (no learning)", time.perf_counter() - start)]


def sb3_side(steps, seed):
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env

    envs = make_vec_env(gym_cartpole, n_envs=ENVS, seed=seed)
    model = PPO("MlpPolicy", envs, n_steps=N_STEPS, batch_size=BATCH, n_epochs=EPOCHS, seed=seed, device="cpu")
    start = time.perf_counter()
    model.learn(total_timesteps=steps)
    return [("SB3 2.9.2 PPO, Gymnasium CartPole-v1 (DummyVecEnv)", time.perf_counter() - start)]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--side", choices=["limbic", "sb3"], required=True)
    parser.add_argument("--steps", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows = (limbic_side if args.side == "limbic" else sb3_side)(args.steps, args.seed)
    if args.side == "limbic":
        rows += python_loop(args.steps, args.seed)
    print(f"load: {os.getloadavg()[0]:.2f}")
    print("| run | steps | seconds | env steps/s | µs per env step |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, seconds in rows:
        print(f"| {name} | {args.steps} | {seconds:.1f} | {args.steps / seconds:,.0f} | {1e6 * seconds / args.steps:.1f} |")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Recurrent PPO on CartPoleNoVel-v1, limbic against SB3-contrib's RecurrentPPO, side by side.

    /work/venvs/sb3/bin/python bench/recurrent_ppo_vs_sb3.py [--steps 30000] [--seeds 0 1 2 3 4]
        [--episodes 50] [--n-envs 16] [--n-steps 64] [--gamma 0.99] [--gae-lambda 0.95] [--limbic PATH]
        [--only limbic|sb3|feedforward] [--json FILE]

CartPoleNoVel-v1 is rl-zoo3's: CartPole-v1 with observation entries 1 and 3 (the velocities)
multiplied by 0 (`MaskVelocityWrapper`), so a policy must infer velocity from the positions it
remembers. Both sides train from scratch for `--steps` env steps per seed and are scored on their
final policy: `--episodes` deterministic episodes, episode i reset with seed 7_000_000 + i, the
recurrent state carried through each episode and reset between them. Both sides take rl-zoo3
2.9.2's `ppo_lstm.yml` values for CartPoleNoVel-v1 (n_steps 32, batch 256, 20 epochs, lr and
clip linearly annealed from 1e-3 and 0.2, ent 0, observation and reward normalization, LSTM 64,
ortho_init False, ReLU, [64] heads) but for the number of envs `--n-envs` (rl-zoo: 8), the steps
per env per rollout `--n-steps` (rl-zoo: 32), `--gamma` and `--gae-lambda` (rl-zoo: 0.98 and 0.8);
the defaults are limbic's preset.

- limbic: `limbic train --env CartPoleNoVel-v1 --steps N --seed S --set num_envs=E --set
  params.n_steps=T --set params.gamma=G --set params.gae_lambda=L` (the embedded preset: one LSTM for actor and critic)
  then `limbic eval --episodes E --seed 7000000 --json`. `--only feedforward` trains the same
  without memory (`--set policy.memory=null`).
- SB3: `sb3_contrib.RecurrentPPO("MlpLstmPolicy")` with those values (a critic LSTM of its own,
  its default); torch on one thread.
- Speed: env steps per second of training (limbic: from metrics.jsonl, rollout + learning;
  SB3: `learn()` wall time), and CPU seconds of the whole training process.
Runs alternate limbic and SB3 seed by seed, so background load hits both alike.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LIMBIC = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "release" / "limbic"
EVAL_SEED = 7_000_000


def run_limbic(limbic: Path, steps: int, seed: int, episodes: int, args: argparse.Namespace, memory: bool) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "run"
        cmd = [str(limbic), "train", "--env", "CartPoleNoVel-v1", "--steps", str(steps), "--seed", str(seed),
               "--out", str(run), "--quiet", "--set", "eval_every=0", "--set", "checkpoint_every=0",
               "--set", f"num_envs={args.n_envs}", "--set", f"params.gamma={args.gamma}",
               "--set", f"params.gae_lambda={args.gae_lambda}", "--set", f"params.n_steps={args.n_steps}"]
        if not memory:
            cmd += ["--set", "policy.memory=null"]
        env = dict(os.environ, RAYON_NUM_THREADS="1")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.time()
        subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
        wall = time.time() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        lines = [json.loads(l) for l in (run / "metrics.jsonl").read_text().splitlines()]
        steps_before = [0] + [l["env_steps"] for l in lines[:-1]]
        train_s = sum((l["env_steps"] - b) / l["sps"] for l, b in zip(lines, steps_before) if l.get("sps"))
        done = subprocess.run([str(limbic), "eval", "--run", str(run), "--checkpoint", "latest", "--episodes",
                               str(episodes), "--seed", str(EVAL_SEED), "--json"],
                              check=True, capture_output=True, text=True, env=env)
        summary = json.loads(done.stdout)
    return {"mean": summary["mean_return"], "train_s": train_s, "wall_s": wall, "cpu_s": cpu,
            "sps": steps / train_s if train_s > 0 else float("nan")}


def masked_cartpole():
    import gymnasium as gym
    import numpy as np

    class MaskVelocity(gym.ObservationWrapper):
        """rl-zoo3's MaskVelocityWrapper for CartPole: entries 1 and 3 times 0."""

        def __init__(self, env):
            super().__init__(env)
            self.mask = np.array([1.0, 0.0, 1.0, 0.0], dtype=np.float32)

        def observation(self, obs):
            return obs * self.mask

    return MaskVelocity(gym.make("CartPole-v1"))


def run_sb3(steps: int, seed: int, episodes: int, args: argparse.Namespace) -> dict:
    import numpy as np
    import torch
    from sb3_contrib import RecurrentPPO
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import VecNormalize

    torch.set_num_threads(1)
    start_cpu = time.process_time()
    venv = VecNormalize(make_vec_env(masked_cartpole, n_envs=args.n_envs, seed=seed), gamma=args.gamma)
    lin = lambda initial: (lambda progress: progress * initial)
    model = RecurrentPPO(
        "MlpLstmPolicy", venv, n_steps=args.n_steps, batch_size=256, n_epochs=20, gamma=args.gamma, gae_lambda=args.gae_lambda,
        learning_rate=lin(1e-3), clip_range=lin(0.2), ent_coef=0.0, seed=seed, device="cpu",
        policy_kwargs=dict(ortho_init=False, activation_fn=torch.nn.ReLU, lstm_hidden_size=64,
                           enable_critic_lstm=True, net_arch=dict(pi=[64], vf=[64])),
    )
    start = time.time()
    model.learn(total_timesteps=steps)
    train_s = time.time() - start
    cpu = time.process_time() - start_cpu
    venv.training = False
    returns = []
    for i in range(episodes):
        env = masked_cartpole()
        obs, _ = env.reset(seed=EVAL_SEED + i)
        state, start_flag, total, done = None, np.ones((1,), dtype=bool), 0.0, False
        while not done:
            action, state = model.predict(venv.normalize_obs(obs[None]), state=state, episode_start=start_flag,
                                          deterministic=True)
            obs, reward, terminated, truncated, _ = env.step(int(action[0]))
            total += reward
            done = terminated or truncated
            start_flag = np.zeros((1,), dtype=bool)
        returns.append(total)
    return {"mean": float(np.mean(returns)), "train_s": train_s, "wall_s": train_s, "cpu_s": cpu,
            "sps": steps / train_s}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=30_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--episodes", type=int, default=50)
    parser.add_argument("--n-envs", type=int, default=16, help="envs on both sides (rl-zoo: 8)")
    parser.add_argument("--n-steps", type=int, default=64, help="steps per env per rollout, both sides (rl-zoo: 32)")
    parser.add_argument("--gamma", type=float, default=0.99, help="both sides (rl-zoo: 0.98)")
    parser.add_argument("--gae-lambda", type=float, default=0.95, help="both sides (rl-zoo: 0.8)")
    parser.add_argument("--limbic", type=Path, default=DEFAULT_LIMBIC)
    parser.add_argument("--only", choices=["limbic", "sb3", "feedforward"])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, load {load[0]:.1f}, "
          f"{args.n_envs} envs, gamma {args.gamma}, lambda {args.gae_lambda}")
    sides = {"limbic": lambda s: run_limbic(args.limbic, args.steps, s, args.episodes, args, True),
             "sb3": lambda s: run_sb3(args.steps, s, args.episodes, args),
             "feedforward": lambda s: run_limbic(args.limbic, args.steps, s, args.episodes, args, False)}
    chosen = [args.only] if args.only else list(sides)
    results = {name: [] for name in chosen}
    for seed in args.seeds:
        for name in chosen:
            r = sides[name](seed)
            results[name].append(r)
            print(f"{name:12} seed {seed}: final mean {r['mean']:7.1f}   {r['sps']:9.0f} steps/s   "
                  f"train {r['train_s']:6.1f} s   cpu {r['cpu_s']:6.1f} s", flush=True)
    print(f"\n{args.steps} env steps, {len(args.seeds)} seeds, final policy over {args.episodes} episodes:")
    for name, runs in results.items():
        means = [r["mean"] for r in runs]
        solved = sum(m >= 475 for m in means)
        sps = statistics.median(r["sps"] for r in runs)
        print(f"  {name:12} mean {statistics.mean(means):6.1f}  min {min(means):6.1f}  >=475 on {solved}/{len(means)}"
              f"  median {sps:,.0f} steps/s")
    if "limbic" in results and "sb3" in results:
        ratio = statistics.median(r["sps"] for r in results["limbic"]) / statistics.median(r["sps"] for r in results["sb3"])
        print(f"  speed: limbic / SB3 = {ratio:.1f}x (median training steps per second)")
    if args.json:
        args.json.write_text(json.dumps({"steps": args.steps, "seeds": args.seeds, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

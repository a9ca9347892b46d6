#!/usr/bin/env python3
"""limbic versus Stable-Baselines3, side by side on this machine: training speed and time to solve.

    /work/venv/sb3/bin/python bench/ppo_speed_vs_sb3.py [--algo ppo] [--env CartPole-v1]
        [--seeds 0 1 2 3 4] [--steps 100000] [--eval-every 1024] [--eval-episodes 10]
        [--threshold 475] [--threads 1|default] [--limbic target/release/limbic] [--json FILE]

(`bench/ppo_speed_vs_sb3.sh` runs the standard set.) The same script covers `--algo dqn` and
`--algo sac`; the name keeps the issue's first benchmark.

Identical hyperparameters: limbic's resolved config (`limbic train --print-config`: the embedded
preset, rl-zoo's tuned values for CartPole PPO) is translated key by key into SB3's constructor
arguments; a limbic parameter without an SB3 counterpart stops the comparison with its name.

Protocol, the same for both libraries and every seed:
- `--steps` env steps of training from scratch (all sub-envs together), seed s for the
  training envs (sub-env i resets with s + i) and the learner.
- Every `--eval-every` env steps (after the update that crosses the multiple, and after the
  last one) a deterministic evaluation: `--eval-episodes` episodes, episode i on its own env
  reset with seed s + 1_000_000 + i (limbic's eval seeds), mean return. SB3 stops evaluating
  once a seed is solved (its evaluations are slow and no longer needed); limbic's are cheap.
- Training time excludes evaluation: limbic's is the sum of its updates' durations
  (`env_steps / sps` of each `metrics.jsonl` line, i.e. rollout plus learning); SB3's is the
  wall time of `learn()` less the time spent inside evaluations. Construction and process
  start-up are excluded on both sides (limbic's whole process wall time is reported apart).
- SPS = env steps / training time over the whole budget; CPU SPS = env steps / CPU seconds of
  that training (robust to other load on the shared cores).
- Time to solve = training time up to and including the update after which the evaluation
  first averaged >= `--threshold`; unsolved seeds count as infinite in the median.
- Threads: `--threads 1` runs limbic with RAYON_NUM_THREADS=1 and SB3 with
  torch.set_num_threads(1); `--threads default` leaves both at their defaults.
- Runs alternate limbic, SB3 seed by seed, so background load hits both alike.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EVAL_SEED_OFFSET = 1_000_000
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LIMBIC = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "release" / "limbic"


class Unsupported(Exception):
    """A comparison that cannot run (the learner is missing, or a parameter has no SB3 twin)."""


# ---------------------------------------------------------------------------------------------
# limbic


def limbic_config(limbic: Path, algo: str, env: str, steps: int) -> dict:
    """The resolved config limbic trains with (defaults < preset < flags)."""
    cmd = [str(limbic), "train", "--env", env, "--algo", algo, "--steps", str(steps), "--print-config"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise Unsupported(f"`{' '.join(cmd[1:])}` failed: {done.stderr.strip().splitlines()[-1:]}")
    return json.loads(done.stdout)


def run_limbic(limbic: Path, args, seed: int, out: Path) -> dict:
    env = dict(os.environ)
    env.pop("RAYON_NUM_THREADS", None)
    if args.threads == "1":
        env["RAYON_NUM_THREADS"] = "1"
    cmd = [
        str(limbic), "train", "--env", args.env, "--algo", args.algo, "--steps", str(args.steps),
        "--seed", str(seed), "--out", str(out), "--quiet",
        "--set", f"eval_every={args.eval_every}", "--set", f"eval_episodes={args.eval_episodes}",
        "--set", "checkpoint_every=0",
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    process_s = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"limbic failed (seed {seed}):\n{done.stderr}")
    process_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

    train_s, steps, solved, evals = 0.0, 0, None, []
    for line in (out / "metrics.jsonl").read_text().splitlines():
        m = json.loads(line)
        train_s += (m["env_steps"] - steps) / m["sps"]
        steps = m["env_steps"]
        if "eval/mean_return" in m:
            evals.append((steps, m["eval/mean_return"]))
            if solved is None and m["eval/mean_return"] >= args.threshold:
                solved = {"steps": steps, "train_s": train_s, "wall_s": m["time_s"]}
    final = json.loads((out / "eval.json").read_text())["mean_return"]
    return {
        "seed": seed, "steps": steps, "train_s": train_s, "sps": steps / train_s,
        # The process's CPU time includes evaluations and start-up: a lower bound on CPU SPS.
        "cpu_sps": steps / process_cpu, "process_s": process_s, "solved": solved,
        "final_eval": final, "evals": evals,
    }


# ---------------------------------------------------------------------------------------------
# Stable-Baselines3


def linear(initial: float):
    """rl-zoo's `lin_<value>`: from `initial` down to 0 over the run."""
    return lambda progress_remaining: progress_remaining * initial


def pop_all(params: dict, keys: list[str]) -> dict:
    return {k: params.pop(k) for k in keys if k in params}


def activation(name: str):
    import torch.nn as nn

    table = {"tanh": nn.Tanh, "relu": nn.ReLU}
    if name not in table:
        raise Unsupported(f"activation `{name}` has no SB3 counterpart here")
    return table[name]


def sb3_ppo(params: dict) -> tuple[dict, dict]:
    """SB3 PPO arguments and VecNormalize arguments (empty: none) from limbic's PPO params."""
    p = dict(params)
    kwargs = pop_all(p, ["n_steps", "batch_size", "n_epochs", "gamma", "gae_lambda", "ent_coef", "vf_coef",
                         "max_grad_norm", "target_kl", "normalize_advantage", "clip_range_vf"])
    lr, clip = p.pop("learning_rate"), p.pop("clip_range")
    kwargs["learning_rate"] = linear(lr) if p.pop("anneal_lr", False) else lr
    kwargs["clip_range"] = linear(clip) if p.pop("anneal_clip", False) else clip
    arch = p.pop("net_arch")
    policy = {"net_arch": {"pi": list(arch), "vf": list(arch)}, "activation_fn": activation(p.pop("activation"))}
    policy.update(pop_all(p, ["ortho_init", "log_std_init"]))
    if "adam_epsilon" in p:
        policy["optimizer_kwargs"] = {"eps": p.pop("adam_epsilon")}
    kwargs["policy_kwargs"] = policy
    if p.pop("value_streams", 1) != 1:
        raise Unsupported("value_streams > 1 has no SB3 counterpart")
    norm = vec_normalize(p, kwargs["gamma"])
    if p:
        raise Unsupported(f"limbic PPO params without an SB3 counterpart: {sorted(p)}")
    return kwargs, norm


def vec_normalize(p: dict, gamma: float) -> dict:
    obs, reward = p.pop("normalize_obs", False), p.pop("normalize_reward", False)
    clips = {"clip_obs": p.pop("clip_obs", 10.0), "clip_reward": p.pop("clip_reward", 10.0)}
    if not (obs or reward):
        return {}
    return {"norm_obs": obs, "norm_reward": reward, "gamma": gamma, **clips}


def sb3_off_policy(params: dict, algo: str) -> tuple[dict, dict]:
    """SB3 DQN or SAC arguments from limbic's params (SB3 names, see scripts/presets_from_rl_zoo.py)."""
    p = dict(params)
    common = ["learning_rate", "buffer_size", "learning_starts", "batch_size", "tau", "gamma", "train_freq",
              "gradient_steps"]
    only = {"dqn": ["target_update_interval", "exploration_fraction", "exploration_initial_eps",
                    "exploration_final_eps", "max_grad_norm"],
            "sac": ["ent_coef", "target_update_interval", "target_entropy", "use_sde"]}[algo]
    kwargs = pop_all(p, common + only)
    if p.pop("anneal_lr", False):
        kwargs["learning_rate"] = linear(kwargs["learning_rate"])
    if "n_step" in p:
        kwargs["n_steps"] = p.pop("n_step")
    if p.pop("double_q", False):
        raise Unsupported("limbic runs double DQN; SB3's DQN has no double-Q option")
    policy = {"net_arch": list(p.pop("net_arch"))}
    if "activation" in p:
        policy["activation_fn"] = activation(p.pop("activation"))
    kwargs["policy_kwargs"] = policy
    norm = vec_normalize(p, kwargs.get("gamma", 0.99))
    if p:
        raise Unsupported(f"limbic {algo.upper()} params without an SB3 counterpart: {sorted(p)}")
    return kwargs, norm


class Evaluator:
    """Deterministic evaluation with limbic's protocol: episode i on its own env, reset with
    seed + i, all stepped together with one batched `predict` per step."""

    def __init__(self, env_id: str, episodes: int, seed: int):
        import gymnasium as gym

        self.envs = [gym.make(env_id) for _ in range(episodes)]
        self.seed = seed

    def __call__(self, model, vecnorm) -> float:
        import numpy as np

        obs = [env.reset(seed=self.seed + i)[0] for i, env in enumerate(self.envs)]
        returns = [0.0] * len(self.envs)
        alive = list(range(len(self.envs)))
        while alive:
            batch = np.stack([obs[i] for i in alive])
            if vecnorm is not None:
                batch = vecnorm.normalize_obs(batch)
            actions, _ = model.predict(batch, deterministic=True)
            still = []
            for i, action in zip(alive, actions):
                obs[i], reward, terminated, truncated, _ = self.envs[i].step(action)
                returns[i] += float(reward)
                if not (terminated or truncated):
                    still.append(i)
            alive = still
        return sum(returns) / len(returns)


def run_sb3(args, config: dict, seed: int) -> dict:
    import stable_baselines3 as sb3
    import torch
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import VecNormalize

    if args.threads == "1":
        torch.set_num_threads(1)
    kwargs, norm = (sb3_ppo if args.algo == "ppo" else lambda p: sb3_off_policy(p, args.algo))(config["params"])
    envs = make_vec_env(args.env, n_envs=config["num_envs"], seed=seed)
    vecnorm = VecNormalize(envs, **norm) if norm else None
    cls = {"ppo": sb3.PPO, "dqn": sb3.DQN, "sac": sb3.SAC}[args.algo]
    model = cls("MlpPolicy", vecnorm or envs, seed=seed, device="cpu", verbose=0, **kwargs)
    evaluate = Evaluator(args.env, args.eval_episodes, seed + EVAL_SEED_OFFSET)

    class Timer(BaseCallback):
        """Evaluates at the start of each rollout (after the previous update) when the step
        count crossed a multiple of `eval_every`, and books the time spent outside training."""

        def __init__(self):
            super().__init__()
            self.last, self.excluded, self.excluded_cpu = 0, 0.0, 0.0
            self.solved, self.evals = None, []

        def _on_training_start(self):
            self.start, self.cpu_start = time.perf_counter(), time.process_time()

        def _on_rollout_start(self):
            if self.num_timesteps // args.eval_every > self.last // args.eval_every:
                self.evaluate()
            self.last = self.num_timesteps

        def _on_step(self):
            return True

        def evaluate(self):
            if self.solved is not None:
                return
            t, c = time.perf_counter(), time.process_time()
            mean = evaluate(self.model, vecnorm)
            self.evals.append((self.num_timesteps, mean))
            if mean >= args.threshold:
                self.solved = {"steps": self.num_timesteps, "train_s": t - self.start - self.excluded}
            self.excluded += time.perf_counter() - t
            self.excluded_cpu += time.process_time() - c

    timer = Timer()
    model.learn(total_timesteps=args.steps, callback=timer)
    train_s = time.perf_counter() - timer.start - timer.excluded
    cpu_s = time.process_time() - timer.cpu_start - timer.excluded_cpu
    steps = model.num_timesteps
    timer.evaluate()  # after the last update (no-op once solved)
    if vecnorm is not None:
        vecnorm.training = False
    final = evaluate(model, vecnorm)
    return {
        "seed": seed, "steps": steps, "train_s": train_s, "sps": steps / train_s, "cpu_sps": steps / cpu_s,
        "solved": timer.solved, "final_eval": final, "evals": timer.evals,
    }


# ---------------------------------------------------------------------------------------------
# Report


def summary(runs: list[dict]) -> dict:
    solve_times = [r["solved"]["train_s"] if r["solved"] else math.inf for r in runs]
    solve_steps = [r["solved"]["steps"] if r["solved"] else math.inf for r in runs]
    return {
        "sps": statistics.median(r["sps"] for r in runs),
        "sps_min": min(r["sps"] for r in runs),
        "sps_max": max(r["sps"] for r in runs),
        "cpu_sps": statistics.median(r["cpu_sps"] for r in runs),
        "solve_s": statistics.median(solve_times),
        "solve_steps": statistics.median(solve_steps),
        "solved": sum(r["solved"] is not None for r in runs),
        "final_eval": statistics.mean(r["final_eval"] for r in runs),
    }


def fmt(x: float, digits: int = 2) -> str:
    return "not solved" if math.isinf(x) else f"{x:,.{digits}f}"


def print_report(args, results: dict, load: tuple) -> None:
    print(f"\n{args.algo.upper()} on {args.env}: {args.steps:,} steps, seeds {args.seeds}, threads {args.threads}, "
          f"eval every {args.eval_every} steps on {args.eval_episodes} episodes, threshold {args.threshold}")
    print(f"load average before/after: {load[0]} / {load[1]}; {os.cpu_count()} cores")
    print("\n| library | seed | SPS | CPU SPS | solved at (steps) | time to solve (s) | final eval |")
    print("|---|---|---|---|---|---|---|")
    for lib, runs in results.items():
        for r in runs:
            s = r["solved"]
            print(f"| {lib} | {r['seed']} | {r['sps']:,.0f} | {r['cpu_sps']:,.0f} | "
                  f"{s['steps'] if s else '-'} | {fmt(s['train_s']) if s else 'not solved'} | {r['final_eval']:.1f} |")
    sums = {lib: summary(runs) for lib, runs in results.items()}
    print(f"\nMedian of {len(args.seeds)} seeds:\n")
    print("| library | SPS (min-max) | CPU SPS | solved | steps to solve | time to solve (s) | mean final eval |")
    print("|---|---|---|---|---|---|---|")
    for lib, s in sums.items():
        print(f"| {lib} | {s['sps']:,.0f} ({s['sps_min']:,.0f}-{s['sps_max']:,.0f}) | {s['cpu_sps']:,.0f} | "
              f"{s['solved']}/{len(args.seeds)} | {fmt(s['solve_steps'], 0)} | {fmt(s['solve_s'])} | "
              f"{s['final_eval']:.1f} |")
    if "limbic" in sums and "sb3" in sums:
        lim, sb = sums["limbic"], sums["sb3"]
        print(f"\nlimbic / SB3: SPS {lim['sps'] / sb['sps']:.1f}x, CPU SPS {lim['cpu_sps'] / sb['cpu_sps']:.1f}x, "
              f"time to solve {fmt(sb['solve_s'] / lim['solve_s'], 1) if not math.isinf(lim['solve_s']) else '-'}x "
              "faster")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--algo", default="ppo", choices=["ppo", "dqn", "sac"])
    parser.add_argument("--env", default="CartPole-v1")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--eval-every", type=int, default=1024)
    parser.add_argument("--eval-episodes", type=int, default=10)
    parser.add_argument("--threshold", type=float, default=475.0)
    parser.add_argument("--threads", choices=["1", "default"], default="1")
    parser.add_argument("--only", choices=["limbic", "sb3"], help="run one side only")
    parser.add_argument("--limbic", type=Path, default=DEFAULT_LIMBIC)
    parser.add_argument("--json", type=Path, help="write every run's figures here")
    args = parser.parse_args()

    try:
        config = limbic_config(args.limbic, args.algo, args.env, args.steps)
        if args.only != "limbic":
            (sb3_ppo if args.algo == "ppo" else lambda p: sb3_off_policy(p, args.algo))(config["params"])
    except Unsupported as e:
        print(f"SKIPPED {args.algo} on {args.env}: {e}")
        return 0
    print(f"limbic config: num_envs {config['num_envs']}, params {json.dumps(config['params'])}")

    sides = [s for s in ("limbic", "sb3") if args.only in (None, s)]
    results = {side: [] for side in sides}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            for side in sides:
                if side == "limbic":
                    r = run_limbic(args.limbic, args, seed, Path(tmp) / f"seed{seed}")
                else:
                    r = run_sb3(args, config, seed)
                results[side].append(r)
                solved = f"solved at {r['solved']['steps']} steps, {r['solved']['train_s']:.2f} s" if r["solved"] \
                    else "not solved"
                process = f" (limbic process {r['process_s']:.1f} s)" if "process_s" in r else ""
                print(f"{side:>6} seed {seed}: {r['sps']:,.0f} SPS over {r['steps']} steps in {r['train_s']:.2f} s"
                      f"{process}; {solved}; final eval {r['final_eval']:.1f}", flush=True)
    load = (" ".join(f"{x:.2f}" for x in load_before), " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print_report(args, results, load)
    if args.json:
        args.json.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "load": load,
                                         "params": config, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

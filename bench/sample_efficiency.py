#!/usr/bin/env python3
"""Sample efficiency of limbic's learners: the issue's targets, 5 seeds each, a Markdown table.

    python3 bench/sample_efficiency.py [--algos ppo dqn sac dreamer] [--envs ID ...] [--seeds 0 1 2 3 4]
        [--runs DIR] [--figures bench/figures] [--limbic PATH] [--json FILE]

For each (env, algo) row below and each seed: `limbic train --env ENV --algo ALGO --steps
BUDGET --seed S` with the embedded preset (evaluating 20 episodes every BUDGET/20 steps for the
learning curve), then `limbic eval --checkpoint latest --episodes 50 --json`: the final policy's
mean return over 50 deterministic episodes. The table gives, over seeds, the mean ± sample std
of those 50-episode means, the worst seed, the target, pass (mean over seeds >= target) and the
median wall time of one training run (its process, start-up, evaluations and checkpoints
included). Seeds run one after the other (the machine's cores are shared). Rows whose learner
limbic does not have yet (`limbic train --algo dqn` fails) are listed as skipped.

`limbic compare` draws each row's seeds (mean and min-max spread of `eval/mean_return`) into
`FIGURES/<env>-<algo>.png`. No dependencies beyond Python 3.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LIMBIC = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "release" / "limbic"

# (env, algo, env-step budget, target mean return) from the issue. The issue names no algorithm
# for Acrobot and MountainCarContinuous and no budget for the latter: PPO and DQN on Acrobot;
# SAC (rl-zoo's 50k steps) and PPO (its preset's budget) on MountainCarContinuous. A budget of
# None is the preset's own: DQN on CartPole runs rl-zoo's 50k steps (within the 100k),
# because its exploration schedule is a fraction of the run and its values were tuned for 50k.
ROWS = [
    ("CartPole-v1", "ppo", 100_000, 475.0),
    ("CartPole-v1", "dqn", None, 475.0),
    ("Acrobot-v1", "ppo", 200_000, -100.0),
    ("Acrobot-v1", "dqn", 200_000, -100.0),
    ("Pendulum-v1", "sac", 30_000, -200.0),
    ("MountainCarContinuous-v0", "sac", 50_000, 90.0),
    ("MountainCarContinuous-v0", "ppo", None, 90.0),
    ("MiniGrid-Empty-8x8-v0", "ppo", 100_000, 0.9),
    ("MiniGrid-DoorKey-5x5-v0", "ppo", 200_000, 0.9),
    # The world-model issue: Dreamer within 10k steps on CartPole, at least 5x fewer steps than
    # PPO on Acrobot and DoorKey-5x5, within 1.5x SAC's on Pendulum (its preset's budget).
    ("CartPole-v1", "dreamer", 10_000, 475.0),
    ("Acrobot-v1", "dreamer", 40_000, -100.0),
    ("Pendulum-v1", "dreamer", None, -200.0),
    ("MiniGrid-DoorKey-5x5-v0", "dreamer", 40_000, 0.9),
]
EVAL_EPISODES = 50
CURVE_POINTS = 20


def limbic_json(limbic: Path, *args: str) -> dict:
    done = subprocess.run([str(limbic), *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"limbic {' '.join(args)} failed:\n{done.stderr}")
    return json.loads(done.stdout)


def unavailable(limbic: Path, algo: str, env: str) -> str | None:
    """Why limbic cannot train `algo` on `env` yet (a 1000-step trial run), or None."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [str(limbic), "train", "--algo", algo, "--env", env, "--steps", "1000", "--out", f"{tmp}/run", "--quiet"]
        done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode == 0:
        return None
    lines = done.stderr.strip().splitlines()
    return lines[-1] if lines else f"exit status {done.returncode}"


def run_seed(limbic: Path, env: str, algo: str, budget: int, seed: int, out: Path) -> dict:
    if out.exists():
        raise RuntimeError(f"{out} exists: pick another --runs folder or remove it")
    cmd = [
        str(limbic), "train", "--env", env, "--algo", algo, "--steps", str(budget), "--seed", str(seed),
        "--out", str(out), "--quiet", "--set", f"eval_every={max(budget // CURVE_POINTS, 1)}",
    ]
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stderr}")
    final = limbic_json(limbic, "eval", "--run", str(out), "--checkpoint", "latest", "--episodes",
                        str(EVAL_EPISODES), "--json")
    return {"seed": seed, "wall_s": wall, "mean_return": final["mean_return"], "std_return": final["std_return"],
            "success_rate": final.get("success_rate"), "dir": str(out)}


def draw(limbic: Path, dirs: list[str], png: Path) -> None:
    png.parent.mkdir(parents=True, exist_ok=True)
    cmd = [str(limbic), "compare", *dirs, "--metric", "eval/mean_return", "--out", str(png)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        print(f"  (no figure: {done.stderr.strip()})", file=sys.stderr)


def fmt(x: float, target: float) -> str:
    """Three decimals for targets below 10 (MiniGrid's 0-1 returns), one otherwise."""
    return f"{x:.3f}" if abs(target) < 10 else f"{x:.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--algos", nargs="+", default=["ppo", "dqn", "sac", "dreamer"])
    parser.add_argument("--envs", nargs="+", help="only these env ids")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--runs", type=Path, help="keep the run directories here (default: a temporary folder)")
    parser.add_argument("--figures", type=Path, default=ROOT / "bench" / "figures")
    parser.add_argument("--limbic", type=Path, default=DEFAULT_LIMBIC)
    parser.add_argument("--json", type=Path, help="write every seed's figures here")
    args = parser.parse_args()

    keep = args.runs is not None
    runs = args.runs or Path(tempfile.mkdtemp(prefix="limbic-sample-efficiency-"))
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, "
          f"load {' '.join(f'{x:.2f}' for x in os.getloadavg())}; runs in {runs}", flush=True)
    table, results, missing = [], [], {}
    for env, algo, budget, target in ROWS:
        if algo not in args.algos or (args.envs and env not in args.envs):
            continue
        if algo not in missing:
            missing[algo] = unavailable(args.limbic, algo, "Pendulum-v1" if algo == "sac" else "CartPole-v1")
        if missing[algo]:
            table.append(f"| {env} | {algo} | {budget or '-'} | skipped: {missing[algo]} | | {target} | - | |")
            continue
        if budget is None:
            budget = limbic_json(args.limbic, "train", "--env", env, "--algo", algo, "--print-config")["total_steps"]
        seeds = []
        for seed in args.seeds:
            r = run_seed(args.limbic, env, algo, budget, seed, runs / f"{env}-{algo}-seed{seed}")
            seeds.append(r)
            print(f"{env} {algo} seed {seed}: {r['mean_return']:.3f} over {EVAL_EPISODES} episodes "
                  f"({r['wall_s']:.1f} s)", flush=True)
        means = [r["mean_return"] for r in seeds]
        mean = statistics.mean(means)
        std = statistics.stdev(means) if len(means) > 1 else 0.0
        wall = statistics.median(r["wall_s"] for r in seeds)
        verdict = "pass" if mean >= target else "fail"
        table.append(f"| {env} | {algo} | {budget:,} | {fmt(mean, target)} ± {fmt(std, target)} | {fmt(min(means), target)} | {target} | "
                     f"{verdict} | {wall:.1f} s |")
        results.append({"env": env, "algo": algo, "budget": budget, "target": target, "mean": mean, "std": std,
                        "pass": mean >= target, "seeds": seeds})
        draw(args.limbic, [r["dir"] for r in seeds], args.figures / f"{env}-{algo}.png")
    print(f"\nFinal policy, {EVAL_EPISODES} deterministic episodes per seed, seeds {args.seeds}; "
          f"load {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    print("| env | algo | budget (env steps) | mean ± std over seeds | worst seed | target | result | wall time / run |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(table))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    if not keep:
        print(f"\n(run directories left in {runs})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

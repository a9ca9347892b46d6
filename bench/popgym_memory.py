#!/usr/bin/env python3
"""POPGym at Easy: limbic's recurrent PPO against SB3-contrib's RecurrentPPO, side by side.

    /work/venvs/sb3/bin/python bench/popgym_memory.py [--steps 100000] [--seeds 0 1 2]
        [--ids popgym-RepeatFirstEasy-v0 ...] [--side limbic|sb3|both] [--sb3-seeds 0]
        [--memory '{"kind": "gru", "size": 128}'] [--limbic PATH] [--json FILE]

The metric is POPGym's MMER (max-mean episodic reward): the episodes that end in each window
of `--window` env steps are averaged, and the best window over training counts; the final
window's mean is printed beside it. POPGym's paper reports MMER for GRU after 15M steps
(its appendix tables could not be retrieved, see BENCHMARKS.md), so the anchor here is
SB3-contrib 2.9.2's RecurrentPPO (an LSTM; SB3 has no GRU) trained at the same budget.

Both sides see the env POPGym's baselines train on: Antialias(PreviousAction(env)), the
observation flattened (popgym's `Flatten`). SB3 trains with 8 envs x 128 steps, 4 epochs,
minibatch 256, lr 3e-4 annealed, gamma 0.99, lambda 0.95, clip 0.2, entropy 0.01, value coef
0.5, grad clip 0.5, an LSTM of 128 units, a 64-unit layer for each head, whole 128-step segments
for backpropagation through time. limbic trains with its `popgym-` preset (the same but lr 1e-3,
8 epochs, entropy 0, a GRU of 128); for the same values as SB3 pass
`--set params.learning_rate=0.0003 --set params.n_epochs=4 --set params.ent_coef=0.01`.
`--memory` swaps limbic's memory (`{"kind": "slots", "slots": 8, "size": 32}`, an LSTM...);
`--keep DIR` keeps the run directories, for `limbic compare DIR/ENV-*` to plot the curves.
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
FAMILIES = ["Autoencode", "Battleship", "Concentration", "CountRecall", "HigherLower", "MineSweeper",
            "MultiarmedBandit", "NoisyPositionOnlyCartPole", "NoisyPositionOnlyPendulum", "PositionOnlyCartPole",
            "PositionOnlyPendulum", "RepeatFirst", "RepeatPrevious", "VelocityOnlyCartpole"]
EASY = [f"popgym-{family}Easy-v0" for family in FAMILIES]


def mmer(episodes: list[tuple[int, float]], window: int) -> tuple[float, float]:
    """(best window mean, last window mean) of (env step, return) pairs, windows of `window` steps."""
    sums: dict[int, list[float]] = {}
    for step, ret in episodes:
        sums.setdefault((step - 1) // window, []).append(ret)
    means = [statistics.fmean(v) for _, v in sorted(sums.items())]
    return (max(means), means[-1]) if means else (float("nan"), float("nan"))


def run_limbic(limbic: Path, env_id: str, steps: int, seed: int, memory: str | None, keep: Path | None,
               sets: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        kind = json.loads(memory)["kind"] if memory else "preset"
        run = keep / f"{env_id}-{kind}-seed{seed}" if keep else Path(tmp) / "run"
        cmd = [str(limbic), "train", "--env", env_id, "--steps", str(steps), "--seed", str(seed), "--out", str(run),
               "--quiet", "--set", "eval_every=0", "--set", "checkpoint_every=0"]
        if memory:
            cmd += ["--set", f"policy.memory={memory}"]
        for assignment in sets:
            cmd += ["--set", assignment]
        start = time.time()
        subprocess.run(cmd, check=True, env=dict(os.environ, RAYON_NUM_THREADS="1"), stdout=subprocess.DEVNULL)
        wall = time.time() - start
        lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    # One update's episodes, at its last env step: the update's mean stands for each of them.
    episodes = [(l["env_steps"], l["return_mean"]) for l in lines if l.get("episodes")
                for _ in range(int(l["episodes"]))]
    return {"episodes": episodes, "wall_s": wall}


def popgym_env(env_id: str):
    import gymnasium as gym
    import popgym  # noqa: F401  (registers the ids)
    from popgym.wrappers import Antialias, Flatten, PreviousAction

    # popgym's wrappers take its own env class, not gymnasium's checker wrappers around it.
    return Flatten(Antialias(PreviousAction(gym.make(env_id).unwrapped)), flatten_action=False)


def run_sb3(env_id: str, steps: int, seed: int) -> dict:
    import torch
    from sb3_contrib import RecurrentPPO
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.env_util import make_vec_env

    torch.set_num_threads(1)

    class Episodes(BaseCallback):
        def __init__(self):
            super().__init__()
            self.episodes = []

        def _on_step(self) -> bool:
            for info in self.locals["infos"]:
                if "episode" in info:
                    self.episodes.append((self.num_timesteps, float(info["episode"]["r"])))
            return True

    venv = make_vec_env(lambda: popgym_env(env_id), n_envs=8, seed=seed)
    model = RecurrentPPO("MlpLstmPolicy", venv, n_steps=128, batch_size=256, n_epochs=4,
                         learning_rate=lambda progress: 3e-4 * progress, gamma=0.99, gae_lambda=0.95,
                         clip_range=0.2, ent_coef=0.01, vf_coef=0.5, max_grad_norm=0.5, seed=seed, device="cpu",
                         policy_kwargs=dict(lstm_hidden_size=128, net_arch=dict(pi=[64], vf=[64])))
    callback = Episodes()
    start = time.time()
    model.learn(total_timesteps=steps, callback=callback)
    return {"episodes": callback.episodes, "wall_s": time.time() - start}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--sb3-seeds", type=int, nargs="+", default=None, help="SB3's seeds (default: --seeds)")
    parser.add_argument("--ids", nargs="+", default=EASY)
    parser.add_argument("--side", choices=["limbic", "sb3", "both"], default="both")
    parser.add_argument("--memory", default=None, help="limbic's policy.memory as JSON (default: the preset's)")
    parser.add_argument("--window", type=int, default=10_240)
    parser.add_argument("--limbic", type=Path, default=DEFAULT_LIMBIC)
    parser.add_argument("--json", type=Path, default=None, help="append one JSON line per run here")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="passed to `limbic train --set` (repeatable)")
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep limbic's run directories here (ENV-KIND-seedN), e.g. for `limbic compare`")
    args = parser.parse_args()
    sides = ["limbic", "sb3"] if args.side == "both" else [args.side]
    sb3_seeds = args.sb3_seeds if args.sb3_seeds is not None else args.seeds

    print(f"{'env':42} {'side':7} {'seed':>4} {'MMER':>8} {'final':>8} {'wall s':>7}", flush=True)
    for env_id in args.ids:
        for seed in sorted(set(args.seeds) | set(sb3_seeds)):
            for side in sides:
                if (side == "limbic" and seed not in args.seeds) or (side == "sb3" and seed not in sb3_seeds):
                    continue
                result = (run_limbic(args.limbic, env_id, args.steps, seed, args.memory, args.keep, args.set) if side == "limbic"
                          else run_sb3(env_id, args.steps, seed))
                best, last = mmer(result["episodes"], args.window)
                label = side if side == "sb3" else f"limbic:{json.loads(args.memory)['kind']}" if args.memory else side
                print(f"{env_id:42} {label[:14]:7} {seed:>4} {best:8.3f} {last:8.3f} {result['wall_s']:7.1f}",
                      flush=True)
                if args.json:
                    row = {"env": env_id, "side": label, "seed": seed, "steps": args.steps, "mmer": best,
                           "final": last, "wall_s": result["wall_s"], "episodes": len(result["episodes"])}
                    with args.json.open("a") as out:
                        out.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    sys.exit(main())

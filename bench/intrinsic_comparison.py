#!/usr/bin/env python3
"""PPO alone versus PPO with each intrinsic signal, at a fixed frame budget, over seeds.

Runs `limbic train` once per (signal set, seed), `--jobs` at a time, then prints a Markdown
table (final evaluation return: mean, min-max over seeds; frames until the training return
first reached the threshold; wall time and env steps per second) and draws the learning curves
with `limbic compare` (mean over seeds, min-max shaded). Standard library only.

    python3 bench/intrinsic_comparison.py --env MiniGrid-DoorKey-8x8-v0 --steps 500000 \\
        --seeds 0,1,2 --runs none counts:0.005 rnd:0.01 --out bench/out/doorkey8

A run is `none` (the env's reward only), one or more `NAME[:WEIGHT]` joined by `+`, each
passed as a `--reward` flag, or `LABEL=JSON`, a full rewards list (params, streams) passed as
`--set rewards=JSON` and named LABEL. Finished runs (with an eval.json) are reused, so an interrupted
comparison continues where it stopped. `LIMBIC_BIN=path` uses that binary instead of building
one (so rebuilding the tree during a long comparison cannot change it halfway).
"""
import argparse
import concurrent.futures as futures
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def binary():
    if os.environ.get("LIMBIC_BIN"):
        return pathlib.Path(os.environ["LIMBIC_BIN"])
    target = os.environ.get("CARGO_TARGET_DIR", str(pathlib.Path.home() / ".cache/limbic-target"))
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True,
                   env={**os.environ, "CARGO_TARGET_DIR": target})
    return pathlib.Path(target) / "release" / "limbic"


def run_name(spec):
    if spec == "none":
        return "ppo"
    return "ppo+" + (spec.split("=", 1)[0] if "=" in spec else spec.replace(":", "@"))


def train(exe, args, spec, seed):
    out = pathlib.Path(args.out) / f"{run_name(spec)}-s{seed}"
    if (out / "eval.json").exists():
        return out, None
    if out.exists():
        command = [str(exe), "train", "--resume", str(out)]
    else:
        command = [str(exe), "train", "--env", args.env, "--algo", args.algo, "--steps", str(args.steps),
                   "--seed", str(seed), "--out", str(out), "--set", f"eval_episodes={args.eval_episodes}"]
        if "=" in spec:
            command += ["--set", "rewards=" + spec.split("=", 1)[1]]
        else:
            for reward in ([] if spec == "none" else spec.split("+")):
                command += ["--reward", reward]
        command += args.extra
    start = time.time()
    env = {**os.environ, "RAYON_NUM_THREADS": "1", "NO_COLOR": "1"}
    done = subprocess.run(["nice", "-n", "10", *command], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return out, time.time() - start


def sampled_eval(exe, out, episodes):
    """The final policy with sampled actions (as rl-starter-files evaluates MiniGrid agents)."""
    cached = out / "eval_sampled.json"
    if not cached.exists():
        done = subprocess.run([str(exe), "eval", "--run", str(out), "--checkpoint", "latest", "--stochastic",
                               "--episodes", str(episodes), "--json"], capture_output=True, text=True, check=True)
        tmp = cached.with_suffix(".tmp")
        tmp.write_text(done.stdout)
        tmp.replace(cached)
    return json.loads(cached.read_text())["mean_return"]


def summarize(out, threshold):
    metrics = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines() if line.strip()]
    final = json.loads((out / "eval.json").read_text())
    reached = next((m["env_steps"] for m in metrics if m.get("return_mean_100", float("-inf")) >= threshold), None)
    return {
        "eval": final["mean_return"],
        "reached": reached,
        "time_s": metrics[-1]["time_s"],
        "sps": metrics[-1]["env_steps"] / max(metrics[-1]["time_s"], 1e-9),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", required=True)
    parser.add_argument("--algo", default="ppo")
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--runs", nargs="+", required=True, help="none | NAME[:WEIGHT][+NAME[:WEIGHT]...] | LABEL=JSON")
    parser.add_argument("--threshold", type=float, default=0.9, help="training return counted as solved")
    parser.add_argument("--eval-episodes", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--sampled-eval", action="store_true",
                        help="also evaluate the final policies with sampled actions")
    parser.add_argument("--out", required=True)
    parser.add_argument("extra", nargs="*", help="more `limbic train` flags, after --")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    exe = binary()
    pathlib.Path(args.out).mkdir(parents=True, exist_ok=True)
    jobs = [(spec, seed) for spec in args.runs for seed in seeds]
    with futures.ThreadPoolExecutor(args.jobs) as pool:
        for out, wall in pool.map(lambda job: train(exe, args, *job), jobs):
            print(f"{out.name}: {'reused' if wall is None else f'{wall:.0f} s'}", file=sys.stderr, flush=True)

    print(f"\n{args.env}, {args.algo}, {args.steps} frames, seeds {args.seeds}, "
          f"eval {args.eval_episodes} episodes per seed\n")
    sampled_head = " sampled-action eval: mean (min-max) |" if args.sampled_eval else ""
    print(f"| run | final eval return: mean (min-max) |{sampled_head} seeds whose training return reached "
          f"{args.threshold} | frames to {args.threshold} (median of those) | train time s | env steps/s |")
    print("|---|---|" + ("---|" if args.sampled_eval else "") + "---|---|---|---|")
    for spec in args.runs:
        rows = [summarize(pathlib.Path(args.out) / f"{run_name(spec)}-s{s}", args.threshold) for s in seeds]
        evals = [r["eval"] for r in rows]
        reached = [r["reached"] for r in rows if r["reached"] is not None]
        frames = f"{statistics.median(reached):,.0f}" if reached else "-"
        sampled = ""
        if args.sampled_eval:
            outs = [pathlib.Path(args.out) / f"{run_name(spec)}-s{s}" for s in seeds]
            values = [sampled_eval(exe, o, args.eval_episodes) for o in outs]
            sampled = f" {statistics.mean(values):.3f} ({min(values):.3f}-{max(values):.3f}) |"
        print(f"| {run_name(spec)} | {statistics.mean(evals):.3f} ({min(evals):.3f}-{max(evals):.3f}) |{sampled} "
              f"{len(reached)}/{len(rows)} | {frames} | {statistics.mean(r['time_s'] for r in rows):.0f} | "
              f"{statistics.mean(r['sps'] for r in rows):,.0f} |")
    dirs = [str(pathlib.Path(args.out) / f"{run_name(spec)}-s{s}") for spec in args.runs for s in seeds]
    figure = pathlib.Path(args.out) / "comparison.png"
    subprocess.run([str(exe), "compare", *dirs, "--out", str(figure)], check=True, stdout=subprocess.DEVNULL)
    print(f"\nfigure: {figure}")


if __name__ == "__main__":
    main()

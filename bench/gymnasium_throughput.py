#!/usr/bin/env python3
"""Gymnasium's environment throughput, measured the way `bench/env_throughput.rs` measures limbic.

Single env: `gym.make(id)`, actions pre-generated, `reset()` on done. Vectorized:
`gym.make_vec(id, num_envs=N, vectorization_mode=...)` for "sync" and (where the id has one)
"vector_entry_point", batches of pre-generated actions, autoreset NEXT_STEP. Each figure is the
median of several timed repeats after a warm-up, in env steps per wall-clock second and per
CPU-second of this process (the second does not drop when other processes share the cores).

    /work/venv/py/bin/python bench/gymnasium_throughput.py [--ids CartPole-v1] [--json]
        [--import popgym] [--modes single,sync,vector_entry_point]

`--import MODULE` imports a package that registers more ids first (popgym registers its
`popgym-*` ids on import).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import time

import gymnasium as gym
import numpy as np


def median_rate(run, steps: int, repeats: int) -> tuple[float, float]:
    """Steps per wall-clock second and per CPU-second of this process: medians over `repeats`
    timed runs of `run(steps)` after one warm-up."""
    run(max(steps // 10, 1))
    wall, cpu = [], []
    for _ in range(repeats):
        start, cpu_start = time.perf_counter(), time.process_time()
        run(steps)
        wall.append(steps / (time.perf_counter() - start))
        cpu.append(steps / (time.process_time() - cpu_start))
    return statistics.median(wall), statistics.median(cpu)


def random_actions(space: gym.Space, count: int, seed: int) -> list:
    space.seed(seed)
    return [space.sample() for _ in range(count)]


def single(env_id: str, steps: int, repeats: int, make=gym.make) -> tuple[float, float]:
    """`make` builds the env (`limbic.make` in bench/python_binding.py)."""
    env = make(env_id)
    env.reset(seed=0)
    table = random_actions(env.action_space, 4096, 1)

    def run(n: int) -> None:
        for i in range(n):
            _, _, terminated, truncated, _ = env.step(table[i & 4095])
            if terminated or truncated:
                env.reset()

    return median_rate(run, steps, repeats)


def vectorized(env_id: str, num_envs: int, mode: str, steps: int, repeats: int,
               make_vec=gym.make_vec) -> tuple[float, float] | None:
    try:
        envs = make_vec(env_id, num_envs=num_envs, vectorization_mode=mode)
    except (gym.error.Error, ValueError, TypeError):
        return None  # e.g. no vector_entry_point for this id
    envs.reset(seed=0)
    table = random_actions(envs.action_space, 64, 1)
    batches = max(steps // num_envs, 1)

    def run(n: int) -> None:
        for i in range(max(n // num_envs, 1)):
            envs.step(table[i & 63])

    return median_rate(run, batches * num_envs, repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ids", nargs="+", default=["CartPole-v1"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[1, 8, 64, 256, 1024])
    parser.add_argument("--steps", type=int, default=200_000, help="env steps per timed repeat")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--import", dest="imports", action="append", default=[],
                        help="a module to import first (it registers more ids), e.g. popgym")
    parser.add_argument("--modes", default="single,sync,vector_entry_point",
                        help="comma-separated: single, sync, vector_entry_point")
    args = parser.parse_args()
    for module in args.imports:
        importlib.import_module(module)
    modes = args.modes.split(",")

    load_before = os.getloadavg()
    rows = []
    for env_id in args.ids:
        if "single" in modes:
            wall, cpu = single(env_id, args.steps // 4, args.repeats)
            rows.append({"id": env_id, "mode": "single (gym.make)", "num_envs": 1, "steps_per_s": wall,
                         "steps_per_cpu_s": cpu})
        for mode in [m for m in ["sync", "vector_entry_point"] if m in modes]:
            for n in args.sizes:
                rates = vectorized(env_id, n, mode, args.steps, args.repeats)
                if rates is not None:
                    rows.append({"id": env_id, "mode": mode, "num_envs": n, "steps_per_s": rates[0],
                                 "steps_per_cpu_s": rates[1]})

    if args.json:
        print(json.dumps({"library": f"gymnasium {gym.__version__}", "numpy": np.__version__,
                          "load_before": load_before, "load_after": os.getloadavg(), "rows": rows}, indent=1))
        return
    print(f"gymnasium {gym.__version__} (numpy {np.__version__}); load average before {load_before}, "
          f"after {os.getloadavg()}")
    print(f"{'id':<16} {'mode':<22} {'N':>6} {'steps/s':>14} {'per CPU-s':>14}")
    for r in rows:
        print(f"{r['id']:<16} {r['mode']:<22} {r['num_envs']:>6} {r['steps_per_s']:>14,.0f} "
              f"{r['steps_per_cpu_s']:>14,.0f}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Env steps per second through the Python binding against Gymnasium, in one process.

limbic: `limbic.make(id)` (one env, one Python call per step) and `limbic.make_vec(id, N)` (one
Python call per vector step; `copy=True`, Gymnasium's default). Gymnasium: `gym.make(id)`,
`gym.make_vec(id, N, vectorization_mode="sync")` and, where the id has one, its numpy-vectorized
`vector_entry_point` env. Same loops, pre-drawn random actions, medians of timed repeats after a
warm-up (bench/gymnasium_throughput.py), steps per wall-clock second and per CPU-second.

    python bench/python_binding.py [--ids CartPole-v1 MiniGrid-DoorKey-8x8-v0] [--sizes 64 256]

Needs a venv with `limbic` (pip install ./python), gymnasium 1.4.0 and, for MiniGrid ids, minigrid.
"""

import argparse
import os
import sys

import gymnasium as gym

import limbic

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gymnasium_throughput import single, vectorized  # noqa: E402


def limbic_vec(env_id, num_envs, vectorization_mode):
    return limbic.make_vec(env_id, num_envs)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ids", nargs="+", default=["CartPole-v1"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[64, 256, 1024])
    parser.add_argument("--steps", type=int, default=200_000, help="env steps per timed repeat")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    try:
        import minigrid  # noqa: F401  (registers the MiniGrid ids for Gymnasium)
    except ImportError:
        pass

    print(f"limbic vs gymnasium {gym.__version__}; load average before {os.getloadavg()}")
    print(f"{'id':<26} {'N':>5} {'limbic steps/s':>15} {'gymnasium':>22} {'steps/s':>13} {'ratio':>8}")
    for env_id in args.ids:
        ours = single(env_id, args.steps // 4, args.repeats, make=limbic.make)[0]
        theirs = single(env_id, args.steps // 4, args.repeats)[0]
        print(f"{env_id:<26} {1:>5} {ours:>15,.0f} {'gym.make':>22} {theirs:>13,.0f} {ours / theirs:>7.1f}x")
        for n in args.sizes:
            ours = vectorized(env_id, n, "sync", args.steps, args.repeats, make_vec=limbic_vec)[0]
            for mode in ["sync", "vector_entry_point"]:
                theirs = vectorized(env_id, n, mode, args.steps, args.repeats)
                if theirs is not None:
                    ratio = ours / theirs[0]
                    print(f"{env_id:<26} {n:>5} {ours:>15,.0f} {mode:>22} {theirs[0]:>13,.0f} {ratio:>7.1f}x")
    print(f"load average after {os.getloadavg()}")


if __name__ == "__main__":
    main()

"""Steps per second of Python MiniGrid 3.2.0 on the ids of
environments/benches/gridworld_throughput.rs, same protocol: one env, uniformly random
actions, a reset whenever an episode ends.

    /work/venv/py/bin/python scripts/bench_minigrid.py [steps]
"""
import sys
import time

import gymnasium as gym
import minigrid  # noqa: F401  (registers the ids)
import numpy as np

IDS = ["MiniGrid-Empty-8x8-v0", "MiniGrid-DoorKey-8x8-v0", "MiniGrid-FourRooms-v0",
       "MiniGrid-KeyCorridorS3R3-v0", "MiniGrid-MultiRoom-N6-v0", "MiniGrid-ObstructedMaze-2Q-v1"]


def main():
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    print(f"{'id':34} {'step /s':>10}")
    for env_id in IDS:
        env = gym.make(env_id)
        rng = np.random.default_rng(7)
        acts = rng.integers(0, env.action_space.n, size=steps)
        env.reset(seed=0)
        start = time.perf_counter()
        for a in acts:
            _, _, term, trunc, _ = env.step(int(a))
            if term or trunc:
                env.reset()
        print(f"{env_id:34} {steps / (time.perf_counter() - start):>10.0f}")


if __name__ == "__main__":
    main()

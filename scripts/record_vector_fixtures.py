#!/usr/bin/env python3
"""Records Gymnasium SyncVectorEnv runs for limbic's vector-env tests.

    /work/venv/py/bin/python scripts/record_vector_fixtures.py

Writes tests/fixtures/vector/*.json (workspace root): `gym.make_vec("CartPole-v1", num_envs=3,
vectorization_mode="sync")` in each autoreset mode, reset with a seed and stepped with random
actions long enough that episodes end (some by the time limit) and sub-envs autoreset. DISABLED
runs reset the finished sub-envs with `options={"reset_mask": ...}` after each step.
"""

from __future__ import annotations

import json
from pathlib import Path

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "vector"

RUNS = [
    # (file name, autoreset mode, make kwargs, seed, steps)
    ("cartpole_next_step", AutoresetMode.NEXT_STEP, {}, 42, 200),
    ("cartpole_same_step", AutoresetMode.SAME_STEP, {}, 42, 200),
    ("cartpole_next_step_limit20", AutoresetMode.NEXT_STEP, {"max_episode_steps": 20}, 7, 150),
    ("cartpole_same_step_limit20", AutoresetMode.SAME_STEP, {"max_episode_steps": 20}, 7, 150),
    ("cartpole_disabled", AutoresetMode.DISABLED, {}, 3, 150),
]
NUM_ENVS = 3


def rows(array: np.ndarray) -> list[list[float]]:
    """float32 rows as exact decimal floats."""
    return [[float(x) for x in row] for row in array]


def record(mode: AutoresetMode, kwargs: dict, seed: int, steps: int) -> dict:
    envs = gym.make_vec("CartPole-v1", num_envs=NUM_ENVS, vectorization_mode="sync",
                        vector_kwargs={"autoreset_mode": mode}, **kwargs)
    obs, _ = envs.reset(seed=seed)
    actions = np.random.default_rng(seed + 1000).integers(0, 2, size=(steps, NUM_ENVS))
    out = {"id": "CartPole-v1", "num_envs": NUM_ENVS, "autoreset_mode": mode.name, "kwargs": kwargs,
           "seed": seed, "reset_obs": rows(obs), "steps": []}
    for action in actions:
        obs, rewards, terminated, truncated, info = envs.step(action)
        step = {"actions": [int(a) for a in action], "obs": rows(obs), "rewards": [float(r) for r in rewards],
                "terminated": [bool(t) for t in terminated], "truncated": [bool(t) for t in truncated]}
        if mode == AutoresetMode.SAME_STEP:
            mask = info.get("_final_obs", np.zeros(NUM_ENVS, dtype=bool))
            step["final_mask"] = [bool(m) for m in mask]
            step["final_obs"] = [rows(o[None])[0] if m else None for o, m in
                                 zip(info.get("final_obs", [None] * NUM_ENVS), mask)]
        if mode == AutoresetMode.DISABLED:
            done = np.logical_or(terminated, truncated)
            step["reset_mask"] = [bool(d) for d in done]
            if done.any():
                obs, _ = envs.reset(options={"reset_mask": done})
                step["obs_after_reset"] = rows(obs)
        out["steps"].append(step)
    envs.close()
    return out


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, mode, kwargs, seed, steps in RUNS:
        data = record(mode, kwargs, seed, steps)
        ends = sum(any(s["terminated"]) or any(s["truncated"]) for s in data["steps"])
        (OUT / f"{name}.json").write_text(json.dumps(data, separators=(",", ":")) + "\n")
        print(f"{name}: {steps} steps, {ends} with a done sub-env")


if __name__ == "__main__":
    main()

"""Renders Gymnasium's classic-control pictures for chosen states and compares them with limbic's.

Usage:
    python scripts/compare_classic_frames.py OUT_DIR                # writes OUT_DIR/states.json and OUT_DIR/gym/*.png
    cargo run --release --example render_classic -- OUT_DIR/states.json OUT_DIR/rust
    python scripts/compare_classic_frames.py OUT_DIR --compare      # per-env share of differing pixels
    python scripts/compare_classic_frames.py OUT_DIR --fixtures tests/fixtures/render
                                                                    # also copies FIXTURES frames there

Needs gymnasium==1.4.0 and pygame (classic-control extra). Frames are compared exactly and within a
tolerance of 8 per channel; the pendulum's torque arrow is a bitmap in Gymnasium and a drawn shape in
limbic, so its edge pixels differ slightly.
"""

import argparse
import json
import math
import os
import shutil
import sys

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import gymnasium as gym
import numpy as np
import pygame

TOLERANCE = 8

# (name, env id, state, extra); names are file stems.
CASES = [
    ("cartpole_rest", "CartPole-v1", [0.0, 0.0, 0.0, 0.0], {}),
    ("cartpole_tilt", "CartPole-v1", [0.7, -0.3, 0.15, 0.4], {}),
    ("cartpole_left", "CartPole-v1", [-2.1, 1.0, -0.2, 0.0], {}),
    ("cartpole_fallen", "CartPole-v1", [1.3, 0.0, 1.2, 0.0], {}),
    ("cartpole_offscreen", "CartPole-v1", [2.9, 0.0, -0.4, 0.0], {}),
    ("cartpole_diagonal", "CartPole-v1", [0.0, 0.0, math.pi / 4, 0.0], {}),
    ("mountaincar_start", "MountainCar-v0", [-0.5, 0.0], {}),
    ("mountaincar_left", "MountainCar-v0", [-1.1, 0.0], {}),
    ("mountaincar_right", "MountainCar-v0", [0.3, 0.0], {}),
    ("mountaincar_goal", "MountainCar-v0", [0.52, 0.0], {}),
    ("mountaincarcont_mid", "MountainCarContinuous-v0", [-0.2, 0.0], {}),
    ("mountaincarcont_goal", "MountainCarContinuous-v0", [0.45, 0.0], {}),
    ("acrobot_down", "Acrobot-v1", [0.0, 0.0, 0.0, 0.0], {}),
    ("acrobot_bent", "Acrobot-v1", [0.8, -1.3, 0.0, 0.0], {}),
    ("acrobot_up", "Acrobot-v1", [math.pi - 0.3, 0.5, 0.0, 0.0], {}),
    ("acrobot_side", "Acrobot-v1", [-1.9, 2.6, 0.0, 0.0], {}),
    ("acrobot_diagonal", "Acrobot-v1", [math.pi / 4, -math.pi / 2, 0.0, 0.0], {}),
    ("pendulum_up_none", "Pendulum-v1", [0.0, 0.0], {"last_u": None}),
    ("pendulum_side_pos", "Pendulum-v1", [1.2, 0.0], {"last_u": 1.5}),
    ("pendulum_down_neg", "Pendulum-v1", [3.0, 0.0], {"last_u": -2.0}),
    ("pendulum_small_pos", "Pendulum-v1", [-0.7, 0.0], {"last_u": 0.4}),
    ("pendulum_zero", "Pendulum-v1", [2.2, 0.0], {"last_u": 0.0}),
]



def random_cases(count=6, seed=1):
    """Random states for each env, to catch rare rounding differences."""
    rng = np.random.default_rng(seed)
    cases = []
    for i in range(count):
        x, theta = rng.uniform(-2.8, 2.8), rng.uniform(-math.pi, math.pi)
        cases.append((f"random_cartpole_{i}", "CartPole-v1", [x, 0.0, theta, 0.0], {}))
        cases.append((f"random_mountaincar_{i}", "MountainCar-v0", [rng.uniform(-1.2, 0.6), 0.0], {}))
        t1, t2 = rng.uniform(-math.pi, math.pi, 2)
        cases.append((f"random_acrobot_{i}", "Acrobot-v1", [t1, t2, 0.0, 0.0], {}))
        u = float(rng.uniform(-2.0, 2.0))
        cases.append((f"random_pendulum_{i}", "Pendulum-v1", [rng.uniform(-math.pi, math.pi), 0.0], {"last_u": u}))
    return cases


# A few frames small enough to commit as Rust test fixtures.
FIXTURES = ["cartpole_tilt", "mountaincar_start", "mountaincarcont_mid", "acrobot_bent", "pendulum_side_pos"]


def render_gym(env_id, state, extra):
    env = gym.make(env_id, render_mode="rgb_array")
    env.reset(seed=0)
    env.unwrapped.state = np.array(state, dtype=np.float64)
    if "last_u" in extra:
        env.unwrapped.last_u = extra["last_u"]
    frame = env.render()
    env.close()
    return np.ascontiguousarray(frame)


def save_png(frame, path):
    surf = pygame.surfarray.make_surface(np.transpose(frame, (1, 0, 2)))
    pygame.image.save(surf, path)


def load_png(path):
    return np.transpose(pygame.surfarray.array3d(pygame.image.load(path)), (1, 0, 2))


def record(out, random_count):
    os.makedirs(os.path.join(out, "gym"), exist_ok=True)
    cases = []
    for name, env_id, state, extra in CASES + random_cases(random_count):
        save_png(render_gym(env_id, state, extra), os.path.join(out, "gym", name + ".png"))
        cases.append({"name": name, "env": env_id, "state": state, "last_u": extra.get("last_u")})
    with open(os.path.join(out, "states.json"), "w") as f:
        json.dump({"tolerance": TOLERANCE, "cases": cases}, f, indent=1)
    print(f"wrote {len(cases)} frames to {out}/gym and {out}/states.json")


def compare(out):
    per_env = {}
    with open(os.path.join(out, "states.json")) as f:
        cases = [(c["name"], c["env"]) for c in json.load(f)["cases"]]
    for name, env_id in cases:
        gym_frame = load_png(os.path.join(out, "gym", name + ".png")).astype(int)
        rust_frame = load_png(os.path.join(out, "rust", name + ".png")).astype(int)
        if gym_frame.shape != rust_frame.shape:
            sys.exit(f"{name}: shape {gym_frame.shape} != {rust_frame.shape}")
        diff = np.abs(gym_frame - rust_frame).max(axis=2)
        differ, beyond = float((diff > 0).mean()), float((diff > TOLERANCE).mean())
        if differ or len(cases) <= 60:
            print(f"{name:24s} differ {differ:8.4%}  beyond tol {beyond:8.4%}  max diff {diff.max()}")
        acc = per_env.setdefault(env_id, {"frames": 0, "identical": 0, "differ": 0.0, "beyond": 0.0, "worst": 0.0})
        acc["frames"] += 1
        acc["identical"] += differ == 0
        acc["differ"] += differ
        acc["beyond"] += beyond
        acc["worst"] = max(acc["worst"], differ)
    for env_id, a in per_env.items():
        n = a["frames"]
        print(
            f"{env_id:26s} {a['identical']}/{n} identical; pixels differing: mean {a['differ'] / n:.4%}, "
            f"worst {a['worst']:.4%}; beyond tolerance: mean {a['beyond'] / n:.4%}"
        )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--compare", action="store_true")
    parser.add_argument("--random", type=int, default=6, help="random states per env (besides the fixed ones)")
    parser.add_argument("--fixtures", help="copy the FIXTURES frames and their states here")
    args = parser.parse_args()
    if args.compare:
        compare(args.out)
    else:
        record(args.out, args.random)
    if args.fixtures:
        os.makedirs(args.fixtures, exist_ok=True)
        with open(os.path.join(args.out, "states.json")) as f:
            states = json.load(f)
        states["cases"] = [c for c in states["cases"] if c["name"] in FIXTURES]
        for c in states["cases"]:
            shutil.copy(os.path.join(args.out, "gym", c["name"] + ".png"), args.fixtures)
        with open(os.path.join(args.fixtures, "states.json"), "w") as f:
            json.dump(states, f, indent=1)


if __name__ == "__main__":
    main()

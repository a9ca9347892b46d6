"""Renders MiniGrid 3.2.0 pictures for chosen (id, seed, actions) cases and compares them with limbic's.

Usage:
    python scripts/compare_gridworld_frames.py OUT_DIR            # OUT_DIR/cases.json, OUT_DIR/minigrid/*.png
    cargo run --release -p limbic-environments --example render_gridworld -- OUT_DIR/cases.json OUT_DIR/rust
    python scripts/compare_gridworld_frames.py OUT_DIR --compare  # share of identical pixels per case
    python scripts/compare_gridworld_frames.py OUT_DIR --fixtures tests/fixtures/gridworld_render
        # writes the fixtures: cases.json (every case with its frame's FNV-1a 64 hash), the PNG
        # frames of the FIXTURES cases, and wrappers.json (RGBImgObsWrapper and
        # RGBImgPartialObsWrapper image hashes along a few episodes)

Needs the reference venv (gymnasium 1.4.0, minigrid 3.2.0, pygame for PNG files).

A case is an env id (with kwargs), a seed, actions taken after the reset, optional objects put
into the grid afterwards ([x, y, type, colour, state] in MiniGrid's encoding; MiniGrid's own
ids never show a floor), and the picture: "render" (env.render(): the whole grid at 32 pixels a
cell, field of view lightened), "full" (get_frame(highlight, tile_size)) or "pov"
(get_frame(tile_size, agent_pov=True)).
"""

import argparse
import json
import os
import shutil
import sys

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import gymnasium as gym
import minigrid  # noqa: F401  (registers the MiniGrid ids)
import numpy as np
import pygame
from minigrid.core.world_object import WorldObj
from minigrid.wrappers import RGBImgObsWrapper, RGBImgPartialObsWrapper

sys.path.insert(0, os.path.dirname(__file__))
from record_gridworld_fixtures import IDS  # noqa: E402

# Object encodings for `puts`: (type, colour, state).
FLOOR = 3
COLOURS = range(6)

# (name, id, kwargs, seed, actions, puts, view, tile_size, highlight). The DoorKey-5x5 seed 42 run
# picks up the key below the agent, turns, unlocks and opens the door, walks through it and on to
# the goal: a locked door, a key, a carried key, an open door, the agent on an open door.
DOORKEY = ("MiniGrid-DoorKey-5x5-v0", {}, 42)
CASES = [
    ("doorkey_reset", *DOORKEY, [], [], "render", 32, True),
    ("doorkey_carrying", *DOORKEY, [3], [], "render", 32, True),
    ("doorkey_carrying_pov", *DOORKEY, [3], [], "pov", 16, True),
    ("doorkey_open", *DOORKEY, [3, 0, 5], [], "render", 32, True),
    ("doorkey_on_door", *DOORKEY, [3, 0, 5, 2], [], "render", 32, True),
    ("doorkey_on_door_pov", *DOORKEY, [3, 0, 5, 2], [], "pov", 8, True),
    ("doorkey_closed_again", *DOORKEY, [3, 0, 5, 2, 2, 0, 0, 5], [], "full", 16, True),
    ("doorkey_no_highlight", *DOORKEY, [3, 0], [], "full", 16, False),
    ("doorkey_8x8_render", "MiniGrid-DoorKey-8x8-v0", {}, 1, [], [], "render", 32, True),
    ("doorkey_8x8_pov", "MiniGrid-DoorKey-8x8-v0", {}, 1, [1], [], "pov", 32, True),
    # Facing each direction: the agent turns right three times from its start.
    ("turn_0", "MiniGrid-Empty-5x5-v0", {}, 0, [], [], "full", 16, True),
    ("turn_1", "MiniGrid-Empty-5x5-v0", {}, 0, [1], [], "full", 16, True),
    ("turn_2", "MiniGrid-Empty-5x5-v0", {}, 0, [1, 1], [], "full", 16, True),
    ("turn_3", "MiniGrid-Empty-5x5-v0", {}, 0, [1, 1, 1], [], "full", 16, True),
    ("keycorridor_ball", "MiniGrid-KeyCorridorS3R2-v0", {}, 1, [], [], "render", 32, True),
    ("keycorridor_pov", "MiniGrid-KeyCorridorS3R2-v0", {}, 1, [], [], "pov", 16, True),
    ("obstructed_box", "MiniGrid-ObstructedMaze-1Dlhb-v0", {}, 0, [], [], "render", 32, True),
    ("obstructed_full_16", "MiniGrid-ObstructedMaze-Full-v0", {}, 3, [2, 2, 1], [], "full", 16, True),
    ("lavagap", "MiniGrid-LavaGapS5-v0", {}, 0, [], [], "render", 32, True),
    ("lavagap_on_lava", "MiniGrid-LavaGapS5-v0", {}, 0, [2], [], "full", 16, True),
    ("lavacrossing", "MiniGrid-LavaCrossingS9N2-v0", {}, 2, [1, 2], [], "full", 16, True),
    ("dynamic_obstacles", "MiniGrid-Dynamic-Obstacles-5x5-v0", {}, 0, [1, 2], [], "render", 32, True),
    ("gotoobject", "MiniGrid-GoToObject-6x6-N2-v0", {}, 0, [], [], "render", 32, True),
    ("memory", "MiniGrid-MemoryS7-v0", {}, 0, [], [], "render", 32, True),
    ("memory_pov", "MiniGrid-MemoryS7-v0", {}, 0, [2], [], "pov", 16, True),
    ("redbluedoors_wide", "MiniGrid-RedBlueDoors-6x6-v0", {}, 0, [], [], "render", 32, True),
    ("lockedroom", "MiniGrid-LockedRoom-v0", {}, 0, [], [], "full", 8, True),
    ("fetch", "MiniGrid-Fetch-5x5-N2-v0", {}, 0, [], [], "full", 16, True),
    ("gotodoor", "MiniGrid-GoToDoor-8x8-v0", {}, 4, [], [], "full", 16, True),
    ("putnear", "MiniGrid-PutNear-8x8-N3-v0", {}, 5, [0], [], "full", 16, True),
    ("fourrooms_view5", "MiniGrid-FourRooms-v0", {"agent_view_size": 5}, 0, [2, 2], [], "full", 8, True),
    ("fourrooms_view5_pov", "MiniGrid-FourRooms-v0", {"agent_view_size": 5}, 0, [2, 2], [], "pov", 16, True),
    ("doorkey_see_through", "MiniGrid-DoorKey-8x8-v0", {"see_through_walls": True}, 2, [], [], "full", 16, True),
    ("multiroom", "MiniGrid-MultiRoom-N4-S5-v0", {}, 1, [], [], "full", 8, True),
    ("floors", "MiniGrid-Empty-8x8-v0", {}, 0, [1],
     [[1 + c, 2, FLOOR, c, 0] for c in COLOURS] + [[1, 3, 4, 3, 0], [2, 3, 4, 3, 1], [3, 3, 4, 3, 2],
                                                   [4, 3, 5, 5, 0], [5, 3, 6, 5, 0], [6, 3, 7, 5, 0]],
     "full", 16, True),
    ("floors_pov", "MiniGrid-Empty-8x8-v0", {}, 0, [1],
     [[1 + c, 2, FLOOR, c, 0] for c in COLOURS] + [[1, 3, 4, 3, 0], [2, 3, 4, 3, 1], [3, 3, 4, 3, 2]],
     "pov", 16, True),
    ("odd_tile_sizes_5", "MiniGrid-DoorKey-6x6-v0", {}, 7, [], [], "full", 5, True),
    ("odd_tile_sizes_1", "MiniGrid-DoorKey-6x6-v0", {}, 7, [], [], "full", 1, True),
    ("odd_tile_sizes_7_pov", "MiniGrid-DoorKey-6x6-v0", {}, 7, [], [], "pov", 7, True),
    ("odd_tile_sizes_48", "MiniGrid-Unlock-v0", {}, 0, [], [], "full", 48, True),
]

# Small frames committed as PNG fixtures (each case still has its hash in cases.json).
FIXTURES = [
    "doorkey_reset", "doorkey_carrying_pov", "doorkey_open", "doorkey_on_door", "turn_1", "turn_2",
    "turn_3", "keycorridor_ball", "obstructed_box", "lavagap", "dynamic_obstacles", "gotoobject",
    "memory", "floors", "floors_pov", "odd_tile_sizes_5", "odd_tile_sizes_7_pov",
]

# Breadth: every id, a few seeds, random actions; the whole grid and the agent's view at 8 pixels.
SWEEP_SEEDS = (0, 1)
SWEEP_STEPS = 12

# Wrapper parity: (id, wrapper, tile_size, seed, actions).
WRAPPER_RUNS = [
    ("MiniGrid-DoorKey-5x5-v0", "RGBImgObs", 8, 42, [3, 0, 5, 2, 2, 1, 2]),
    ("MiniGrid-DoorKey-5x5-v0", "RGBImgPartialObs", 8, 42, [3, 0, 5, 2, 2, 1, 2]),
    ("MiniGrid-KeyCorridorS3R2-v0", "RGBImgObs", 8, 1, [1, 2, 2, 0, 2, 3]),
    ("MiniGrid-KeyCorridorS3R2-v0", "RGBImgPartialObs", 4, 1, [1, 2, 2, 0, 2, 3]),
    ("MiniGrid-LavaGapS6-v0", "RGBImgObs", 6, 3, [2, 1, 2, 2, 0]),
    ("MiniGrid-Dynamic-Obstacles-6x6-v0", "RGBImgPartialObs", 8, 0, [2, 2, 1, 2]),
]
WRAPPERS = {"RGBImgObs": RGBImgObsWrapper, "RGBImgPartialObs": RGBImgPartialObsWrapper}


def fnv1a64(data: bytes) -> str:
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def frame_hash(frame) -> str:
    return fnv1a64(np.ascontiguousarray(frame, dtype=np.uint8).tobytes())


def sweep_cases():
    """Random runs of every id: the last frame, whole grid and agent's view."""
    cases = []
    for env_id in IDS:
        for seed in SWEEP_SEEDS:
            rng = np.random.default_rng(seed)
            actions = [int(a) for a in rng.integers(0, 7, SWEEP_STEPS)]
            stem = env_id.removeprefix("MiniGrid-").removesuffix("-v0").lower()
            cases.append((f"sweep_{stem}_{seed}", env_id, {}, seed, actions, [], "full", 8, True))
            cases.append((f"sweep_{stem}_{seed}_pov", env_id, {}, seed, actions, [], "pov", 8, True))
    return cases


def render_case(env_id, kwargs, seed, actions, puts, view, tile_size, highlight):
    """MiniGrid's picture for a case, and the actions taken (a run stops when its episode ends)."""
    env = gym.make(env_id, render_mode="rgb_array", **kwargs)
    env.reset(seed=seed)
    taken = []
    for a in actions:
        if a >= env.action_space.n:
            continue
        taken.append(a)
        _, _, terminated, truncated, _ = env.step(a)
        if terminated or truncated:
            break
    u = env.unwrapped
    for x, y, t, c, s in puts:
        u.grid.set(x, y, WorldObj.decode(t, c, s))
    if view == "render":
        frame = env.render()
    elif view == "full":
        frame = u.get_frame(highlight=highlight, tile_size=tile_size)
    else:
        frame = u.get_frame(tile_size=tile_size, agent_pov=True)
    env.close()
    return np.ascontiguousarray(frame, dtype=np.uint8), taken


def save_png(frame, path):
    pygame.image.save(pygame.surfarray.make_surface(np.transpose(frame, (1, 0, 2))), path)


def load_png(path):
    return np.transpose(pygame.surfarray.array3d(pygame.image.load(path)), (1, 0, 2))


def record(out):
    os.makedirs(os.path.join(out, "minigrid"), exist_ok=True)
    cases = []
    for name, env_id, kwargs, seed, actions, puts, view, tile_size, highlight in CASES + sweep_cases():
        frame, taken = render_case(env_id, kwargs, seed, actions, puts, view, tile_size, highlight)
        save_png(frame, os.path.join(out, "minigrid", name + ".png"))
        cases.append({
            "name": name, "id": env_id, "kwargs": kwargs, "seed": seed, "actions": taken, "puts": puts,
            "view": view, "tile_size": tile_size, "highlight": highlight,
            "width": frame.shape[1], "height": frame.shape[0], "hash": frame_hash(frame),
        })
    with open(os.path.join(out, "cases.json"), "w") as f:
        f.write('{"cases": [\n' + ",\n".join(json.dumps(c) for c in cases) + "\n]}\n")
    print(f"wrote {len(cases)} frames to {out}/minigrid and {out}/cases.json")


def record_wrappers():
    runs = []
    for env_id, wrapper, tile_size, seed, actions in WRAPPER_RUNS:
        env = WRAPPERS[wrapper](gym.make(env_id), tile_size=tile_size)
        obs, _ = env.reset(seed=seed)
        shape = list(env.observation_space["image"].shape)
        hashes = [frame_hash(obs["image"])]
        for a in actions:
            obs, _, terminated, truncated, _ = env.step(a)
            hashes.append(frame_hash(obs["image"]))
            if terminated or truncated:
                break
        runs.append({"id": env_id, "wrapper": wrapper, "tile_size": tile_size, "seed": seed,
                     "actions": actions[: len(hashes) - 1], "shape": shape, "hashes": hashes})
    return runs


def compare(out):
    with open(os.path.join(out, "cases.json")) as f:
        cases = json.load(f)["cases"]
    identical, total_pixels, equal_pixels = 0, 0, 0
    for case in cases:
        name = case["name"]
        ref = load_png(os.path.join(out, "minigrid", name + ".png")).astype(int)
        got = load_png(os.path.join(out, "rust", name + ".png")).astype(int)
        if ref.shape != got.shape:
            print(f"{name}: shape {got.shape}, MiniGrid's {ref.shape}")
            continue
        same = (ref == got).all(axis=2)
        total_pixels += same.size
        equal_pixels += int(same.sum())
        identical += bool(same.all())
        if not same.all():
            print(f"{name:40s} {same.mean():9.5%} of pixels equal, max diff {np.abs(ref - got).max()}")
    print(f"{identical}/{len(cases)} frames identical; {equal_pixels}/{total_pixels} pixels "
          f"({equal_pixels / max(total_pixels, 1):.6%}) equal")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--compare", action="store_true")
    parser.add_argument("--fixtures", help="write the fixtures (cases, FIXTURES frames, wrapper runs) here")
    args = parser.parse_args()
    if args.compare:
        compare(args.out)
    else:
        record(args.out)
    if args.fixtures:
        os.makedirs(args.fixtures, exist_ok=True)
        shutil.copy(os.path.join(args.out, "cases.json"), args.fixtures)
        for name in FIXTURES:
            shutil.copy(os.path.join(args.out, "minigrid", name + ".png"), args.fixtures)
        with open(os.path.join(args.fixtures, "wrappers.json"), "w") as f:
            f.write('{"runs": [\n' + ",\n".join(json.dumps(r) for r in record_wrappers()) + "\n]}\n")


if __name__ == "__main__":
    main()

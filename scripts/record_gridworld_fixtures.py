"""Records MiniGrid 3.2.0 reference data for limbic's gridworld parity tests.

Run with the reference venv (gymnasium 1.4.0, minigrid 3.2.0, numpy 2.4.6):

    /work/venv/py/bin/python scripts/record_gridworld_fixtures.py

Writes two files under tests/fixtures/gridworld/:

- layouts.json: for every implemented id and seeds 0..LAYOUT_SEEDS-1, one FNV-1a 64 hash per
  reset (the full grid encoding in [x][y][channel] order, then agent x, y, direction as bytes,
  then the mission's UTF-8 bytes), concatenated as 16 hex digits each; plus `pprint_grid()` of
  seed 0.
- trajectories.json: per id (and a few kwargs variants), per seed, a run of STEPS_PER_RUN steps
  of biased random actions, re-resetting with seed=None after each episode (so the RNG carries
  over as in Gymnasium). Each episode stores its initial grid, agent, mission and image, and
  per step [action, reward (repr), terminated, truncated, x, y, dir, carried object, image hash];
  every IMAGE_EVERY-th step also stores the full image.

Cell values are written one character each in base 36 ("0".."9", "a" = 10).
"""

import json
import os
import sys

import gymnasium as gym
import minigrid
import numpy as np

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "gridworld")
LAYOUT_SEEDS = 300
# (seed, whether a planner picks most actions): biased random runs, then planned runs.
TRAJECTORY_SEEDS = ((0, False), (1, False), (2, True), (3, True))
PLAN_NOISE = 0.1
STEPS_PER_RUN = 150
IMAGE_EVERY = 10
DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"

IDS = [
    "MiniGrid-Empty-5x5-v0", "MiniGrid-Empty-6x6-v0", "MiniGrid-Empty-8x8-v0", "MiniGrid-Empty-16x16-v0",
    "MiniGrid-Empty-Random-5x5-v0", "MiniGrid-Empty-Random-6x6-v0",
    "MiniGrid-DoorKey-5x5-v0", "MiniGrid-DoorKey-6x6-v0", "MiniGrid-DoorKey-8x8-v0", "MiniGrid-DoorKey-16x16-v0",
    "MiniGrid-FourRooms-v0", "MiniGrid-Unlock-v0", "MiniGrid-UnlockPickup-v0", "MiniGrid-BlockedUnlockPickup-v0",
    "MiniGrid-KeyCorridorS3R1-v0", "MiniGrid-KeyCorridorS3R2-v0", "MiniGrid-KeyCorridorS3R3-v0",
    "MiniGrid-KeyCorridorS4R3-v0", "MiniGrid-KeyCorridorS5R3-v0", "MiniGrid-KeyCorridorS6R3-v0",
    "MiniGrid-MultiRoom-N2-S4-v0", "MiniGrid-MultiRoom-N4-S5-v0", "MiniGrid-MultiRoom-N4-S5-v1", "MiniGrid-MultiRoom-N6-v0",
    "MiniGrid-MemoryS7-v0", "MiniGrid-MemoryS9-v0", "MiniGrid-MemoryS11-v0", "MiniGrid-MemoryS13-v0",
    "MiniGrid-MemoryS13Random-v0", "MiniGrid-MemoryS17Random-v0",
    "MiniGrid-LavaGapS5-v0", "MiniGrid-LavaGapS6-v0", "MiniGrid-LavaGapS7-v0",
    "MiniGrid-LavaCrossingS9N1-v0", "MiniGrid-LavaCrossingS9N2-v0", "MiniGrid-LavaCrossingS9N3-v0",
    "MiniGrid-LavaCrossingS11N5-v0",
    "MiniGrid-SimpleCrossingS9N1-v0", "MiniGrid-SimpleCrossingS9N2-v0", "MiniGrid-SimpleCrossingS9N3-v0",
    "MiniGrid-SimpleCrossingS11N5-v0",
    "MiniGrid-DistShift1-v0", "MiniGrid-DistShift2-v0",
    "MiniGrid-RedBlueDoors-6x6-v0", "MiniGrid-RedBlueDoors-8x8-v0",
    "MiniGrid-LockedRoom-v0",
    "MiniGrid-GoToDoor-5x5-v0", "MiniGrid-GoToDoor-6x6-v0", "MiniGrid-GoToDoor-8x8-v0",
    "MiniGrid-GoToObject-6x6-N2-v0", "MiniGrid-GoToObject-8x8-N2-v0",
    "MiniGrid-PutNear-6x6-N2-v0", "MiniGrid-PutNear-8x8-N3-v0",
    "MiniGrid-Fetch-5x5-N2-v0", "MiniGrid-Fetch-6x6-N2-v0", "MiniGrid-Fetch-8x8-N3-v0",
    "MiniGrid-Dynamic-Obstacles-5x5-v0", "MiniGrid-Dynamic-Obstacles-Random-5x5-v0",
    "MiniGrid-Dynamic-Obstacles-6x6-v0", "MiniGrid-Dynamic-Obstacles-Random-6x6-v0",
    "MiniGrid-Dynamic-Obstacles-8x8-v0", "MiniGrid-Dynamic-Obstacles-16x16-v0",
    "MiniGrid-ObstructedMaze-1Dl-v0", "MiniGrid-ObstructedMaze-1Dlh-v0", "MiniGrid-ObstructedMaze-1Dlhb-v0",
    "MiniGrid-ObstructedMaze-2Dl-v0", "MiniGrid-ObstructedMaze-2Dlh-v0", "MiniGrid-ObstructedMaze-2Dlhb-v0",
    "MiniGrid-ObstructedMaze-1Q-v0", "MiniGrid-ObstructedMaze-2Q-v0", "MiniGrid-ObstructedMaze-Full-v0",
    "MiniGrid-ObstructedMaze-2Dlhb-v1", "MiniGrid-ObstructedMaze-1Q-v1", "MiniGrid-ObstructedMaze-2Q-v1",
    "MiniGrid-ObstructedMaze-Full-v1",
]

# Extra trajectory runs with non-default kwargs: other view sizes, see-through walls, short
# episodes that end by truncation.
VARIANTS = [
    ("MiniGrid-DoorKey-8x8-v0", {"agent_view_size": 5}),
    ("MiniGrid-DoorKey-8x8-v0", {"see_through_walls": True}),
    ("MiniGrid-Empty-8x8-v0", {"agent_view_size": 9}),
    ("MiniGrid-FourRooms-v0", {"agent_view_size": 3}),
    ("MiniGrid-KeyCorridorS3R3-v0", {"max_steps": 25}),
    ("MiniGrid-MemoryS7-v0", {"max_steps": 20}),
    ("MiniGrid-LockedRoom-v0", {"max_steps": 30, "agent_view_size": 11}),
    ("MiniGrid-Empty-16x16-v0", {"size": 7, "agent_start_pos": None}),
]


def fnv1a64(data: bytes) -> str:
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def digits(arr) -> str:
    return "".join(DIGITS[v] for v in np.asarray(arr, dtype=np.uint8).ravel())


def layout_bytes(u) -> bytes:
    x, y = (int(v) for v in u.agent_pos)
    head = u.grid.encode().tobytes() + bytes([x, y, int(u.agent_dir)])
    return head + u.mission.encode("utf-8")


def carried(u) -> str:
    return "" if u.carrying is None else digits(u.carrying.encode())


def action_weights(u, n):
    """Random actions, biased by what the agent faces so that keys get picked up, doors opened,
    goals and lava entered: [left, right, forward, pickup, drop, toggle, done]."""
    fx, fy = (int(v) for v in u.front_pos)
    inside = 0 <= fx < u.width and 0 <= fy < u.height
    front = u.grid.get(fx, fy) if inside else None
    kind = "wall" if not inside else (front.type if front is not None else "empty")
    carrying = u.carrying is not None
    if kind == "empty":
        w = [0.12, 0.12, 0.6, 0.02, 0.08 if carrying else 0.02, 0.02, 0.04]
    elif kind in ("key", "ball", "box"):
        w = [0.15, 0.15, 0.05, 0.1 if carrying else 0.5, 0.02, 0.15 if kind == "box" else 0.03, 0.05]
    elif kind == "door":
        w = [0.1, 0.1, 0.6, 0.02, 0.02, 0.1, 0.06] if front.is_open else [0.1, 0.1, 0.1, 0.02, 0.02, 0.6, 0.06]
    elif kind in ("goal", "lava"):
        w = [0.1, 0.1, 0.7, 0.02, 0.02, 0.02, 0.04]
    else:  # wall
        w = [0.4, 0.4, 0.05, 0.04, 0.04, 0.04, 0.03]
    w = np.array(w[:n])
    return w / w.sum()


# ----- A small planner, so that trajectories also reach the rewarding events of the harder
# families (unlocking, picking up the target, putting near, ...). Mixed with random actions. -----

DIR_VECS = [(1, 0), (0, 1), (-1, 0), (0, -1)]


def cell(u, pos):
    x, y = pos
    return u.grid.get(x, y) if 0 <= x < u.width and 0 <= y < u.height else "outside"


def walkable(u, pos):
    c = cell(u, pos)
    if c == "outside":
        return False
    return c is None or c.type in ("goal", "floor") or (c.type == "door" and not c.is_locked)


def bfs(u, goal_test, avoid):
    start = tuple(int(v) for v in u.agent_pos)
    prev = {start: None}
    queue = [start]
    while queue:
        cur = queue.pop(0)
        if goal_test(cur):
            path = [cur]
            while prev[path[-1]] is not None:
                path.append(prev[path[-1]])
            return path[::-1]
        for dx, dy in DIR_VECS:
            nxt = (cur[0] + dx, cur[1] + dy)
            if nxt not in prev and nxt != avoid and walkable(u, nxt):
                prev[nxt] = cur
                queue.append(nxt)
    return None


def turn_or(u, nxt, action):
    ax, ay = (int(v) for v in u.agent_pos)
    need = DIR_VECS.index((nxt[0] - ax, nxt[1] - ay))
    if need == u.agent_dir:
        return action
    return 1 if (need - u.agent_dir) % 4 == 1 else 0


def follow(u, path, final_action):
    """The next action along `path`; `final_action` once facing its last cell."""
    if len(path) == 1:
        return final_action
    nxt = path[1]
    c = cell(u, nxt)
    if c is not None and c != "outside" and c.type == "door" and not c.is_open:
        return turn_or(u, nxt, 5)
    return turn_or(u, nxt, 2)


def interact(u, target, action):
    """Go next to `target` and apply `action` facing it (None if unreachable)."""
    def next_to(p):
        return abs(p[0] - target[0]) + abs(p[1] - target[1]) == 1
    path = bfs(u, next_to, target)
    if path is None:
        return None
    if len(path) == 1:
        return turn_or(u, target, action)
    return follow(u, path, action)


def walk_to(u, target):
    path = bfs(u, lambda p: p == tuple(target), None)
    return None if path is None or len(path) == 1 else follow(u, path, 2)


def objects(u):
    return [((x, y), u.grid.get(x, y)) for x in range(u.width) for y in range(u.height) if u.grid.get(x, y) is not None]


def drop_here(u):
    """Drop in front if that cell is free and not next to a door (so nothing gets blocked)."""
    fx, fy = (int(v) for v in u.front_pos)
    near_door = any(cell(u, (fx + dx, fy + dy)) not in (None, "outside") and cell(u, (fx + dx, fy + dy)).type == "door"
                    for dx, dy in DIR_VECS)
    return 4 if cell(u, (fx, fy)) is None and not near_door else 0


def plan(u):
    name = type(u).__name__
    objs = objects(u)
    carrying = u.carrying
    pos_of = lambda pred: [p for p, o in objs if pred(o)]
    if name == "GoToDoorEnv" or name == "GoToObjectEnv":
        return interact(u, tuple(u.target_pos), 6)
    if name == "MemoryEnv":
        return walk_to(u, u.success_pos)
    if name == "RedBlueDoorEnv":
        door = u.blue_door if u.red_door.is_open else u.red_door
        return interact(u, tuple(door.cur_pos) if door.cur_pos is not None else pos_of(lambda o: o is door)[0], 5)
    if name == "PutNearEnv":
        mover = pos_of(lambda o: o.type == u.move_type and o.color == u.moveColor)
        if carrying is None and mover:
            return interact(u, mover[0], 3)
        tx, ty = u.target_pos
        spots = [(x, y) for x in range(tx - 1, tx + 2) for y in range(ty - 1, ty + 2) if cell(u, (x, y)) is None]
        for spot in spots:
            a = interact(u, spot, 4)
            if a is not None:
                return a
        return None
    if name == "FetchEnv":
        target = pos_of(lambda o: o.type == u.targetType and o.color == u.targetColor)
        return interact(u, target[0], 3) if target else None
    target = getattr(u, "obj", None)
    if target is not None and name != "ObstructedMaze_Full" or name == "ObstructedMaze_Full":
        where = pos_of(lambda o: o is target) if target is not None else []
        if where and bfs(u, lambda p: abs(p[0] - where[0][0]) + abs(p[1] - where[0][1]) == 1, where[0]):
            return drop_here(u) if carrying is not None else interact(u, where[0], 3)
    goal = pos_of(lambda o: o.type == "goal")
    if goal:
        a = walk_to(u, goal[0])
        if a is not None:
            return a
    doors = pos_of(lambda o: o.type == "door")
    blocking = [b for b in pos_of(lambda o: o.type == "ball" and o is not target)
                if any((b[0] + dx, b[1] + dy) in doors for dx, dy in DIR_VECS)]
    for ball in blocking:
        a = interact(u, ball, 3)
        if a is not None:
            return drop_here(u) if carrying is not None else a
    locked = pos_of(lambda o: o.type == "door" and o.is_locked)
    colors = [cell(u, door).color for door in locked]
    if carrying is not None and not (carrying.type == "key" and carrying.color in colors):
        return drop_here(u)
    for door, color in zip(locked, colors):
        if carrying is not None:
            a = interact(u, door, 5)
            if a is not None:
                return a
        for key in pos_of(lambda o: o.type == "key" and o.color == color):
            a = interact(u, key, 3)
            if a is not None:
                return a
    for box in pos_of(lambda o: o.type == "box" and o.contains is not None):
        a = interact(u, box, 5)
        if a is not None:
            return a
    for ball in pos_of(lambda o: o.type == "ball" and o is not target):
        a = interact(u, ball, 3)
        if a is not None:
            return a
    if carrying is not None:
        return drop_here(u)
    return None


def episode_init(obs, u):
    return {
        "grid": digits(u.grid.encode()),
        "agent": [int(u.agent_pos[0]), int(u.agent_pos[1]), int(u.agent_dir)],
        "mission": obs["mission"],
        "direction": int(obs["direction"]),
        "image": digits(obs["image"]),
    }


def trajectory(env_id, kwargs, seed, planned):
    env = gym.make(env_id, **kwargs)
    u = env.unwrapped
    rng = np.random.default_rng(10_000 + seed)
    n = int(env.action_space.n)
    obs, _ = env.reset(seed=seed)
    episodes = [{"init": episode_init(obs, u), "steps": [], "images": {}}]
    for _ in range(STEPS_PER_RUN):
        ep = episodes[-1]
        a = plan(u) if planned and rng.random() > PLAN_NOISE else None
        if a is None or a >= n:
            a = int(rng.choice(n, p=action_weights(u, n)))
        obs, r, term, trunc, _ = env.step(a)
        x, y = (int(v) for v in u.agent_pos)
        assert int(obs["direction"]) == int(u.agent_dir)
        image = np.asarray(obs["image"], dtype=np.uint8)
        ep["steps"].append([a, repr(float(r)), int(term), int(trunc), x, y, int(u.agent_dir), carried(u),
                            fnv1a64(image.tobytes())])
        if len(ep["steps"]) % IMAGE_EVERY == 0:
            ep["images"][str(len(ep["steps"]) - 1)] = digits(image)
        if term or trunc:
            obs, _ = env.reset()
            episodes.append({"init": episode_init(obs, u), "steps": [], "images": {}})
    return {"id": env_id, "kwargs": kwargs, "seed": seed, "planned": planned, "episodes": episodes}


def layouts(env_id):
    env = gym.make(env_id)
    u = env.unwrapped
    hashes = []
    for seed in range(LAYOUT_SEEDS):
        env.reset(seed=seed)
        hashes.append(fnv1a64(layout_bytes(u)))
    env.reset(seed=0)
    return {"id": env_id, "seeds": LAYOUT_SEEDS, "hashes": "".join(hashes), "text_seed0": u.pprint_grid()}


def main():
    os.makedirs(OUT, exist_ok=True)
    versions = {"gymnasium": gym.__version__, "minigrid": minigrid.__version__, "numpy": np.__version__}
    lay = {"versions": versions, "hash": "fnv1a64(grid [x][y][c] + [x, y, dir] + mission)", "envs": []}
    for env_id in IDS:
        lay["envs"].append(layouts(env_id))
        print("layouts", env_id, flush=True)
    with open(os.path.join(OUT, "layouts.json"), "w") as f:
        json.dump(lay, f, separators=(",", ":"))
    runs = [(env_id, {}) for env_id in IDS] + VARIANTS
    traj = {"versions": versions, "records": []}
    for env_id, kwargs in runs:
        for seed, planned in TRAJECTORY_SEEDS:
            rec = trajectory(env_id, kwargs, seed, planned)
            traj["records"].append(rec)
            eps = rec["episodes"]
            wins = sum(1 for e in eps for s in e["steps"] if float(s[1]) > 0)
            print(f"{env_id} {kwargs} seed={seed} episodes={len(eps)} rewarded={wins}", flush=True)
    with open(os.path.join(OUT, "trajectories.json"), "w") as f:
        json.dump(traj, f, separators=(",", ":"))


if __name__ == "__main__":
    main()

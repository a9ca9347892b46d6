"""Records the returns of the reference BFS expert on MiniGrid DoorKey, for limbic's expert tests.

Run with the reference venv (gymnasium 1.4.0, minigrid 3.2.0):

    /work/venv/py/bin/python scripts/record_expert_fixtures.py

The expert is the privileged one of the reference results (`doorkey_expert.py`, BFS expert
DoorKey-5x5 mean return 0.9648): three phases, each a breadth-first search over (x, y, direction)
with the moves left, right, forward (tried in that order), walking only on cells the agent can
enter: face the key and pick it up, face the door and toggle it, step onto the goal.

Writes tests/fixtures/gridworld/doorkey_bfs_expert.json: for each size, the return of each
reset seed 0..SEEDS-1 (repr of the float), and its mean.
"""

import json
import os
import sys
from collections import deque

import gymnasium as gym
import minigrid  # noqa: F401  (registers the ids)
from minigrid.core.constants import DIR_TO_VEC

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(__file__), "..", "tests", "fixtures", "gridworld", "doorkey_bfs_expert.json")
SIZES = (5, 6, 8, 16)
SEEDS = 100


def walkable(env, x, y):
    cell = env.grid.get(x, y)
    return cell is None or cell.can_overlap()


def moves_to(env, done):
    """The shortest list of moves (0 left, 1 right, 2 forward) to a state where done(x, y, d)."""
    start = (int(env.agent_pos[0]), int(env.agent_pos[1]), int(env.agent_dir))
    came_from = {start: None}
    queue = deque([start])
    while queue:
        state = queue.popleft()
        x, y, d = state
        if done(x, y, d):
            moves = []
            while came_from[state] is not None:
                state, move = came_from[state]
                moves.append(move)
            return moves[::-1]
        fx, fy = x + DIR_TO_VEC[d][0], y + DIR_TO_VEC[d][1]
        successors = [(0, (x, y, (d - 1) % 4)), (1, (x, y, (d + 1) % 4))]
        if walkable(env, fx, fy):
            successors.append((2, (fx, fy, d)))
        for move, nxt in successors:
            if nxt not in came_from:
                came_from[nxt] = (state, move)
                queue.append(nxt)
    raise RuntimeError("no path")


def position_of(env, kind):
    for x in range(env.width):
        for y in range(env.height):
            cell = env.grid.get(x, y)
            if cell is not None and cell.type == kind:
                return (x, y)
    raise RuntimeError(f"no {kind}")


def facing(target):
    return lambda x, y, d: (x + DIR_TO_VEC[d][0], y + DIR_TO_VEC[d][1]) == target


def episode_return(env, seed):
    env.reset(seed=seed)
    u = env.unwrapped
    total = 0.0
    phases = [
        lambda: moves_to(u, facing(position_of(u, "key"))) + [3],
        lambda: moves_to(u, facing(position_of(u, "door"))) + [5],
        lambda: moves_to(u, lambda x, y, d, goal=position_of(u, "goal"): (x, y) == goal),
    ]
    for phase in phases:
        for action in phase():
            _, reward, terminated, truncated, _ = env.step(action)
            total += reward
            if terminated or truncated:
                return total
    return total


def main():
    out = {}
    for size in SIZES:
        env = gym.make(f"MiniGrid-DoorKey-{size}x{size}-v0")
        returns = [episode_return(env, seed) for seed in range(SEEDS)]
        out[f"MiniGrid-DoorKey-{size}x{size}-v0"] = {
            "returns": [repr(r) for r in returns],
            "mean": repr(sum(returns) / len(returns)),
        }
        print(f"DoorKey-{size}x{size}: mean return {sum(returns) / len(returns):.4f}")
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()

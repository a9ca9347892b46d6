"""Records MiniGrid 3.2.0's wrappers (minigrid/wrappers.py) for limbic's parity test
environments/tests/gridworld_wrappers.rs.

Run with the reference venv (gymnasium 1.4.0, minigrid 3.2.0, numpy 2.4.6):

    /work/venv/py/bin/python scripts/record_gridworld_wrapper_fixtures.py

Writes tests/fixtures/gridworld_wrappers/cases.json. Each case is an id, its kwargs, a stack of
wrappers (innermost first) and a seed; a run of STEPS biased random actions re-resets after each
episode (seed=None, so the RNG carries over; ReseedWrapper picks its own seeds). Per case:

- `space`: the observation space (Box: [dtype, shape, low, high], bounds as repr strings, one
  string when all elements agree; Discrete: n; MultiDiscrete: nvec; the mission: "Text");
- per episode: the reset observation's hash (the first episode's also in full), and per step
  [action, reward (repr), terminated, truncated, observation hash]; every FULL_EVERY-th step of
  the run also stores the full observation.

Observation hash: FNV-1a 64 of its canonical bytes: a dict is `key=value;` per key in sorted
order; an array its C-order bytes in its own dtype (uint8, int64, float64, little-endian); an int
8 bytes (int64); a str its UTF-8; a list of ints int64 each. Full observations in JSON: uint8
arrays as hex, other arrays as lists (floats as repr strings), with dtype and shape.
"""

import json
import os
import sys

import gymnasium as gym
import minigrid
import numpy as np
from minigrid.wrappers import (
    ActionBonus,
    DictObservationSpaceWrapper,
    DirectionObsWrapper,
    FlatObsWrapper,
    FullyObsWrapper,
    ImgObsWrapper,
    NoDeath,
    OneHotPartialObsWrapper,
    PositionBonus,
    ReseedWrapper,
    SymbolicObsWrapper,
    ViewSizeWrapper,
)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from record_gridworld_fixtures import action_weights, fnv1a64, plan  # noqa: E402

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(__file__), "..", "tests", "fixtures", "gridworld_wrappers"
)
STEPS = 120
# Planned cases: the share of actions drawn at random instead of planned.
PLAN_NOISE = 0.1
FULL_EVERY = 20

WRAPPERS = {
    "ImgObs": lambda env, a: ImgObsWrapper(env),
    "FullyObs": lambda env, a: FullyObsWrapper(env),
    "ViewSize": lambda env, a: ViewSizeWrapper(env, agent_view_size=a["agent_view_size"]),
    "OneHotPartialObs": lambda env, a: OneHotPartialObsWrapper(env),
    "FlatObs": lambda env, a: FlatObsWrapper(env, maxStrLen=a.get("max_str_len", 96)),
    "Reseed": lambda env, a: ReseedWrapper(env, seeds=a["seeds"], seed_idx=a["seed_idx"]),
    "ActionBonus": lambda env, a: ActionBonus(env),
    "PositionBonus": lambda env, a: PositionBonus(env, scale=a["scale"]),
    "NoDeath": lambda env, a: NoDeath(env, no_death_types=tuple(a["no_death_types"]), death_cost=a["death_cost"]),
    "DictObservationSpace": lambda env, a: DictObservationSpaceWrapper(env),
    "DirectionObs": lambda env, a: DirectionObsWrapper(env, type=a["type"]),
    "SymbolicObs": lambda env, a: SymbolicObsWrapper(env),
}


def w(name, **args):
    return [name, args]


LAVA = w("NoDeath", no_death_types=["lava"], death_cost=-1.0)

# (name, id, kwargs, wrappers innermost first, first reset seed[, options]); options: "plan" (a
# planner picks most actions, to reach rarer events), "rng" (the action RNG's seed; default
# 1000 + the case's index).
CASES = [
    ("img_doorkey", "MiniGrid-DoorKey-5x5-v0", {}, [w("ImgObs")], 0),
    ("img_keycorridor", "MiniGrid-KeyCorridorS3R1-v0", {}, [w("ImgObs")], 1),
    ("fully_doorkey", "MiniGrid-DoorKey-5x5-v0", {}, [w("FullyObs")], 0),
    ("fully_keycorridor", "MiniGrid-KeyCorridorS3R1-v0", {}, [w("FullyObs")], 1),
    ("fully_multiroom", "MiniGrid-MultiRoom-N2-S4-v0", {}, [w("FullyObs")], 2),
    ("fully_lavagap", "MiniGrid-LavaGapS5-v0", {}, [w("FullyObs")], 3),
    ("view3_doorkey", "MiniGrid-DoorKey-5x5-v0", {}, [w("ViewSize", agent_view_size=3)], 0),
    ("view5_keycorridor", "MiniGrid-KeyCorridorS3R1-v0", {}, [w("ViewSize", agent_view_size=5)], 1),
    ("view9_multiroom", "MiniGrid-MultiRoom-N2-S4-v0", {}, [w("ViewSize", agent_view_size=9)], 2),
    ("view11_fourrooms", "MiniGrid-FourRooms-v0", {}, [w("ViewSize", agent_view_size=11)], 3),
    ("view5_see_through", "MiniGrid-DoorKey-8x8-v0", {"see_through_walls": True}, [w("ViewSize", agent_view_size=5)], 4),
    ("view9_over_view3", "MiniGrid-DoorKey-8x8-v0", {"agent_view_size": 3}, [w("ViewSize", agent_view_size=9)], 5),
    ("onehot_doorkey", "MiniGrid-DoorKey-5x5-v0", {}, [w("OneHotPartialObs")], 0),
    ("onehot_keycorridor", "MiniGrid-KeyCorridorS3R1-v0", {}, [w("OneHotPartialObs")], 1),
    ("onehot_view5_lockedroom", "MiniGrid-LockedRoom-v0", {},
     [w("ViewSize", agent_view_size=5), w("OneHotPartialObs")], 2),
    ("flat_doorkey", "MiniGrid-DoorKey-5x5-v0", {}, [w("FlatObs")], 0),
    ("flat_lockedroom", "MiniGrid-LockedRoom-v0", {}, [w("FlatObs")], 1),
    ("flat_fetch", "MiniGrid-Fetch-5x5-N2-v0", {"max_steps": 12}, [w("FlatObs")], 2),
    ("flat_fully_lavagap", "MiniGrid-LavaGapS5-v0", {}, [w("FullyObs"), w("FlatObs")], 3),
    ("flat_len40_empty", "MiniGrid-Empty-5x5-v0", {}, [w("FlatObs", max_str_len=40)], 4),
    ("reseed_doorkey", "MiniGrid-DoorKey-5x5-v0", {"max_steps": 12}, [w("Reseed", seeds=[3, 7, 3], seed_idx=1)], None),
    ("reseed_keycorridor", "MiniGrid-KeyCorridorS3R1-v0", {"max_steps": 8}, [w("Reseed", seeds=[5], seed_idx=0)], None),
    ("action_bonus_empty", "MiniGrid-Empty-5x5-v0", {"max_steps": 25}, [w("ActionBonus")], 0),
    ("action_bonus_doorkey", "MiniGrid-DoorKey-5x5-v0", {}, [w("ActionBonus")], 1),
    ("position_bonus_empty", "MiniGrid-Empty-5x5-v0", {"max_steps": 25}, [w("PositionBonus", scale=1.0)], 0),
    ("position_bonus_half_doorkey", "MiniGrid-DoorKey-5x5-v0", {}, [w("PositionBonus", scale=0.5)], 1),
    ("position_bonus_lavagap", "MiniGrid-LavaGapS5-v0", {}, [w("PositionBonus", scale=0.1)], 2),
    ("nodeath_lavagap", "MiniGrid-LavaGapS5-v0", {"max_steps": 60}, [LAVA], 0),
    ("nodeath_crossing", "MiniGrid-LavaCrossingS9N1-v0", {},
     [w("NoDeath", no_death_types=["lava"], death_cost=-0.5)], 1),
    ("nodeath_multiroom", "MiniGrid-MultiRoom-N2-S4-v0", {}, [LAVA], 2),
    ("nodeath_dynamic_ball", "MiniGrid-Dynamic-Obstacles-5x5-v0", {},
     [w("NoDeath", no_death_types=["ball"], death_cost=-1.0)], 3),
    ("nodeath_dynamic_lava", "MiniGrid-Dynamic-Obstacles-6x6-v0", {}, [LAVA], 4),
    # Standing in an open door, the agent picks up the target: a termination on a spared cell
    # without moving onto it.
    ("nodeath_door_unlockpickup", "MiniGrid-UnlockPickup-v0", {},
     [w("NoDeath", no_death_types=["door"], death_cost=-0.25)], 18, {"plan": True, "rng": 1018}),
    ("nodeath_door_keycorridor", "MiniGrid-KeyCorridorS3R1-v0", {},
     [w("NoDeath", no_death_types=["door", "wall"], death_cost=-0.25)], 5, {"plan": True, "rng": 1005}),
    ("dict_doorkey", "MiniGrid-DoorKey-5x5-v0", {}, [w("DictObservationSpace")], 0),
    ("dict_lockedroom", "MiniGrid-LockedRoom-v0", {}, [w("DictObservationSpace")], 1),
    ("dict_fetch", "MiniGrid-Fetch-5x5-N2-v0", {"max_steps": 12}, [w("DictObservationSpace")], 2),
    ("dict_putnear", "MiniGrid-PutNear-6x6-N2-v0", {"max_steps": 15}, [w("DictObservationSpace")], 3),
    ("dir_slope_empty", "MiniGrid-Empty-Random-5x5-v0", {"max_steps": 20}, [w("DirectionObs", type="slope")], 0),
    ("dir_angle_fourrooms", "MiniGrid-FourRooms-v0", {}, [w("DirectionObs", type="angle")], 1),
    ("dir_atan2_lavagap", "MiniGrid-LavaGapS5-v0", {}, [w("DirectionObs", type="angle_atan2")], 2),
    ("dir_atan2_doorkey", "MiniGrid-DoorKey-8x8-v0", {}, [w("DirectionObs", type="angle_atan2")], 3),
    ("dir_slope_crossing", "MiniGrid-SimpleCrossingS9N1-v0", {}, [w("DirectionObs", type="slope")], 4),
    ("dir_angle_empty", "MiniGrid-Empty-Random-6x6-v0", {"max_steps": 15}, [w("DirectionObs", type="angle")], 5),
    ("symbolic_doorkey", "MiniGrid-DoorKey-5x5-v0", {}, [w("SymbolicObs")], 0),
    ("symbolic_keycorridor", "MiniGrid-KeyCorridorS3R1-v0", {}, [w("SymbolicObs")], 1),
    ("stack_img_view5", "MiniGrid-DoorKey-8x8-v0", {}, [w("ViewSize", agent_view_size=5), w("ImgObs")], 0),
    ("stack_bonuses_nodeath", "MiniGrid-LavaGapS5-v0", {"max_steps": 50},
     [LAVA, w("PositionBonus", scale=1.0), w("ActionBonus")], 1),
    ("stack_reseed_img", "MiniGrid-DoorKey-5x5-v0", {"max_steps": 10},
     [w("ImgObs"), w("Reseed", seeds=[11, 12], seed_idx=0)], None),
    ("stack_direction_fully", "MiniGrid-Empty-Random-5x5-v0", {},
     [w("FullyObs"), w("DirectionObs", type="angle_atan2")], 2),
    ("stack_symbolic_view3", "MiniGrid-DoorKey-5x5-v0", {}, [w("ViewSize", agent_view_size=3), w("SymbolicObs")], 3),
    ("stack_onehot_img", "MiniGrid-KeyCorridorS3R1-v0", {}, [w("OneHotPartialObs"), w("ImgObs")], 4),
]


def obs_bytes(obs) -> bytes:
    if isinstance(obs, dict):
        return b"".join(k.encode() + b"=" + obs_bytes(obs[k]) + b";" for k in sorted(obs))
    if isinstance(obs, str):
        return obs.encode("utf-8")
    if isinstance(obs, (int, np.integer)):
        return int(obs).to_bytes(8, "little", signed=True)
    if isinstance(obs, list):
        return np.asarray(obs, dtype="<i8").tobytes()
    arr = np.asarray(obs)
    return np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<")).tobytes()


def obs_json(obs):
    if isinstance(obs, dict):
        return {k: obs_json(obs[k]) for k in sorted(obs)}
    if isinstance(obs, str):
        return obs
    if isinstance(obs, (int, np.integer)):
        return int(obs)
    if isinstance(obs, list):
        return [int(v) for v in obs]
    arr = np.asarray(obs)
    if arr.dtype == np.uint8:
        data = arr.tobytes().hex()
    elif arr.dtype.kind == "f":
        data = [repr(float(v)) for v in arr.ravel()]
    else:
        data = [int(v) for v in arr.ravel()]
    return {"dtype": str(arr.dtype), "shape": list(arr.shape), "data": data}


def bounds(values):
    flat = [repr(float(v)) for v in np.asarray(values).ravel()]
    return flat[0] if len(set(flat)) == 1 else flat


def space_json(space):
    if isinstance(space, gym.spaces.Dict):
        return {k: space_json(space[k]) for k in sorted(space.spaces)}
    if isinstance(space, gym.spaces.Box):
        return {"Box": [str(space.dtype), list(space.shape), bounds(space.low), bounds(space.high)]}
    if isinstance(space, gym.spaces.Discrete):
        return {"Discrete": int(space.n)}
    if isinstance(space, gym.spaces.MultiDiscrete):
        return {"MultiDiscrete": [int(n) for n in space.nvec]}
    return "Text"


def run_case(index, name, env_id, kwargs, wrappers, seed, options=None):
    options = options or {}
    env = gym.make(env_id, **kwargs)
    for wrapper, args in wrappers:
        env = WRAPPERS[wrapper](env, args)
    u = env.unwrapped
    n = env.action_space.n
    rng = np.random.default_rng(options.get("rng", 1000 + index))
    case = {
        "name": name,
        "id": env_id,
        "kwargs": kwargs,
        "wrappers": wrappers,
        "space": space_json(env.observation_space),
        "episodes": [],
    }
    reset_seed, done_steps = seed, 0
    while done_steps < STEPS:
        obs, _ = env.reset(seed=reset_seed)
        episode = {"reset_seed": reset_seed, "reset": fnv1a64(obs_bytes(obs)), "steps": [], "full": {}}
        if not case["episodes"]:
            episode["reset_obs"] = obs_json(obs)
        reset_seed = None
        while done_steps < STEPS:
            action = plan(u) if options.get("plan") and rng.random() > PLAN_NOISE else None
            if action is None or action >= n:
                action = int(rng.choice(n, p=action_weights(u, n)))
            obs, reward, terminated, truncated, _ = env.step(action)
            done_steps += 1
            episode["steps"].append(
                [action, repr(float(reward)), int(terminated), int(truncated), fnv1a64(obs_bytes(obs))]
            )
            if done_steps % FULL_EVERY == 0:
                episode["full"][str(len(episode["steps"]) - 1)] = obs_json(obs)
            if terminated or truncated:
                break
        case["episodes"].append(episode)
    return case


def main():
    os.makedirs(OUT, exist_ok=True)
    versions = {"gymnasium": gym.__version__, "minigrid": minigrid.__version__, "numpy": np.__version__}
    out = {"versions": versions, "steps": STEPS, "cases": []}
    for index, spec in enumerate(CASES):
        case = run_case(index, *spec)
        name = spec[0]
        out["cases"].append(case)
        eps = case["episodes"]
        rewards = sorted({s[1] for e in eps for s in e["steps"]})
        print(f"{name}: {len(eps)} episodes, rewards {rewards[:4]}{'...' if len(rewards) > 4 else ''}", flush=True)
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))


if __name__ == "__main__":
    main()

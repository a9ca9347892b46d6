"""Record POPGym trajectories for limbic's parity tests (`environments/tests/popgym_parity.rs`).

Run with the reference packages (popgym 1.0.7, gymnasium 1.4.0, numpy 2.4.6):

    python scripts/record_popgym_fixtures.py [OUT_DIR]   # default: tests/fixtures/popgym

One file per id of `popgym.envs.ALL` (`gym.make(id)`, as popgym registers it: no TimeLimit, no
OrderEnforcing), plus `CartPoleNoVel-v1.json` (rl-zoo's definition: `gym.make("CartPole-v1")`
with observations multiplied by the float32 mask [1, 0, 1, 0], rl_zoo3's MaskVelocityWrapper)
and `wrappers.json` (popgym's `Antialias(PreviousAction(env))` and each wrapper alone):

    {"format": "limbic-popgym-episodes-1", "versions": {...}, "env_id": ..., "kwargs": {...},
     "observation_space": "<minari space JSON>", "action_space": "<minari space JSON>",
     "episodes": [{"seed": int | null, "policy": "random" | "oracle", "obs0": <obs>,
                   "flat0": [...], "actions": [...], "obs": [...], "flat": [[...], ...],
                   "rewards": [...], "terminated": [t, ...], "truncated": [t, ...]}]}

The spaces are the text of `minari.serialization.serialize_space` (JSON with Python's bare
`Infinity` for infinite bounds, hence a string). Observations are JSON as Gymnasium users see them (a Discrete an int, a MultiDiscrete or Box a
list, a Tuple a list of its elements; float32 values written as float64 so they read back
exactly). `flat0` is `gymnasium.spaces.flatten(observation_space, obs0)`; `flat` the same for
the first steps only. `seed: null` is `reset(seed=None)`, which continues the RNG of the episode
before. Steps are numbered from 1; `terminated`/`truncated` list the steps whose flag was True.
An episode ends at termination or truncation. Policies: "random" draws actions from a numpy
Generator (Box actions partly beyond the bounds, which Pendulum clips); "oracle" peeks at the
hidden state to reach the winning ends (all ships sunk, all pairs matched, minefield cleared).
"""

import json
import os
import sys

import gymnasium as gym
import numpy as np
import popgym
from gymnasium.spaces import flatten
from minari.serialization import serialize_space
from popgym.envs import ALL
from popgym.wrappers import Antialias, PreviousAction

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join("tests", "fixtures", "popgym")
VERSIONS = {"popgym": "1.0.7", "gymnasium": gym.__version__, "numpy": np.__version__}
assert popgym is not None
# Seeds near 2**64 (one and two words of SeedSequence entropy), a small one, and None (continue).
SEEDS = [0, 2**64 - 1, None, 2**64 - 2**32 - 3, 7]
FLAT_STEPS = 4


def to_json(obs):
    if isinstance(obs, tuple):
        return [to_json(o) for o in obs]
    if isinstance(obs, np.ndarray):
        return [v.item() if obs.dtype.kind in "iu" else float(v) for v in obs.ravel()]
    if isinstance(obs, (np.integer, int)):
        return int(obs)
    return float(obs)


def random_action(space, rng):
    if isinstance(space, gym.spaces.Discrete):
        return int(rng.integers(space.n))
    if isinstance(space, gym.spaces.MultiDiscrete):
        return np.array([int(rng.integers(n)) for n in space.nvec], dtype=np.int64)
    return np.array([rng.uniform(-2.5, 2.5)], dtype=np.float32)


def oracle_action(env, rng):
    """A winning move from the hidden state, where the game has one; else random."""
    game = env.unwrapped
    name = type(game).__name__
    if name.startswith("Battleship"):
        targets = np.argwhere((game.board == 1) & (game.guesses == 0))
        if rng.random() < 0.8 and len(targets):
            return np.array(targets[rng.integers(len(targets))], dtype=np.int64)
    if name.startswith("MineSweeper"):
        safe = np.argwhere(game.hidden_grid == 0)
        if len(safe):
            return np.array(safe[rng.integers(len(safe))], dtype=np.int64)
    if name.startswith("Concentration"):
        values = game.deck_type[game.deck.idx]
        up = set(game.deck["face_up_idx"])
        in_play = game.deck["in_play_idx"]
        if rng.random() < 0.9:
            if in_play:
                mates = [i for i in range(len(values)) if i != in_play[0] and i not in up and values[i] == values[in_play[0]]]
                if mates:
                    return int(mates[0])
            down = [i for i in range(len(values)) if i not in up]
            if down:
                return int(down[rng.integers(len(down))])
    return random_action(env.action_space, rng)


def episode(env, seed, policy, rng):
    obs, _ = env.reset(seed=seed)
    space = env.observation_space
    out = {"seed": seed, "policy": policy, "obs0": to_json(obs), "flat0": to_json(flatten(space, obs)),
           "actions": [], "obs": [], "flat": [], "rewards": [], "terminated": [], "truncated": []}
    t = 0
    while True:
        action = oracle_action(env, rng) if policy == "oracle" else random_action(env.action_space, rng)
        obs, reward, terminated, truncated, _ = env.step(action)
        t += 1
        out["actions"].append(to_json(action))
        out["obs"].append(to_json(obs))
        if t <= FLAT_STEPS:
            out["flat"].append(to_json(flatten(space, obs)))
        out["rewards"].append(float(reward))
        if terminated:
            out["terminated"].append(t)
        if truncated:
            out["truncated"].append(t)
        if terminated or truncated:
            return out


def record(name, env, env_id, seeds, rng, kwargs=None, policies=None):
    episodes = [episode(env, seed, (policies or {}).get(i, "random"), rng) for i, seed in enumerate(seeds)]
    data = {"format": "limbic-popgym-episodes-1", "versions": VERSIONS, "env_id": env_id, "kwargs": kwargs or {},
            "observation_space": serialize_space(env.observation_space),
            "action_space": serialize_space(env.action_space), "episodes": episodes}
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(data, f, separators=(",", ":"))
    return sum(len(e["actions"]) for e in episodes)


class MaskVelocity(gym.ObservationWrapper):
    """rl_zoo3.wrappers.MaskVelocityWrapper for CartPole-v1: observation * [1, 0, 1, 0]."""

    def __init__(self, env):
        super().__init__(env)
        self.mask = np.ones_like(env.observation_space.sample())
        self.mask[[1, 3]] = 0.0

    def observation(self, observation):
        return observation * self.mask


def main():
    os.makedirs(OUT, exist_ok=True)
    for index, spec in enumerate(ALL.values()):
        env_id = spec["id"]
        rng = np.random.default_rng(1000 + index)
        steps = record(env_id, gym.make(env_id), env_id, SEEDS, rng, policies={1: "oracle", 4: "oracle"})
        print(f"{env_id}: {steps} steps")
    # Keyword arguments of the Easy classes that take them.
    for env_id, kwargs in [
        ("popgym-RepeatPreviousEasy-v0", {"num_decks": 2, "k": 7}),
        ("popgym-AutoencodeEasy-v0", {"num_decks": 2}),
        ("popgym-CountRecallEasy-v0", {"num_decks": 3, "deck_type": "ranks", "error_clamp": 1.0}),
        ("popgym-PositionOnlyCartPoleEasy-v0", {"max_episode_length": 30, "sutton_barto_reward": True}),
        ("popgym-VelocityOnlyCartpoleEasy-v0", {"max_episode_length": 17}),
        ("popgym-PositionOnlyPendulumEasy-v0", {"max_episode_length": 40, "g": 9.81}),
    ]:
        rng = np.random.default_rng(7)
        name = env_id + "_kwargs"
        steps = record(name, gym.make(env_id, **kwargs), env_id, [3, None], rng, kwargs=kwargs)
        print(f"{name}: {steps} steps")
    rng = np.random.default_rng(11)
    steps = record("CartPoleNoVel-v1", MaskVelocity(gym.make("CartPole-v1")), "CartPoleNoVel-v1", SEEDS, rng)
    print(f"CartPoleNoVel-v1: {steps} steps")
    wrapped = []
    for env_id, wrap in [
        ("popgym-RepeatPreviousEasy-v0", "Antialias(PreviousAction)"),
        ("popgym-AutoencodeEasy-v0", "Antialias(PreviousAction)"),
        ("popgym-CountRecallEasy-v0", "Antialias(PreviousAction)"),
        ("popgym-BattleshipEasy-v0", "Antialias(PreviousAction)"),
        ("popgym-MineSweeperEasy-v0", "Antialias(PreviousAction)"),
        ("popgym-PositionOnlyPendulumEasy-v0", "Antialias(PreviousAction)"),
        ("popgym-MultiarmedBanditEasy-v0", "PreviousAction"),
        ("popgym-ConcentrationEasy-v0", "Antialias"),
    ]:
        env = gym.make(env_id).unwrapped  # popgym's wrappers take a POPGymEnv, not gym.make's checker
        if "PreviousAction" in wrap:
            env = PreviousAction(env)
        if "Antialias" in wrap:
            env = Antialias(env)
        rng = np.random.default_rng(3)
        name = f"wrapped_{wrap.replace('(', '_').replace(')', '')}_{env_id}"
        steps = record(name, env, env_id, [5, None], rng)
        wrapped.append(name)
        print(f"{name}: {steps} steps")


if __name__ == "__main__":
    main()

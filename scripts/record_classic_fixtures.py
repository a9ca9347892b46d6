"""Record Gymnasium classic-control trajectories for limbic's parity tests.

Run with the reference environment (gymnasium 1.4.0, numpy 2.4.6):

    python scripts/record_classic_fixtures.py [OUT_DIR]   # default: tests/fixtures/classic

Each output file is one `gym.make(env_id, **kwargs)` environment (so TimeLimit truncation is
recorded) and a list of episodes run one after another on it:

    {"format": "limbic-classic-episodes-1", "versions": {...}, "env_id": ..., "kwargs": {...},
     "scenario": "...", "episodes": [
        {"seed": int | null, "options": dict | null, "policy": "...",
         "init_obs": [...], "init_state": [...],
         "actions": [...], "obs": [[...], ...], "rewards": [...], "states": [[...], ...],
         "terminated_steps": [t, ...], "truncated_steps": [t, ...]}]}

`seed: null` is `reset(seed=None)`, which continues the RNG of the episode before. Steps are
numbered from 1; `*_steps` list the steps whose flag was True. Observations are the float32
values and states the internal float64 values (`env.unwrapped.state`), both written as float64
so they read back exactly. Continuous actions are float32 values; some lie beyond the action
bounds on purpose. An episode ends at termination or truncation, or after `max_steps`.
"""

import json
import math
import os
import sys

import gymnasium as gym
import numpy as np

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join("tests", "fixtures", "classic")
VERSIONS = {"gymnasium": gym.__version__, "numpy": np.__version__}
BIG_SEED = 2**33 + 5  # wider than 32 bits: two words of SeedSequence entropy

# Two resets in a row, seed then None, and a step after: reset(None) continues the seeded RNG.
RESET_CHAIN = [{"seed": 31, "max_steps": 0}, {"seed": None, "max_steps": 0}, {"seed": None, "max_steps": 1}]


def floats(x):
    return [float(v) for v in np.asarray(x, dtype=np.float64).ravel()]


# Policies: (observation, unwrapped env, rng) -> action.


def random_action(obs, env, rng):
    space = env.action_space
    if isinstance(space, gym.spaces.Discrete):
        return int(rng.integers(space.n))
    # Mostly up to 25% beyond the bounds, now and then far beyond them.
    scale = 10.0 if rng.random() < 0.05 else 1.25
    return rng.uniform(space.low * scale, space.high * scale).astype(np.float32)


def balance(obs, env, rng):
    """CartPole: a linear controller that keeps the pole up for the whole time limit."""
    x, x_dot, theta, theta_dot = obs
    return int(0.3 * x + 0.8 * x_dot + 10.0 * theta + 2.0 * theta_dot > 0)


def pump(obs, env, rng):
    """Push along the motion to pump energy in (car, acrobot's second joint, pendulum)."""
    spec_id = env.spec.id
    if spec_id.startswith("MountainCarContinuous"):
        # Between 0.8 and 1.3 in the direction of motion: clipped and unclipped forces.
        return np.array([np.sign(obs[1] or 1.0) * rng.uniform(0.8, 1.3)], dtype=np.float32)
    if spec_id.startswith("MountainCar"):
        return 2 if obs[1] >= 0 else 0
    if spec_id.startswith("Acrobot"):
        return 2 if env.state[3] > 0 else 0
    if spec_id.startswith("Pendulum"):
        return np.array([2.5 if env.state[1] >= 0 else -2.5], dtype=np.float32)
    raise ValueError(spec_id)


def push_left(obs, env, rng):
    """Drive into the left wall (mountain cars), to hit the inelastic-wall rule."""
    if isinstance(env.action_space, gym.spaces.Discrete):
        return 0
    return np.array([-1.0 if rng.random() < 0.5 else -3.0], dtype=np.float32)


POLICIES = {"random": random_action, "balance": balance, "pump": pump, "push_left": push_left}


def action_record(a):
    return a if isinstance(a, int) else floats(a)


def episode(env, seed, options=None, policy="random", action_seed=0, max_steps=None):
    rng = np.random.default_rng(action_seed)
    obs, _ = env.reset(seed=seed, options=options)
    u = env.unwrapped
    rec = {"seed": seed, "options": options, "policy": policy, "init_obs": floats(obs),
           "init_state": floats(u.state), "actions": [], "obs": [], "rewards": [], "states": [],
           "terminated_steps": [], "truncated_steps": []}
    t = 0
    while max_steps is None or t < max_steps:
        a = POLICIES[policy](obs, u, rng)
        obs, reward, terminated, truncated, _ = env.step(a)
        t += 1
        rec["actions"].append(action_record(a))
        rec["obs"].append(floats(obs))
        rec["rewards"].append(float(reward))
        rec["states"].append(floats(u.state))
        if terminated:
            rec["terminated_steps"].append(t)
        if truncated:
            rec["truncated_steps"].append(t)
        if terminated or truncated:
            break
    return rec


def record(name, env_id, scenario, episodes, kwargs=None):
    kwargs = kwargs or {}
    env = gym.make(env_id, **kwargs)
    recs = [episode(env, **e) for e in episodes]
    data = {"format": "limbic-classic-episodes-1", "versions": VERSIONS, "env_id": env_id,
            "kwargs": kwargs, "scenario": scenario, "episodes": recs}
    path = os.path.join(OUT, f"{name}.json")
    with open(path, "w") as f:
        json.dump(data, f, separators=(",", ":"))
    for r in recs:
        print(f"{name:38s} seed={str(r['seed']):12s} {r['policy']:9s} steps={len(r['actions']):4d} "
              f"return={sum(r['rewards']):10.3f} term={r['terminated_steps']} trunc={r['truncated_steps']}")
    return recs


def termination_step(env_id, seed, policy, kwargs=None):
    """The step at which an episode terminates, to set a time limit that truncates it there too."""
    env = gym.make(env_id, **(kwargs or {}))
    rec = episode(env, seed, policy=policy, action_seed=seed)
    assert rec["terminated_steps"], (env_id, seed, policy)
    return rec["terminated_steps"][0]


def both_flags(name, env_id, seed, policy):
    """An episode that terminates on its last allowed step: terminated and truncated together."""
    limit = termination_step(env_id, seed, policy)
    record(name, env_id, f"max_episode_steps={limit} ends the episode on the terminating step",
           [{"seed": seed, "policy": policy, "action_seed": seed}], {"max_episode_steps": limit})


def numpy_trig_is_not_rounded(state):
    """Whether numpy's float32 cos/sin of Acrobot's float32 reset angles differ from the
    correctly rounded values (numpy uses its own polynomial kernel on FMA machines)."""
    for x in np.asarray(state[:2], dtype=np.float32):
        rounded = np.float32(math.cos(float(x))), np.float32(math.sin(float(x)))
        if (np.cos(x), np.sin(x)) != rounded:
            return True
    return False


def acrobot_trig_seeds(options, count):
    env = gym.make("Acrobot-v1")
    seeds = []
    for seed in range(100_000):
        env.reset(seed=seed, options=options)
        if numpy_trig_is_not_rounded(env.unwrapped.state):
            seeds.append(seed)
            if len(seeds) == count:
                return seeds
    raise RuntimeError("too few seeds found")


def main():
    os.makedirs(OUT, exist_ok=True)
    seeds = [2, 7, 123, BIG_SEED]

    record("CartPole-v1_episodes", "CartPole-v1",
           "random actions from several seeds, reset(None) continuations, a zero-step episode, "
           "the balancing policy to the 500-step limit, reset bounds from options",
           [{"seed": s, "action_seed": 10 + i} for i, s in enumerate(seeds)]
           + [{"seed": None, "action_seed": 20},
              {"seed": 5, "max_steps": 0}, {"seed": None, "action_seed": 21},
              {"seed": 3, "policy": "balance"},
              {"seed": 8, "options": {"low": -0.2, "high": 0.2}, "action_seed": 22},
              {"seed": None, "options": {"low": 0.01, "high": 0.04}, "action_seed": 23},
              {"seed": 9, "options": {"high": 0.3}, "action_seed": 24}] + RESET_CHAIN)
    record("CartPole-v0_balance", "CartPole-v0", "the balancing policy to the 200-step limit",
           [{"seed": 4, "policy": "balance"}, {"seed": None, "action_seed": 25}])
    record("CartPole-v1_sutton_barto", "CartPole-v1", "sutton_barto_reward=True: 0 per step, -1 at the end",
           [{"seed": 6, "action_seed": 26}, {"seed": None, "action_seed": 27}], {"sutton_barto_reward": True})
    both_flags("CartPole-v1_both_flags", "CartPole-v1", 11, "random")

    record("MountainCar-v0_episodes", "MountainCar-v0",
           "random actions to the time limit, energy pumping to the goal, the left wall, "
           "reset bounds from options",
           [{"seed": 2, "action_seed": 30}, {"seed": 7, "policy": "pump"},
            {"seed": 123, "policy": "pump"}, {"seed": BIG_SEED, "policy": "pump"},
            {"seed": None, "action_seed": 31, "max_steps": 60},
            {"seed": 12, "options": {"low": -1.15, "high": -1.1}, "policy": "push_left", "max_steps": 40},
            {"seed": None, "options": {"low": 0.45, "high": 0.499}, "policy": "pump"},
            {"seed": 13, "options": {"high": -0.5}, "policy": "pump"}] + RESET_CHAIN)
    record("MountainCar-v0_goal_velocity", "MountainCar-v0",
           "goal_velocity=0.06: too fast to reach from most starts, so the car hits the right bound",
           [{"seed": 14, "policy": "pump"}, {"seed": 15, "options": {"low": -1.2, "high": -1.19}, "policy": "pump"}],
           {"goal_velocity": 0.06})
    both_flags("MountainCar-v0_both_flags", "MountainCar-v0", 16, "pump")

    record("MountainCarContinuous-v0_episodes", "MountainCarContinuous-v0",
           "random actions (some far beyond the bounds) to the time limit and in part, energy "
           "pumping with clipped and unclipped forces to the goal, the left wall, reset bounds",
           [{"seed": 2, "action_seed": 40}, {"seed": 7, "policy": "pump", "action_seed": 41},
            {"seed": 123, "policy": "pump", "action_seed": 42},
            {"seed": BIG_SEED, "action_seed": 43, "max_steps": 150},
            {"seed": None, "policy": "pump", "action_seed": 44},
            {"seed": 17, "options": {"low": -1.19, "high": -1.1}, "policy": "push_left", "action_seed": 45,
             "max_steps": 60},
            {"seed": None, "options": {"low": 0.3, "high": 0.44}, "policy": "pump", "action_seed": 46}]
           + RESET_CHAIN)
    record("MountainCarContinuous-v0_goal_velocity", "MountainCarContinuous-v0", "goal_velocity=0.02",
           [{"seed": 18, "policy": "pump", "action_seed": 47},
            {"seed": 25, "options": {"low": -1.2, "high": -1.19}, "policy": "pump", "action_seed": 48}],
           {"goal_velocity": 0.02})
    both_flags("MountainCarContinuous-v0_both_flags", "MountainCarContinuous-v0", 19, "pump")

    record("Acrobot-v1_episodes", "Acrobot-v1",
           "random actions to the time limit and in part, energy pumping to the goal, "
           "reset bounds from options that start angles turns away and velocities beyond their limits",
           [{"seed": 2, "action_seed": 50}, {"seed": 7, "policy": "pump"}, {"seed": 123, "policy": "pump"},
            {"seed": BIG_SEED, "policy": "pump"}, {"seed": None, "action_seed": 51, "max_steps": 80},
            {"seed": 43, "options": {"low": 10.0, "high": 13.0}, "action_seed": 43, "max_steps": 80},
            {"seed": 21, "options": {"low": -30.0, "high": -20.0}, "action_seed": 21, "max_steps": 80},
            {"seed": 26, "options": {"low": -4.0, "high": 4.0}, "action_seed": 26, "max_steps": 80},
            {"seed": None, "options": {"low": -2.0}, "action_seed": 54, "max_steps": 80}] + RESET_CHAIN)
    wide = {"low": -3.0, "high": 3.0}
    record("Acrobot-v1_resets", "Acrobot-v1",
           "resets whose float32 observation needs numpy's own float32 cos/sin",
           [{"seed": s, "max_steps": 1} for s in acrobot_trig_seeds(None, 8)]
           + [{"seed": s, "options": wide, "max_steps": 1} for s in acrobot_trig_seeds(wide, 8)])
    both_flags("Acrobot-v1_both_flags", "Acrobot-v1", 22, "pump")

    record("Pendulum-v1_episodes", "Pendulum-v1",
           "random torques (some far beyond the bounds) to the time limit, a spinning pendulum "
           "at the speed limit, x_init/y_init reset options",
           [{"seed": s, "action_seed": 60 + i} for i, s in enumerate(seeds)]
           + [{"seed": None, "policy": "pump", "action_seed": 64},
              {"seed": 23, "options": {"x_init": 0.5, "y_init": 10.0}, "action_seed": 65, "max_steps": 50},
              {"seed": None, "options": {"y_init": 0.1}, "action_seed": 66, "max_steps": 50}] + RESET_CHAIN)
    record("Pendulum-v1_g", "Pendulum-v1", "g=9.81", [{"seed": 24, "action_seed": 67}], {"g": 9.81})


if __name__ == "__main__":
    main()

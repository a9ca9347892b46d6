#!/usr/bin/env python3
"""Records Fourrooms-v0 trajectories from the option-critic paper's own environment class.

    python3 scripts/record_fourrooms_fixtures.py PATH/TO/jeanharb/option_critic/fourrooms/fourrooms.py \
        > tests/fixtures/fourrooms/trajectories.json

The script imports that file (with stand-ins for the `gym` names it imports but does not need:
`spaces.Discrete` and `register`) and swaps its `RandomState(1234)` for numpy's
`Generator(PCG64(seed))`, seeded per episode as limbic's `reset(seed)` is: `choice` and
`uniform` are the Generator's own, `randint(n)` is `integers(0, n)`. Where the goal is moved,
`init_states` leaves out the new goal (limbic's departure: the script keeps excluding state 62).
Actions are drawn uniformly from a separate generator. numpy only.
"""

import importlib.util
import json
import sys
import types

import numpy as np


def load(path):
    gym = types.ModuleType("gym")
    gym.core = types.ModuleType("gym.core")
    gym.spaces = types.ModuleType("gym.spaces")

    class Discrete:
        def __init__(self, n):
            self.n = int(n)

    gym.spaces.Discrete = Discrete
    gym.envs = types.ModuleType("gym.envs")
    gym.envs.registration = types.ModuleType("gym.envs.registration")
    gym.envs.registration.register = lambda **kwargs: None
    for name, module in [("gym", gym), ("gym.core", gym.core), ("gym.spaces", gym.spaces), ("gym.envs", gym.envs),
                         ("gym.envs.registration", gym.envs.registration)]:
        sys.modules[name] = module
    spec = importlib.util.spec_from_file_location("fourrooms", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Fourrooms


class Rng:
    """numpy's Generator with the RandomState method names the script calls."""

    def __init__(self, seed):
        self.g = np.random.default_rng(seed)

    def choice(self, a):
        return self.g.choice(a)

    def uniform(self):
        return self.g.uniform()

    def randint(self, n):
        return self.g.integers(0, n)


def main():
    Fourrooms = load(sys.argv[1])
    cases = []
    for goal, seeds in [(62, [0, 1, 2, 12345]), (70, [3, 4]), (103, [5])]:
        for seed in seeds:
            env = Fourrooms()
            env.goal = goal
            env.init_states = [s for s in range(env.observation_space.n) if s != goal]
            env.rng = Rng(seed)
            actions_rng = np.random.default_rng(1000 + seed)
            start = int(env.reset())
            actions, states, rewards, dones = [], [], [], []
            for _ in range(300):
                action = int(actions_rng.integers(0, 4))
                state, reward, done, _ = env.step(action)
                actions.append(action)
                states.append(int(state))
                rewards.append(float(reward))
                dones.append(bool(done))
                if done:
                    break
            cases.append({"goal": goal, "seed": seed, "start": start, "actions": actions, "states": states,
                          "rewards": rewards, "dones": dones})
    json.dump(cases, sys.stdout)
    print()


if __name__ == "__main__":
    main()

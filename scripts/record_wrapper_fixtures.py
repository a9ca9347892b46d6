"""Records gymnasium 1.4.0's wrappers into JSON fixtures for limbic's wrapper tests.

Run with the reference venv:  /work/venv/py/bin/python scripts/record_wrapper_fixtures.py
Writes tests/fixtures/wrappers/*.json. Floats are written with Python's shortest round-trip
repr (float32 values as the float64 they convert to exactly), infinities as "Infinity".
"""

import json
import math
from pathlib import Path

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.wrappers import (
    ClipAction,
    FlattenObservation,
    FrameStackObservation,
    NormalizeObservation,
    NormalizeReward,
    RecordEpisodeStatistics,
    RescaleAction,
    TransformReward,
)
from gymnasium.wrappers.utils import RunningMeanStd

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "wrappers"
VERSIONS = {"gymnasium": gym.__version__, "numpy": np.__version__}


def plain(x):
    """numpy and floats to JSON-able values; infinities as strings (Space::from_json reads them)."""
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [plain(v) for v in x]
    if isinstance(x, np.ndarray):
        return [plain(v) for v in x.reshape(-1).tolist()]
    if isinstance(x, (np.bool_, bool)):
        return bool(x)
    if isinstance(x, (np.integer, int)):
        return int(x)
    if isinstance(x, (np.floating, float)):
        x = float(x)
        if math.isinf(x):
            return "Infinity" if x > 0 else "-Infinity"
        return x
    return x


def space_json(space):
    """A space in the JSON form limbic's `Space::from_json` reads (flat row-major bounds)."""
    if isinstance(space, spaces.Box):
        return {"type": "Box", "dtype": str(space.dtype), "shape": list(space.shape),
                "low": plain(space.low), "high": plain(space.high)}
    if isinstance(space, spaces.Discrete):
        return {"type": "Discrete", "n": int(space.n), "start": int(space.start)}
    if isinstance(space, spaces.MultiDiscrete):
        return {"type": "MultiDiscrete", "nvec": plain(space.nvec), "start": plain(space.start)}
    if isinstance(space, spaces.MultiBinary):
        return {"type": "MultiBinary", "n": list(space.shape)}
    if isinstance(space, spaces.Dict):
        return {"type": "Dict", "subspaces": {k: space_json(s) for k, s in space.spaces.items()}}
    raise TypeError(space)


def write(name, data):
    OUT.mkdir(parents=True, exist_ok=True)
    data = {"versions": VERSIONS, **data}
    (OUT / f"{name}.json").write_text(json.dumps(plain(data), allow_nan=False) + "\n")
    print("wrote", name)


def rms_state(rms):
    return {"mean": plain(np.atleast_1d(rms.mean)), "var": plain(np.atleast_1d(rms.var)),
            "count": float(rms.count), "precision": str(np.asarray(rms.mean).dtype)}


def record_running_mean_std():
    rng = np.random.default_rng(7)
    cases = []

    def case(name, shape, dtype, batches):
        rms = RunningMeanStd(shape=shape, dtype=dtype)
        updates = []
        for batch in batches:
            rms.update(batch)
            updates.append({"batch": plain(batch), "batch_dtype": str(batch.dtype), **rms_state(rms)})
        dim = int(np.prod(shape)) if shape else 1
        cases.append({"name": name, "dim": dim, "precision": np.dtype(dtype).name, "updates": updates})

    normal = lambda n, d, scale, dt: (rng.standard_normal((n, d)) * scale + 3.0).astype(dt)
    case("f64 rows, sequential column sums", (3,), np.float64,
         [normal(n, 3, s, np.float64) for n, s in [(1, 1.0), (2, 10.0), (5, 0.1), (40, 1000.0), (300, 1.0)]])
    case("f32 rows", (4,), np.float32,
         [normal(n, 4, s, np.float32) for n, s in [(1, 1.0), (3, 50.0), (37, 0.01), (200, 7.0)]])
    case("f64 scalar, pairwise sums", (), np.float64,
         [normal(n, 1, s, np.float64).reshape(-1) for n, s in [(1, 1.0), (7, 2.0), (9, 3.0), (130, 4.0), (300, 5.0)]])
    case("f32 scalar, pairwise sums", (), np.float32,
         [normal(n, 1, s, np.float32).reshape(-1) for n, s in [(1, 1.0), (17, 2.0), (1000, 3.0)]])
    case("f32 promoted by f64 data", (2,), np.float32,
         [normal(1, 2, 1.0, np.float64), normal(6, 2, 4.0, np.float64), normal(3, 2, 1.0, np.float32)])
    case("f32 promoted by uint8 data", (3,), np.float32,
         [rng.integers(0, 256, (n, 3)).astype(np.uint8) for n in (1, 4, 50)])
    write("running_mean_std", {"cases": cases})


def cartpole_actions(n, seed):
    return [int(a) for a in np.random.default_rng(seed).integers(0, 2, n)]


def run_cartpole(env, actions, seed, each):
    """Resets with `seed`, steps `actions`, resetting (unseeded) after each episode's end."""
    obs, _ = env.reset(seed=seed)
    steps = [{"reset": True, "obs": plain(obs), **each(env, None)}]
    for a in actions:
        obs, reward, terminated, truncated, info = env.step(a)
        steps.append({"action": a, "obs": plain(obs), "reward": float(reward), "terminated": terminated,
                      "truncated": truncated, **each(env, info)})
        if terminated or truncated:
            obs, _ = env.reset()
            steps.append({"reset": True, "obs": plain(obs), **each(env, None)})
    return steps


def record_normalize_observation():
    env = NormalizeObservation(gym.make("CartPole-v1", max_episode_steps=50))
    stats = lambda e, _info: {"rms": rms_state(e.obs_rms)}
    steps = run_cartpole(env, cartpole_actions(160, 11), 3, stats)
    env.update_running_mean = False
    frozen = run_cartpole(env, cartpole_actions(30, 12), 4, stats)
    write("normalize_observation_cartpole", {
        "env": "CartPole-v1", "max_episode_steps": 50, "epsilon": 1e-8,
        "observation_space": space_json(env.observation_space), "steps": steps, "frozen_steps": frozen})


def record_normalize_reward():
    out = {}
    for name, kwargs, gamma in [("default", {}, 0.99), ("sutton_barto_gamma_0.9", {"sutton_barto_reward": True}, 0.9)]:
        env = NormalizeReward(gym.make("CartPole-v1", max_episode_steps=16, **kwargs), gamma=gamma)
        stats = lambda e, _info: {"g": float(e.discounted_reward[0]), "rms": rms_state(e.return_rms)}
        out[name] = {"kwargs": kwargs, "gamma": gamma,
                     "steps": run_cartpole(env, cartpole_actions(150, 21), 5, stats)}
    write("normalize_reward_cartpole", {"env": "CartPole-v1", "max_episode_steps": 16, "cases": out})


def record_composition():
    """NormalizeReward(NormalizeObservation(TransformReward(CartPole, f))), gamma 0.95."""
    base = gym.make("CartPole-v1", max_episode_steps=25)
    env = NormalizeReward(NormalizeObservation(TransformReward(base, lambda r: 0.5 * r - 0.25)), gamma=0.95)
    stats = lambda e, _info: {"obs_rms": rms_state(e.env.obs_rms), "return_rms": rms_state(e.return_rms)}
    write("composition_cartpole", {
        "env": "CartPole-v1", "max_episode_steps": 25, "gamma": 0.95, "reward_fn": "0.5 * r - 0.25",
        "steps": run_cartpole(env, cartpole_actions(120, 31), 6, stats)})


def record_episode_statistics():
    env = RecordEpisodeStatistics(gym.make("CartPole-v1", max_episode_steps=15), buffer_length=3)
    episode = lambda e, info: {"episode": {k: info["episode"][k] for k in ("r", "l")}} if info and "episode" in info else {}
    steps = run_cartpole(env, cartpole_actions(200, 41), 7, episode)
    write("record_episode_statistics_cartpole", {
        "env": "CartPole-v1", "max_episode_steps": 15, "buffer_length": 3, "steps": steps,
        "return_queue": list(env.return_queue), "length_queue": list(env.length_queue)})


def record_frame_stack_cartpole():
    out = {}
    for padding in ["reset", "zero"]:
        env = FrameStackObservation(gym.make("CartPole-v1", max_episode_steps=10), 3, padding_type=padding)
        out[padding] = {"observation_space": space_json(env.observation_space),
                        "steps": run_cartpole(env, cartpole_actions(45, 51), 8, lambda e, i: {})}
    write("frame_stack_cartpole", {"env": "CartPole-v1", "max_episode_steps": 10, "stack_size": 3, "cases": out})


class ScriptedEnv(gym.Env):
    """Hands out the given observations in turn, on reset and step alike."""

    def __init__(self, observation_space, observations):
        self.observation_space = observation_space
        self.action_space = spaces.Discrete(2)
        self.observations = observations
        self.t = 0

    def _next(self):
        obs = self.observations[self.t % len(self.observations)]
        self.t += 1
        return obs

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return self._next(), {}

    def step(self, action):
        return self._next(), 0.0, False, False, {}


def value_json(space, value):
    if isinstance(space, spaces.Dict):
        return {k: value_json(s, value[k]) for k, s in space.spaces.items()}
    if isinstance(space, spaces.Discrete):
        return int(value)
    return plain(np.asarray(value))


SCRIPT = ["reset", "step", "step", "step", "reset", "step"]


def scripted_cases():
    rng = np.random.default_rng(3)
    dict_space = spaces.Dict({
        "b": spaces.Box(-1.0, 2.0, (2, 2), np.float32),
        "a": spaces.Discrete(3, start=1),
        "c": spaces.MultiBinary(3),
        "d": spaces.MultiDiscrete([2, 4], start=[0, -1]),
    })
    cases = {
        "box_f32": spaces.Box(np.array([-1.0, 0.5, -np.inf], np.float32), np.array([1.0, 2.0, -0.25], np.float32)),
        "box_u8_image": spaces.Box(3, 255, (2, 3), np.uint8),
        "box_f64": spaces.Box(-10.0, 10.0, (2,), np.float64),
        "discrete": spaces.Discrete(4, start=2),
        "multi_discrete": spaces.MultiDiscrete([3, 2], start=[1, 0]),
        "multi_binary": spaces.MultiBinary([2, 2]),
        "dict": dict_space,
        "dict_f32_u8": spaces.Dict({"x": spaces.Box(0, 1, (2,), np.float32), "y": spaces.Box(0, 9, (1,), np.uint8)}),
    }
    out = {}
    for name, space in cases.items():
        space.seed(int(rng.integers(1 << 30)))
        out[name] = (space, [space.sample() for _ in range(len(SCRIPT))])
    return out


def run_script(wrapper, space, observations):
    env = wrapper(ScriptedEnv(space, observations))
    outputs = []
    for call in SCRIPT:
        obs = env.reset(seed=0)[0] if call == "reset" else env.step(0)[0]
        outputs.append(value_json(env.observation_space, obs))
    return env.observation_space, outputs


def record_spaces():
    flatten, stack = {}, {}
    for name, (space, observations) in scripted_cases().items():
        inputs = [value_json(space, o) for o in observations]
        flat_space, flat = run_script(FlattenObservation, space, observations)
        flatten[name] = {"observation_space": space_json(space), "observations": inputs,
                         "flat_space": space_json(flat_space), "flattened": flat}
        stack[name] = {"observation_space": space_json(space), "observations": inputs}
        for padding in ["reset", "zero"]:
            wrap = lambda e: FrameStackObservation(e, 3, padding_type=padding)
            stacked_space, stacked = run_script(wrap, space, observations)
            stack[name][padding] = {"stacked_space": space_json(stacked_space), "stacked": stacked}
    write("flatten_observation_spaces", {"script": SCRIPT, "cases": flatten})
    write("frame_stack_spaces", {"script": SCRIPT, "stack_size": 3, "cases": stack})


def record_normalize_observation_spaces():
    """NormalizeObservation on every array dtype: numpy's precision rules differ between them."""
    out = {}
    for name, (space, observations) in scripted_cases().items():
        if isinstance(space, (spaces.Dict, spaces.Discrete)):
            continue
        out[name] = {"observation_space": space_json(space), "observations": [value_json(space, o) for o in observations]}
        for mode in ["updating", "frozen", "preset"]:
            env = NormalizeObservation(ScriptedEnv(space, observations))
            env.update_running_mean = mode == "updating"
            if mode == "preset":  # frozen float32 statistics from elsewhere (a checkpoint)
                env.obs_rms.mean = np.full(space.shape, 0.3, np.float32)
                env.obs_rms.var = np.full(space.shape, 2.7, np.float32)
                env.obs_rms.count = 5.0
            outputs, stats = [], []
            for call in SCRIPT:
                obs = env.reset(seed=0)[0] if call == "reset" else env.step(0)[0]
                outputs.append(plain(obs))
                stats.append(rms_state(env.obs_rms))
            out[name][mode] = {"space": space_json(env.observation_space), "values": outputs, "rms": stats}
    write("normalize_observation_spaces", {"script": SCRIPT, "cases": out})


class EchoEnv(gym.Env):
    """Observes the action it was given: shows what an action wrapper passed on."""

    def __init__(self, low, high, dtype):
        self.action_space = spaces.Box(np.array(low, dtype), np.array(high, dtype), dtype=dtype)
        self.observation_space = spaces.Box(-np.inf, np.inf, self.action_space.shape, dtype)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return np.zeros(self.action_space.shape, self.action_space.dtype), {}

    def step(self, action):
        return np.array(action, copy=True), 0.0, False, False, {}


def record_action_wrappers():
    rng = np.random.default_rng(5)
    inner = {"low": [-2.0, 0.1, -1.0, -np.inf], "high": [2.0, 0.7, 3.0, np.inf]}
    cases = []

    def case(name, dtype, wrap, kwargs, actions):
        env = wrap(EchoEnv(inner["low"], inner["high"], dtype))
        env.reset(seed=0)
        actions = [np.asarray(a, dtype) for a in actions]
        passed = [plain(env.step(a)[0]) for a in actions]
        cases.append({"name": name, "dtype": np.dtype(dtype).name, "wrapper": wrap.__name__ if hasattr(wrap, "__name__") else "RescaleAction",
                      "kwargs": kwargs, "action_space": space_json(env.action_space),
                      "actions": [plain(a) for a in actions], "passed": passed})

    wild = [rng.uniform(-4, 4, 4) for _ in range(12)] + [[2.0, 0.7, 3.0, 1e30], [-2.0, 0.1, -1.0, -5.0]]
    case("clip f32", np.float32, ClipAction, {}, wild)
    case("clip f64", np.float64, ClipAction, {}, wild)
    for dtype in (np.float32, np.float64):
        lows = [-1.0, -1.0, -1.0, -np.inf]
        highs = [1.0, 1.0, 1.0, np.inf]
        inside = [rng.uniform(-1, 1, 4) for _ in range(12)] + [[-1, -1, -1, 0], [1, 1, 1, 0]]
        case(f"rescale [-1, 1] {np.dtype(dtype).name}", dtype,
             lambda e: RescaleAction(e, np.array(lows), np.array(highs)), {"min": lows, "max": highs}, inside)
        lows2, highs2 = [0.0, -5.0, 10.0, -np.inf], [1.0, 5.0, 20.0, np.inf]
        odd = [rng.uniform(-3, 25, 4) for _ in range(12)] + [lows2[:3] + [1.5], highs2[:3] + [-1.5]]
        case(f"rescale per component {np.dtype(dtype).name}", dtype,
             lambda e: RescaleAction(e, np.array(lows2), np.array(highs2)), {"min": lows2, "max": highs2}, odd)
    write("action_wrappers", {"inner_action_space": inner, "cases": cases})


if __name__ == "__main__":
    record_running_mean_std()
    record_normalize_observation()
    record_normalize_reward()
    record_composition()
    record_episode_statistics()
    record_frame_stack_cartpole()
    record_spaces()
    record_normalize_observation_spaces()
    record_action_wrappers()

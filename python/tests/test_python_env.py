"""limbic.train(config, env=factory): a user's gymnasium.Env trained by limbic's PPO, stepped from
Rust, with a normal run directory; and the errors of envs limbic cannot train on."""

import json
import sys
import threading
import weakref

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces
from gymnasium.utils.env_checker import check_env

import limbic
from limbic.errors import LimbicError


class Corridor(gym.Env):
    """Walk right from cell 0 to the last cell (reward 1, terminated); each step costs 0.01."""

    def __init__(self, length=6):
        self.length = length
        self.observation_space = spaces.Box(0.0, 1.0, shape=(length,), dtype=np.float32)
        self.action_space = spaces.Discrete(2)
        self.position = 0

    def _obs(self):
        obs = np.zeros(self.length, dtype=np.float32)
        obs[self.position] = 1.0
        return obs

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        self.position = int(self.np_random.integers(0, 2))
        return self._obs(), {}

    def step(self, action):
        self.position = max(0, self.position + (1 if action == 1 else -1))
        terminated = self.position == self.length - 1
        return self._obs(), 1.0 if terminated else -0.01, terminated, False, {}


def corridor():
    return gym.wrappers.TimeLimit(Corridor(), max_episode_steps=30)


CONFIG = {"algo": "ppo", "seed": 0, "total_steps": 4096, "num_envs": 4, "eval_episodes": 5,
          "params": {"n_steps": 128, "batch_size": 128, "n_epochs": 4}}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return limbic.train(CONFIG, env=corridor, out=tmp_path_factory.mktemp("runs") / "corridor")


def test_a_python_env_trains_into_a_normal_run(run_dir):
    with open(f"{run_dir}/config.json") as f:
        assert json.load(f)["env"] == "python:corridor"
    with open(f"{run_dir}/eval.json") as f:
        evaluation = json.load(f)
    # Going right pays 1 - 0.01 * (steps - 1): at least 0.95 from cell 0 or 1; a random walk
    # rarely gets there in 30 steps.
    assert evaluation["episodes"] == 5 and evaluation["mean_return"] > 0.9
    lines = open(f"{run_dir}/metrics.jsonl").read().splitlines()
    assert json.loads(lines[-1])["env_steps"] == 4096


def test_the_run_loads_acts_and_evaluates(run_dir):
    agent = limbic.load(run_dir)
    env = limbic.make("python:corridor")
    obs, _ = env.reset(seed=3)
    total, done = 0.0, False
    while not done:
        action, _ = agent.act(obs)
        obs, reward, terminated, truncated, _ = env.step(action)
        total, done = total + reward, terminated or truncated
    assert terminated and total > 0.9
    assert limbic.evaluate(run_dir, episodes=3, seed=7)["mean_return"] > 0.9
    # Through both boundaries (limbic.make's env over the Rust env over the Python one), the env
    # still passes Gymnasium's checker and gives the Python env's own trajectory.
    check_env(limbic.make("python:corridor"), skip_render_check=True)
    ours, theirs = limbic.make("python:corridor"), corridor()
    for a, b in [(ours.reset(seed=5), theirs.reset(seed=5))] + [(ours.step(1), theirs.step(1)) for _ in range(3)]:
        assert np.array_equal(a[0], b[0]) and a[1:-1] == b[1:-1]


class Target(gym.Env):
    """A point on a line moves by the action (a Box in [-1, 1]); reward -|position|."""

    observation_space = spaces.Box(-5.0, 5.0, shape=(1,), dtype=np.float32)
    action_space = spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float32)

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        self.position = self.np_random.uniform(-3, 3)
        return np.array([self.position], dtype=np.float32), {}

    def step(self, action):
        assert action.shape == (1,) and action.dtype == np.float32 and -1 <= action[0] <= 1
        self.position = float(np.clip(self.position + action[0], -5, 5))
        return np.array([self.position], dtype=np.float32), -abs(self.position), False, False, {}


def target():
    return gym.wrappers.TimeLimit(Target(), max_episode_steps=20)


class Visits(limbic.rewards.Signal):
    """1 / visits of the corridor cell a step reaches."""

    def __init__(self, context):
        super().__init__(context)
        self.visits = np.zeros(context.obs_dim)

    def compute(self, batch):
        cells = batch.next_obs.argmax(axis=2)
        bonus = np.zeros(cells.shape, dtype=np.float32)
        for t, n in zip(*np.nonzero(batch.valid)):
            self.visits[cells[t, n]] += 1
            bonus[t, n] = 1 / self.visits[cells[t, n]]
        return bonus


def test_box_actions_and_a_python_signal_on_a_python_env(tmp_path):
    run = limbic.train({**CONFIG, "total_steps": 1024}, env=target, out=tmp_path / "target")
    assert json.load(open(f"{run}/eval.json"))["mean_length"] == 20
    limbic.rewards.register("visits", Visits)
    run = limbic.train({**CONFIG, "total_steps": 1024, "rewards": [{"name": "visits"}]}, env=corridor,
                       out=tmp_path / "visits")
    lines = [json.loads(line) for line in open(f"{run}/metrics.jsonl")]
    raw = [m["reward/visits/raw_mean"] for m in lines if "reward/visits/raw_mean" in m]
    assert len(raw) == 2 and all(0 < r <= 1 for r in raw)  # 1024 steps / (128 x 4)


def test_an_id_only_gymnasium_has_trains_through_gymnasium_make(tmp_path):
    assert "FrozenLake-v1" not in limbic.ids()
    run = limbic.train({**CONFIG, "total_steps": 1024}, env="FrozenLake-v1", out=tmp_path / "lake")
    assert json.load(open(f"{run}/config.json"))["env"] == "FrozenLake-v1"
    assert limbic.evaluate(run, episodes=2)["episodes"] == 2
    assert limbic.load(run).observation_space == gym.spaces.Discrete(16)


class Watched(Corridor):
    """Counts how many of the observations it returned are still alive at each step."""

    returned, most_alive = [], 0

    def _obs(self):
        obs = super()._obs()
        Watched.returned.append(weakref.ref(obs))
        alive = sum(ref() is not None for ref in Watched.returned[-200:])
        Watched.most_alive = max(Watched.most_alive, alive)
        return obs


def test_a_long_run_frees_what_each_step_made(tmp_path):
    # A vector step holds the GIL for all its sub-envs: each call must free its Python objects
    # when it returns, not when the vector step (or the run) ends.
    limbic.train({**CONFIG, "total_steps": 2048, "eval_episodes": 1}, env=Watched, out=tmp_path / "watched")
    assert len(Watched.returned) > 2048 and Watched.most_alive < 10


class Counted(Corridor):
    """Counts every step taken in this process, training's and evaluation's."""

    steps = 0

    def step(self, action):
        Counted.steps += 1
        if Counted.steps == 100:
            go.set()
        return super().step(action)


go = threading.Event()


def test_other_python_threads_run_while_a_python_env_trains(tmp_path):
    # A thread waits for step 100, then does a short piece of work and notes the step count.
    # With a switch interval longer than any test, the running thread never hands the GIL over
    # by itself: the helper can only run when the run lets the GIL go. Were the GIL held from
    # start to end, it would run only after limbic.train returned, at the final step count.
    finished_at = []

    def helper():
        go.wait()
        assert sum(range(1000)) == 499500  # some Python work
        finished_at.append(Counted.steps)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1000.0)
    thread = threading.Thread(target=helper)
    try:
        thread.start()
        limbic.train({**CONFIG, "total_steps": 2048, "eval_episodes": 1}, env=Counted, out=tmp_path / "counted")
        thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert 100 <= finished_at[0] < Counted.steps


class DictObs(Corridor):
    def __init__(self):
        super().__init__()
        self.observation_space = spaces.Dict({"position": spaces.Discrete(6)})


class TextActions(Corridor):
    def __init__(self):
        super().__init__()
        self.action_space = spaces.Text(5)


class BrokenStep(Corridor):
    def step(self, action):
        raise RuntimeError("the corridor collapsed")


class WrongObservation(Corridor):
    def _obs(self):
        return np.zeros(3, dtype=np.float32)


@pytest.mark.parametrize("factory, expected", [
    (DictObs, r"the observation space is Dict\(.*Box and Discrete spaces"),
    (TextActions, r"the action space is Text\(.*Box and Discrete spaces"),
    (lambda: "not an env", r"must return a gymnasium.Env, got str"),
    (BrokenStep, r"python env `python:BrokenStep` raised in step:(.|\n)*RuntimeError: the corridor collapsed"),
    (WrongObservation, r"reset returned a bad observation: observation of Box.* must have shape \[6\], got shape \[3\]"),
])
def test_envs_limbic_cannot_train_on_are_clear_errors(tmp_path, factory, expected):
    with pytest.raises(LimbicError, match=expected):
        limbic.train(CONFIG, env=factory, out=tmp_path / "bad")


def test_native_ids_and_threads():
    with pytest.raises(LimbicError, match="already registered"):
        limbic.register_env("CartPole-v1", corridor)
    with pytest.raises(LimbicError, match="one thread"):
        limbic.train(CONFIG, env=corridor, threads=2, out="/nonexistent/never-written")
    with pytest.raises(ValueError, match="one thread"):
        limbic.make_vec("python:corridor", 2, threads=2)
    envs = limbic.make_vec("python:corridor", 2)
    envs.reset(seed=0)
    for _ in range(5):
        obs, *_ = envs.step(np.ones(2, dtype=np.int64))
    assert obs.shape == (2, 6) and obs.sum() == 2

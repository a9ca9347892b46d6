"""limbic.rewards.register: a Python class as a reward signal trained with the Rust learners, and
the errors of classes that raise, return the wrong thing or take a built-in's name."""

import json

import gymnasium as gym
import numpy as np
import pytest

import limbic
from limbic.errors import LimbicError

TRAIN = {"env": "CartPole-v1", "algo": "ppo", "seed": 1, "total_steps": 1024, "num_envs": 4,
         "eval_episodes": 1, "params": {"n_steps": 64, "batch_size": 128, "n_epochs": 1}}


class PyCounts(limbic.rewards.Signal):
    """Count-based novelty of CartPole states rounded to `precision` decimals: 1/sqrt(count)."""

    instances = []

    def __init__(self, context, precision=1):
        super().__init__(context)
        self.precision, self.counts, self.observed, self.valid_seen = precision, {}, 0, 0
        PyCounts.instances.append(self)

    def observe(self, step):
        assert step.obs.shape == (1, self.context.num_envs, self.context.obs_dim)
        self.observed += 1

    def compute(self, batch):
        keys = np.round(batch.next_obs, self.precision)
        self.valid_seen += int(batch.valid.sum())
        bonus = np.zeros(batch.valid.shape, dtype=np.float32)
        for t, n in zip(*np.nonzero(batch.valid)):
            key = keys[t, n].tobytes()
            self.counts[key] = self.counts.get(key, 0) + 1
            bonus[t, n] = 1.0 / np.sqrt(self.counts[key])
        return bonus

    def update(self, batch):
        return {"states": len(self.counts)}


def train(tmp_path, name, rewards, **overrides):
    return limbic.train({**TRAIN, "rewards": rewards, **overrides}, out=tmp_path / name)


def metrics(run_dir):
    with open(f"{run_dir}/metrics.jsonl") as f:
        return [json.loads(line) for line in f]


def test_a_python_count_signal_drives_the_intrinsic_metrics(tmp_path):
    limbic.rewards.register("pycounts", PyCounts)
    PyCounts.instances.clear()
    run = train(tmp_path, "pycounts", [{"name": "pycounts", "weight": 0.1, "params": {"precision": 1}}])
    lines = [m for m in metrics(run) if "reward/pycounts/raw_mean" in m]
    assert len(lines) == 4  # 1024 steps / (64 steps x 4 envs)
    raw = [m["reward/pycounts/raw_mean"] for m in lines]
    states = [m["reward/pycounts/states"] for m in lines]
    # Bonuses are 1/sqrt(count) <= 1 and shrink as states repeat; the state count only grows.
    assert all(0 < r <= 1 for r in raw) and raw[-1] < raw[0]
    assert states == sorted(states) and states[0] > 0
    assert all(m["reward/pycounts/weight"] == 0.1 for m in lines)
    signal = PyCounts.instances[-1]
    # observe saw every vector step; compute every valid transition (autoreset steps are not).
    assert signal.observed == 1024 // 4 and 900 < signal.valid_seen <= 1024
    assert sum(signal.counts.values()) == signal.valid_seen
    # Without the signal there is no such stream.
    plain = train(tmp_path, "plain", [])
    assert not any("reward/pycounts/raw_mean" in m for m in metrics(plain))
    # The run loads and evaluates in a process that has the class registered.
    assert limbic.evaluate(run, episodes=1)["episodes"] == 1
    # limbic.rewards.list() shows it beside the built-ins.
    rows = {row["name"]: row for row in limbic.rewards.list()}
    assert rows["pycounts"]["python"] and not rows["counts"]["python"]
    assert rows["pycounts"]["summary"].startswith("Count-based novelty")


class EpisodicSteps(limbic.rewards.Signal):
    """Steps since the episode began, per sub-env; forgets a sub-env's count when its episode ends."""

    memory = "episodic"
    instances = []

    def __init__(self, context):
        super().__init__(context)
        self.steps, self.resets = np.zeros(context.num_envs), []
        EpisodicSteps.instances.append(self)

    def observe(self, step):
        self.steps += 1

    def reset_episode(self, env):
        self.resets.append((env, self.steps[env]))
        self.steps[env] = 0

    def compute(self, batch):
        return np.ones(batch.valid.shape, dtype=np.float32)


def test_an_episodic_signal_hears_each_episode_end(tmp_path):
    limbic.rewards.register("episodic_steps", EpisodicSteps)
    run = train(tmp_path, "episodic", [{"name": "episodic_steps"}])
    resets = EpisodicSteps.instances[-1].resets
    # One reset per episode the run counted, each after a whole CartPole episode (8+ steps).
    assert len(resets) == sum(m["episodes"] for m in metrics(run) if "episodes" in m) > 0
    assert {env for env, _ in resets} == {0, 1, 2, 3} and all(steps >= 8 for _, steps in resets), resets


class Direction(limbic.rewards.Signal):
    """Reads only the `direction` key of MiniGrid's Dict observation."""

    keys = ["direction"]
    seen = []

    def compute(self, batch):
        Direction.seen.append((self.context.obs_dim, self.context.observation_space, batch.next_obs.shape))
        return np.zeros(batch.valid.shape, dtype=np.float32)


def test_a_signal_reads_only_its_keys(tmp_path):
    limbic.rewards.register("direction", Direction)
    config = {"env": "MiniGrid-Empty-5x5-v0", "algo": "ppo", "total_steps": 128, "num_envs": 2, "eval_episodes": 1,
              "params": {"n_steps": 64, "batch_size": 64, "n_epochs": 1}}
    limbic.train(config, out=tmp_path / "keys", rewards=[{"name": "direction"}])
    obs_dim, space, shape = Direction.seen[-1]
    assert space == gym.spaces.Dict({"direction": gym.spaces.Discrete(4)})
    assert shape == (64, 2, obs_dim)


class Raising(limbic.rewards.Signal):
    def compute(self, batch):
        return self.divide(batch)

    def divide(self, batch):
        return 1 / 0


def test_a_raising_class_stops_the_run_with_its_traceback(tmp_path):
    limbic.rewards.register("raising", Raising)
    with pytest.raises(LimbicError) as error:
        train(tmp_path, "raising", [{"name": "raising"}])
    message = str(error.value)
    assert "python signal `raising` raised in compute" in message
    assert "Traceback (most recent call last)" in message and "ZeroDivisionError: division by zero" in message
    assert "in divide" in message and "return 1 / 0" in message


class WrongShape(limbic.rewards.Signal):
    def compute(self, batch):
        return np.zeros(batch.valid.shape[1], dtype=np.float32)


class IntegerBonus(limbic.rewards.Signal):
    def compute(self, batch):
        return np.ones(batch.valid.shape, dtype=np.int64)


class NotFinite(limbic.rewards.Signal):
    def compute(self, batch):
        bonus = np.zeros(batch.valid.shape)
        bonus[2, 3] = np.nan
        return bonus


class ListBonus(limbic.rewards.Signal):
    def compute(self, batch):
        return batch.valid.tolist()


class BadParams(limbic.rewards.Signal):
    def compute(self, batch):
        return np.zeros(batch.valid.shape)


@pytest.mark.parametrize("cls, params, expected", [
    (WrongShape, {}, r"compute must return a float array of shape \(T, N\) = \(64, 4\), got dtype float32, "
                     r"shape \[4\]"),
    (IntegerBonus, {}, r"float array .* got dtype int64, shape \[64, 4\]"),
    (NotFinite, {}, r"compute returned NaN at step 2, sub-env 3 \(bonuses must be finite\)"),
    (ListBonus, {}, r"got an object of type list"),
    (BadParams, {"scale": 2}, r"raised in building it:(.|\n)*TypeError: BadParams takes no parameters, got \['scale'\]"),
])
def test_wrong_results_are_clear_errors(tmp_path, cls, params, expected):
    limbic.rewards.register("faulty", cls)
    with pytest.raises(LimbicError, match=expected):
        train(tmp_path, cls.__name__, [{"name": "faulty", "params": params}])
    assert not (tmp_path / "BadParams").exists()  # a signal that cannot be built leaves no run behind


def test_bad_registrations():
    with pytest.raises(LimbicError, match="`counts` is a built-in signal"):
        limbic.rewards.register("counts", PyCounts)
    with pytest.raises(TypeError, match="compute"):
        limbic.rewards.register("nothing", object)
    with pytest.raises(ValueError, match="signal name"):
        limbic.rewards.register("a:b", PyCounts)

    class Forgetful(PyCounts):
        memory = "sometimes"

    with pytest.raises(ValueError, match="'lifelong' or 'episodic'"):
        limbic.rewards.register("forgetful", Forgetful)
    # An unknown name lists the Python signals too.
    limbic.rewards.register("pycounts", PyCounts)
    with pytest.raises(LimbicError, match="unknown signal `pycount`.*did you mean.*pycounts"):
        limbic.train({**TRAIN, "rewards": [{"name": "pycount"}]}, out="/nonexistent/never-written")

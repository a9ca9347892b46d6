"""limbic.datasets: datasets limbic records open as Minari datasets (minari.load_dataset,
MinariDataset, limbic.datasets.load) with the trajectories Gymnasium's own envs give for the
recorded actions; damaged or missing files are clear errors; reading writes nothing."""

import hashlib
import os
import pathlib
import sys

import gymnasium as gym
import minari
import minigrid  # noqa: F401  (registers the MiniGrid ids)
import numpy as np
import pytest

import limbic
from limbic.errors import DatasetError

RECORDED = {  # dataset id under the root: (env, policy, episodes)
    "limbic/cartpole/scripted-v0": ("CartPole-v1", "scripted", 3),
    "limbic/doorkey/scripted-v0": ("MiniGrid-DoorKey-5x5-v0", "scripted", 2),
    "limbic/pendulum/random-v0": ("Pendulum-v1", "random", 2),
}


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("minari-root")
    for dataset_id, (env, policy, episodes) in RECORDED.items():
        limbic.datasets.record(env, root / dataset_id, policy=policy, episodes=episodes, seed=10, dataset_id=dataset_id)
    return root


@pytest.fixture
def minari_root(root, monkeypatch):
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(root))
    return root


def replay(env_id, seed, actions):
    """Gymnasium's env stepped with the recorded actions: observations, rewards, terminations."""
    env = gym.make(env_id)
    obs, _ = env.reset(seed=seed)
    observations, rewards, terminations, truncations = [obs], [], [], []
    for action in actions:
        obs, reward, terminated, truncated, _ = env.step(action)
        observations.append(obs)
        rewards.append(reward)
        terminations.append(terminated)
        truncations.append(truncated)
    return observations, rewards, terminations, truncations


def check_against_gymnasium(dataset, env_id):
    assert dataset.total_episodes == len(list(dataset.iterate_episodes()))
    for i, episode in enumerate(dataset.iterate_episodes()):
        assert episode.id == i
        observations, rewards, terminations, truncations = replay(env_id, 10 + i, episode.actions)
        if isinstance(episode.observations, dict):  # MiniGrid: image, direction, mission
            assert np.array_equal(episode.observations["image"], np.stack([o["image"] for o in observations]))
            assert np.array_equal(episode.observations["direction"], [o["direction"] for o in observations])
            assert list(episode.observations["mission"]) == [o["mission"] for o in observations]
        else:
            assert episode.observations.dtype == dataset.observation_space.dtype
            assert np.array_equal(episode.observations, np.stack(observations))
        assert np.array_equal(episode.rewards, rewards)
        assert np.array_equal(episode.terminations, terminations)
        assert np.array_equal(episode.truncations, truncations)
        assert terminations[-1] or truncations[-1]


@pytest.mark.parametrize("dataset_id", sorted(RECORDED))
def test_minari_reads_what_limbic_recorded(minari_root, dataset_id):
    env_id = RECORDED[dataset_id][0]
    for dataset in (minari.load_dataset(dataset_id), minari.MinariDataset(minari_root / dataset_id / "data"),
                    limbic.datasets.load(dataset_id), limbic.datasets.load(minari_root / dataset_id)):
        assert isinstance(dataset, minari.MinariDataset)
        assert dataset.total_episodes == RECORDED[dataset_id][2] and dataset.env_spec.id == env_id
        check_against_gymnasium(dataset, env_id)


def same(a, b):
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and a and isinstance(a[0], str):
        return list(a) == list(b)
    return np.asarray(a).dtype == np.asarray(b).dtype and np.array_equal(a, b)


@pytest.mark.parametrize("dataset_id", sorted(RECORDED))
def test_limbics_reader_gives_minaris_episodes(minari_root, dataset_id):
    ours, theirs = limbic.datasets.load(dataset_id, minari=False), minari.load_dataset(dataset_id)
    assert isinstance(ours, limbic.datasets.Dataset)
    assert (ours.total_episodes, ours.total_steps) == (theirs.total_episodes, theirs.total_steps)
    assert ours.observation_space == theirs.observation_space and ours.action_space == theirs.action_space
    assert ours.env_spec == theirs.env_spec and ours.id == theirs.id == dataset_id
    for a, b in zip(ours.iterate_episodes(), theirs.iterate_episodes(), strict=True):
        for field in ("id", "observations", "actions", "rewards", "terminations", "truncations"):
            assert same(getattr(a, field), getattr(b, field)), field
    assert ours.episode_seeds == [10 + i for i in range(ours.total_episodes)]
    assert [e.id for e in ours.filter_episodes(lambda e: e.id > 0)] == list(range(1, ours.total_episodes))
    assert len(ours.sample_episodes(2)) == 2 and len(ours[-1]) == len(theirs[-1])
    check_against_gymnasium(ours, RECORDED[dataset_id][0])


def test_an_hdf5_dataset_through_limbics_reader(tmp_path):
    path = limbic.datasets.record("CartPole-v1", tmp_path / "h5", episodes=2, seed=10, data_format="hdf5")
    dataset = limbic.datasets.load(path, minari=False)
    assert dataset.metadata["data_format"] == "hdf5" and dataset.id == "limbic/CartPole/scripted-v0"
    check_against_gymnasium(dataset, "CartPole-v1")


def test_list_gives_every_dataset_under_the_root(minari_root, tmp_path, monkeypatch):
    listed = limbic.datasets.list()
    assert sorted(listed) == sorted(RECORDED)
    assert listed["limbic/cartpole/scripted-v0"]["total_episodes"] == 3
    assert listed["limbic/cartpole/scripted-v0"]["action_space"] == gym.spaces.Discrete(2)
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path / "nowhere"))
    assert limbic.datasets.list() == {} and not (tmp_path / "nowhere").exists()


def snapshot(folder):
    """Every file and folder under `folder` with its size, time and content hash."""
    state = {}
    for parent, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = os.path.join(parent, name)
            stat = os.stat(path)
            digest = hashlib.sha256(open(path, "rb").read()).hexdigest() if name in files else None
            state[path] = (stat.st_size, stat.st_mtime_ns, digest)
    return state


def test_reading_writes_nothing(minari_root):
    before = snapshot(minari_root.parent)
    for dataset_id in RECORDED:
        for choice in (None, False):
            list(limbic.datasets.load(dataset_id, minari=choice).iterate_episodes())
    limbic.datasets.list()
    assert snapshot(minari_root.parent) == before


@pytest.fixture
def copy(tmp_path):
    """A CartPole dataset to damage."""
    return pathlib.Path(limbic.datasets.record("CartPole-v1", tmp_path / "cartpole", episodes=3, seed=10))


@pytest.mark.parametrize("minari_choice", [None, False])
def test_damaged_or_missing_files_are_errors_naming_them(copy, minari_choice):
    arrow = copy / "data" / "1" / "part-0.arrow"
    data = bytearray(arrow.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit of a number: Arrow itself cannot notice
    arrow.write_bytes(bytes(data))
    with pytest.raises(DatasetError, match=r"data/1/part-0.arrow \(episode 1\): checksum mismatch"):
        limbic.datasets.load(copy, minari=minari_choice)
    arrow.write_bytes(bytes(data[:10]))
    with pytest.raises(DatasetError, match=r"data/1/part-0.arrow \(episode 1\)"):
        limbic.datasets.load(copy, minari=minari_choice)
    arrow.unlink()
    with pytest.raises(DatasetError, match=r"data/1/part-0.arrow|data/1 \(episode 1\): the episode folder has no .arrow"):
        limbic.datasets.load(copy, minari=minari_choice)
    metadata = copy / "data" / "metadata.json"
    metadata.write_text(metadata.read_text().replace('"total_steps":', '"total_steps": 1, "x":'))
    with pytest.raises(DatasetError, match=r"data/metadata.json: checksum mismatch"):
        limbic.datasets.load(copy, minari=minari_choice)
    with pytest.raises(DatasetError, match=r"nowhere/at-all-v0 is not a Minari dataset: it does not exist"):
        limbic.datasets.load(copy / "nowhere" / "at-all-v0", minari=minari_choice)


def test_record_refuses_to_write_over_anything(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(limbic.errors.LimbicError, match="already exists"):
        limbic.datasets.record("CartPole-v1", tmp_path / "mine", episodes=1)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"
    with pytest.raises(limbic.errors.LimbicError, match="data_format `parquet`"):
        limbic.datasets.record("CartPole-v1", tmp_path / "new", data_format="parquet")
    with pytest.raises(limbic.errors.LimbicError, match="neither `scripted`, `random` nor a run directory"):
        limbic.datasets.record("CartPole-v1", tmp_path / "new", policy="expert")
    assert sorted(os.listdir(tmp_path)) == ["mine"]


def test_without_minari_load_gives_limbics_dataset(minari_root, monkeypatch):
    monkeypatch.setitem(sys.modules, "minari", None)  # `import minari` raises ImportError
    dataset = limbic.datasets.load("limbic/doorkey/scripted-v0")
    assert isinstance(dataset, limbic.datasets.Dataset) and dataset.total_episodes == 2
    env = dataset.recover_environment()
    assert isinstance(env, limbic.LimbicEnv) and env.id == "MiniGrid-DoorKey-5x5-v0"
    assert np.array_equal(env.reset(seed=10)[0]["image"], dataset[0].observations["image"][0])
    with pytest.raises(ImportError):
        limbic.datasets.load("limbic/doorkey/scripted-v0", minari=True)

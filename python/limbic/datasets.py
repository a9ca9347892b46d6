"""limbic's datasets (``limbic demos record``) from Python, as Minari datasets.

limbic writes Minari's layout (``<dataset>/data/metadata.json`` and the episodes, ``arrow`` or
``hdf5`` backend), so a limbic dataset is a Minari dataset:

- ``limbic.datasets.load(path_or_id)`` checks the dataset with limbic's reader (every checksum
  limbic wrote, every episode against the spaces; a damaged or missing file raises
  ``limbic.errors.DatasetError`` naming it) and opens it as a ``minari.MinariDataset`` when
  ``minari`` is installed (``pip install "limbic[minari]"``, i.e. ``minari[arrow]`` and
  ``pillow``; ``minari[hdf5]`` for hdf5 datasets), else as a :class:`Dataset` with Minari's episode API read by limbic's native reader
  (``minari=False`` asks for that one, ``minari=True`` for Minari's);
- ``limbic.datasets.list()``: the datasets under Minari's local root, by id;
- ``limbic.datasets.record(env, out, policy=...)``: ``limbic demos record`` from Python.

An id is a path under Minari's local root (``$MINARI_DATASETS_PATH``, else
``~/.minari/datasets``), as ``minari.load_dataset`` finds it: record with
``limbic demos record ... --out ~/.minari/datasets/limbic/cartpole/demo-v0`` and both
``limbic.datasets.load("limbic/cartpole/demo-v0")`` and ``minari.load_dataset`` open it.
Only ``record`` writes (a new dataset, never over anything); reading changes nothing, and
nothing here creates the root folder.
"""

import json
import os
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from gymnasium.envs.registration import EnvSpec

from limbic import _limbic
from limbic.errors import DatasetError
from limbic.spaces import from_json

__all__ = ["load", "list", "record", "root", "Dataset", "EpisodeData", "DatasetError"]


def root():
    """Minari's local datasets folder: ``$MINARI_DATASETS_PATH``, else ``~/.minari/datasets``."""
    return os.environ.get("MINARI_DATASETS_PATH") or os.path.join(os.path.expanduser("~"), ".minari", "datasets")


def path_of(path_or_id):
    """The dataset folder of ``path_or_id``: the path itself if it exists, else the id's folder
    under :func:`root` (which need not exist: reading it then says so)."""
    path = os.fspath(path_or_id)
    if os.path.exists(path) or os.path.isabs(path):
        return path
    return os.path.join(root(), path)


def list(root_dir=None):
    """The datasets under ``root_dir`` (default :func:`root`): ``{id: metadata}`` with the id as
    the dataset's path under the root (what :func:`load` and ``minari.load_dataset`` take) and
    its ``metadata.json`` fields, spaces as Gymnasium spaces. A folder whose ``metadata.json``
    cannot be read is left out with a warning naming the file."""
    base = os.fspath(root_dir) if root_dir is not None else root()
    found = {}
    for folder, dirs, files in os.walk(base):
        if "metadata.json" in files and os.path.basename(folder) == "data":
            dataset = os.path.dirname(folder)
            dirs.clear()  # episode folders hold metadata.json files too
            try:
                _, text = _limbic.read_metadata(dataset)
            except DatasetError as error:
                warnings.warn(f"skipping a dataset limbic cannot read: {error}", stacklevel=2)
                continue
            found[os.path.relpath(dataset, base)] = _metadata(text)
    return dict(sorted(found.items()))


def load(path_or_id, minari=None):
    """The dataset at ``path_or_id`` (a dataset folder, its ``data/`` folder or an id under
    :func:`root`), checked whole by limbic's reader first. ``minari``: None opens it with Minari
    if Minari is installed, True requires Minari, False uses limbic's :class:`Dataset`."""
    path = path_of(path_or_id)
    if minari is None:
        try:
            import minari as _  # noqa: F401
        except ImportError:
            minari = False
    if minari is False:
        return Dataset(path)
    import minari as minari_package

    data_dir, _, _ = _limbic.read_dataset(path, False)
    return minari_package.MinariDataset(data_dir)


def record(env, out, policy="scripted", episodes=10, seed=0, dataset_id=None, data_format="arrow", **kwargs):
    """Records ``episodes`` episodes of ``policy`` (``"scripted"``: the env's expert,
    ``"random"``, or a run directory's trained policy) on ``env`` (made with ``kwargs``), episode
    i reset with ``seed + i``, into a new dataset folder ``out`` (under :func:`root` for
    ``load`` and ``minari.load_dataset`` to find it by id), as ``limbic demos record`` does;
    returns its path. Raises if ``out`` exists."""
    return _limbic.record(env, os.fspath(out), os.fspath(policy), episodes, seed, dataset_id, data_format, json.dumps(kwargs))


@dataclass(frozen=True)
class EpisodeData:
    """One episode, as Minari's ``EpisodeData``: ``observations`` holds T+1 entries (the reset
    observation first), the others T."""

    id: int
    observations: Any
    actions: Any
    rewards: np.ndarray
    terminations: np.ndarray
    truncations: np.ndarray
    infos: dict

    def __len__(self):
        return len(self.rewards)


class Dataset:
    """A dataset read whole by limbic's native reader, with the episode API of
    ``minari.MinariDataset`` (``iterate_episodes``, ``sample_episodes``, ``filter_episodes``,
    indexing, ``total_episodes``/``total_steps``, the spaces, ``env_spec``,
    ``recover_environment``). Episodes' seeds are in ``episode_seeds``."""

    def __init__(self, path):
        self.data_path, text, rows = _limbic.read_dataset(os.fspath(path), True)
        self.metadata = _metadata(text)
        self._keep({row["id"]: row for row in rows})

    def _keep(self, episodes):
        self._episodes = episodes
        self.episode_indices = np.array(sorted(episodes), dtype=np.int64)
        self._generator = np.random.default_rng()

    @property
    def id(self):
        return self.metadata["dataset_id"]

    @property
    def minari_version(self):
        return self.metadata["minari_version"]

    @property
    def observation_space(self):
        return self.metadata["observation_space"]

    @property
    def action_space(self):
        return self.metadata["action_space"]

    @property
    def env_spec(self):
        return self.metadata.get("env_spec")

    @property
    def total_episodes(self):
        return len(self.episode_indices)

    @property
    def total_steps(self):
        return int(sum(len(self._episodes[i]["rewards"]) for i in self.episode_indices))

    @property
    def episode_seeds(self):
        """The reset seed of each episode (None where none was recorded), in index order."""
        return [self._episodes[i]["seed"] for i in self.episode_indices]

    def set_seed(self, seed):
        self._generator = np.random.default_rng(seed)

    def iterate_episodes(self, episode_indices=None):
        indices = self.episode_indices if episode_indices is None else episode_indices
        for index in indices:
            yield self._episode(int(index))

    def sample_episodes(self, n_episodes):
        chosen = self._generator.choice(self.episode_indices, size=n_episodes, replace=False)
        return [self._episode(int(i)) for i in chosen]

    def filter_episodes(self, condition):
        """A dataset of the episodes for which ``condition(episode)`` is true."""
        kept = {int(i): self._episodes[int(i)] for i in self.episode_indices if condition(self._episode(int(i)))}
        subset = object.__new__(Dataset)
        subset.data_path, subset.metadata = self.data_path, self.metadata
        subset._keep(kept)
        return subset

    def recover_environment(self, **kwargs):
        """The recorded environment: limbic's if it has the id, else ``gymnasium.make``'s."""
        import gymnasium

        import limbic

        spec = self.env_spec
        if spec is None:
            raise ValueError(f"dataset {self.id} records no environment (env_spec)")
        kwargs = {**spec.kwargs, **kwargs}
        if spec.id in limbic.ids():
            return limbic.make(spec.id, **kwargs)
        return gymnasium.make(spec.id, **kwargs)

    def _episode(self, index):
        if index not in self._episodes:
            raise IndexError(f"dataset {self.id} has no episode {index}")
        row = self._episodes[index]
        return EpisodeData(**{k: v for k, v in row.items() if k != "seed"})

    def __getitem__(self, position):
        return self._episode(int(self.episode_indices[position]))

    def __len__(self):
        return self.total_episodes

    def __iter__(self):
        return self.iterate_episodes()

    def __repr__(self):
        return f"limbic.datasets.Dataset({self.id!r}, {self.total_episodes} episodes, {self.total_steps} steps)"


def _metadata(text):
    """``metadata.json``'s fields with the spaces as Gymnasium spaces and ``env_spec`` as an
    ``EnvSpec``, as Minari reads them."""
    metadata = json.loads(text)
    for key in ("observation_space", "action_space"):
        metadata[key] = from_json(metadata[key])
    if metadata.get("env_spec") is not None:
        metadata["env_spec"] = EnvSpec.from_json(metadata["env_spec"])
    return metadata

"""Loads datasets limbic wrote with Python Minari and compares every field with what limbic says
it wrote (`limbic demos dump`), and the spaces with Gymnasium's.

    MINARI_DATASETS_PATH=ROOT python check_limbic_datasets.py DATASET_ID DUMP.jsonl [DATASET_ID DUMP.jsonl ...]
"""
import json, sys
import numpy as np, gymnasium as gym, minigrid  # noqa: F401
import popgym  # noqa: F401  (registers the popgym-* ids)
import minari


def as_columns(obs_list, space):
    """The dumped observations (a Tuple as a list) as the columns Minari returns."""
    if isinstance(space, gym.spaces.Dict):
        return {k: [o[k] for o in obs_list] for k in obs_list[0]}
    if isinstance(space, gym.spaces.Tuple):
        return tuple([o[i] for o in obs_list] for i in range(len(space.spaces)))
    return obs_list


def same(a, b, what):
    if isinstance(b, tuple):
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{what}[{i}]")
        return
    if isinstance(b, dict):
        for k in b:
            same(a[k], b[k], f"{what}.{k}")
        return
    if isinstance(a, list) or (isinstance(a, np.ndarray) and a.dtype.kind in "US"):
        assert list(a) == list(b), f"{what} differs"
        return
    a = np.asarray(a)
    b = np.asarray(b, dtype=a.dtype)
    assert a.shape == b.shape, f"{what}: shape {a.shape} vs {b.shape}"
    assert np.array_equal(a, b), f"{what} differs"


def check(dataset_id, dump_path):
    ds = minari.load_dataset(dataset_id)
    dumped = [json.loads(line) for line in open(dump_path)]
    assert ds.total_episodes == len(dumped), (ds.total_episodes, len(dumped))
    assert ds.total_steps == sum(len(e["actions"]) for e in dumped)
    env_id = ds.env_spec.id
    env = gym.make(env_id)
    if not isinstance(env.observation_space, gym.spaces.Dict):
        assert ds.observation_space == env.observation_space, (ds.observation_space, env.observation_space)
    else:  # MiniGrid's MissionSpace has no serialized form: limbic writes a Text space
        assert ds.observation_space["image"] == env.observation_space["image"]
        assert ds.observation_space["direction"] == env.observation_space["direction"]
        assert isinstance(ds.observation_space["mission"], gym.spaces.Text)
    assert ds.action_space == env.action_space
    fields = 0
    for ep, want in zip(ds.iterate_episodes(), dumped):
        assert ep.id == want["id"]
        same(ep.observations, as_columns(want["observations"], ds.observation_space), f"episode {ep.id} observations")
        same(ep.actions, want["actions"], f"episode {ep.id} actions")
        same(ep.rewards, want["rewards"], f"episode {ep.id} rewards")
        same(ep.terminations, want["terminations"], f"episode {ep.id} terminations")
        same(ep.truncations, want["truncations"], f"episode {ep.id} truncations")
        first = {dict: lambda o: o["direction"], tuple: lambda o: o[0]}.get(type(ep.observations), lambda o: o)
        assert len(first(ep.observations)) == len(ep.actions) + 1
        fields += 5
    meta = ds.storage.metadata
    seeds = [m.get("seed") for m in ds.storage.get_episode_metadata(range(ds.total_episodes))]
    assert seeds == [e["seed"] for e in dumped], seeds
    refs = ""
    if "ref_min_score" in meta:
        refs = f", ref_min_score {meta['ref_min_score']:.3f}, ref_max_score {meta['ref_max_score']:.3f}"
        if env_id == "CartPole-v1":  # Minari's own measurement, with the same expert rule
            from minari.utils import get_average_reference_score, RandomPolicy
            expert = lambda o: int(o[2] + 0.5 * o[3] + 0.01 * o[0] + 0.1 * o[1] > 0)
            py_min = get_average_reference_score(gym.make(env_id), RandomPolicy(gym.make(env_id)), 100)
            py_max = get_average_reference_score(gym.make(env_id), expert, 100)
            refs += f" (minari.utils: {py_min:.3f}, {py_max:.3f})"
    returns = [float(np.sum(e.rewards)) for e in ds.iterate_episodes()]
    recovered = ""
    if ds.env_spec.entry_point is not None:
        recovered = f", recover_environment() -> {ds.recover_environment().spec.id}"
    print(f"  OK {dataset_id}: {ds.total_episodes} episodes, {ds.total_steps} steps, {fields} fields equal, "
          f"mean return {np.mean(returns):.3f}{refs}{recovered}")


if __name__ == "__main__":
    args = sys.argv[1:]
    for dataset_id, dump in zip(args[::2], args[1::2]):
        check(dataset_id, dump)

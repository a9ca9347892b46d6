"""Writes small Minari datasets with Python Minari, for limbic to read.

    python write_datasets.py OUT_ROOT [arrow|hdf5]

With arrow (the default): OUT_ROOT/cartpole-v1-v0: 3 episodes of CartPole-v1, uniform random
actions (episode i: reset seed i, action_space.seed(i)); OUT_ROOT/minigrid-empty-5x5-v0: 1
episode of MiniGrid-Empty-5x5-v0 the same way (seed 0); POPGym datasets (popgym 1.0.7): Tuple
observations (popgym-AutoencodeEasy-v0, 2 episodes), MultiDiscrete actions
(popgym-BattleshipEasy-v0, 2) and MultiDiscrete observations (popgym-ConcentrationEasy-v0, 1).
With hdf5 (Minari's default backend): cartpole-v1-hdf5-v0, minigrid-empty-5x5-hdf5-v0 and
babyai-gotolocal-hdf5-v0 (2 episodes of BabyAI-GoToLocal-v0). Each dataset's folder also gets
`expected.json`: every field as Python saw it (Gymnasium's JSON form, a Tuple as a list), for the
comparison on limbic's side. MiniGrid's mission space has no
serialization in Minari, so the Dict space is given with the Text space limbic uses.
"""
import json, os, sys
import numpy as np, gymnasium as gym, minigrid  # noqa: F401  (registers MiniGrid ids)
import popgym  # noqa: F401  (registers the popgym-* ids)
from minari import create_dataset_from_buffers
from minari.data_collector.episode_buffer import EpisodeBuffer

MISSION = gym.spaces.Text(max_length=96, min_length=1, charset="abcdefghijklmnopqrstuvwxyz ,")
# BabyAI missions run longer (limbic's bound: the longest sentence of the Baby Language).
BABYAI_MISSION = gym.spaces.Text(max_length=321, min_length=1, charset="abcdefghijklmnopqrstuvwxyz ,")


def record(env, n):
    buffers, expected = [], []
    for i in range(n):
        obs, _ = env.reset(seed=i)
        env.action_space.seed(i)
        O, A, R, TE, TR = [obs], [], [], [], []
        while True:
            a = env.action_space.sample()
            obs, r, te, tr, _ = env.step(a)
            O.append(obs); A.append(a); R.append(float(r)); TE.append(bool(te)); TR.append(bool(tr))
            if te or tr:
                break
        buffers.append(EpisodeBuffer(id=i, seed=i, observations=column(O), actions=column(A),
                                     rewards=R, terminations=TE, truncations=TR))
        expected.append({"seed": i, "observations": [to_json(o) for o in O], "actions": [to_json(a) for a in A],
                         "rewards": R, "terminations": TE, "truncations": TR})
    return buffers, expected


def column(values):
    """Values stacked as Minari's buffers hold them: a Dict or Tuple part by part, text as a list."""
    if isinstance(values[0], dict):
        return {k: column([v[k] for v in values]) for k in values[0]}
    if isinstance(values[0], tuple):
        return tuple(column([v[i] for v in values]) for i in range(len(values[0])))
    if isinstance(values[0], str):
        return values
    return np.stack([np.asarray(v) for v in values])


def to_json(x):
    if isinstance(x, dict):
        return {k: to_json(v) for k, v in x.items()}
    if isinstance(x, tuple):
        return [to_json(v) for v in x]
    return x if isinstance(x, str) else np.asarray(x).tolist()


def main(root, data_format):
    os.environ["MINARI_DATASETS_PATH"] = root
    sets = [("cartpole-v1", "CartPole-v1", 3), ("minigrid-empty-5x5", "MiniGrid-Empty-5x5-v0", 1)]
    if data_format == "hdf5":
        sets = [(f"{name}-hdf5", env_id, n) for name, env_id, n in sets] + [("babyai-gotolocal-hdf5", "BabyAI-GoToLocal-v0", 2)]
    else:
        sets += [("popgym-autoencode-easy", "popgym-AutoencodeEasy-v0", 2),
                 ("popgym-battleship-easy", "popgym-BattleshipEasy-v0", 2),
                 ("popgym-concentration-easy", "popgym-ConcentrationEasy-v0", 1)]
    for name, env_id, n in sets:
        env = gym.make(env_id)
        buffers, expected = record(env, n)
        space = env.observation_space
        if isinstance(space, gym.spaces.Dict):
            mission = BABYAI_MISSION if env_id.startswith("BabyAI-") else MISSION
            space = gym.spaces.Dict({"direction": space["direction"], "image": space["image"], "mission": mission})
        create_dataset_from_buffers(f"{name}-v0", buffers, env=env, data_format=data_format, observation_space=space,
                                    algorithm_name="uniform random", description=f"{env_id}, random actions")
        with open(os.path.join(root, f"{name}-v0", "expected.json"), "w") as f:
            json.dump(expected, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "arrow")

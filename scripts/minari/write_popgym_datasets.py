"""Writes small Minari datasets (arrow backend) of POPGym envs with Python Minari, for limbic to
read: Tuple observations (Autoencode), MultiDiscrete observations (Concentration) and
MultiDiscrete actions (Battleship).

    python write_popgym_datasets.py OUT_ROOT      (minari 0.5.4, popgym 1.0.7, gymnasium 1.4.0)

OUT_ROOT/<name>-v0/data: episodes of `gym.make(id)` with uniform random actions (episode i:
reset seed i, action_space.seed(i)), and `expected.json` beside `data/`: every field as Python
saw it, in Gymnasium's JSON form (a Tuple as a list).
"""
import json
import os
import sys

import gymnasium as gym
import numpy as np
import popgym  # noqa: F401  (registers the popgym-* ids)
from minari import create_dataset_from_buffers
from minari.data_collector.episode_buffer import EpisodeBuffer


def to_json(x):
    if isinstance(x, tuple):
        return [to_json(v) for v in x]
    return np.asarray(x).tolist()


def column(values):
    """Stacked values; a Tuple's parts stacked one by one, as Minari's buffers hold them."""
    if isinstance(values[0], tuple):
        return tuple(column([v[i] for v in values]) for i in range(len(values[0])))
    return np.stack([np.asarray(v) for v in values])


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


def main(root):
    os.environ["MINARI_DATASETS_PATH"] = root
    for name, env_id, n in [("popgym-autoencode-easy", "popgym-AutoencodeEasy-v0", 2),
                            ("popgym-battleship-easy", "popgym-BattleshipEasy-v0", 2),
                            ("popgym-concentration-easy", "popgym-ConcentrationEasy-v0", 1)]:
        env = gym.make(env_id)
        buffers, expected = record(env, n)
        create_dataset_from_buffers(f"{name}-v0", buffers, env=env, data_format="arrow",
                                    algorithm_name="uniform random", description=f"{env_id}, random actions")
        with open(os.path.join(root, f"{name}-v0", "expected.json"), "w") as f:
            json.dump(expected, f)


if __name__ == "__main__":
    main(sys.argv[1])

"""Writes small Minari datasets with Python Minari, for limbic to read.

    python write_datasets.py OUT_ROOT [arrow|hdf5]

With arrow (the default): OUT_ROOT/cartpole-v1-v0: 3 episodes of CartPole-v1, uniform random
actions (episode i: reset seed i, action_space.seed(i)); OUT_ROOT/minigrid-empty-5x5-v0: 1
episode of MiniGrid-Empty-5x5-v0 the same way (seed 0). With hdf5 (Minari's default backend),
the same as cartpole-v1-hdf5-v0 and minigrid-empty-5x5-hdf5-v0, and babyai-gotolocal-hdf5-v0:
2 episodes of BabyAI-GoToLocal-v0. Each dataset's folder also gets `expected.json`: every field
as Python saw it, for the comparison on limbic's side. MiniGrid's mission space has no
serialization in Minari, so the Dict space is given with the Text space limbic uses.
"""
import json, os, sys
import numpy as np, gymnasium as gym, minigrid  # noqa: F401  (registers MiniGrid ids)
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
        if isinstance(O[0], dict):
            obs_cols = {k: [o[k] for o in O] for k in O[0]}
            obs_cols = {k: (v if k == "mission" else np.stack(v)) for k, v in obs_cols.items()}
            # .tolist() turns arrays and numpy scalars (BabyAI's direction) into plain JSON.
            obs_json = [{k: (v.tolist() if isinstance(v, (np.ndarray, np.generic)) else v) for k, v in o.items()}
                        for o in O]
        else:
            obs_cols = np.stack(O)
            obs_json = [o.tolist() for o in O]
        buffers.append(EpisodeBuffer(id=i, seed=i, observations=obs_cols, actions=np.stack(A),
                                     rewards=R, terminations=TE, truncations=TR))
        expected.append({"seed": i, "observations": obs_json, "actions": [np.asarray(a).tolist() for a in A],
                         "rewards": R, "terminations": TE, "truncations": TR})
    return buffers, expected


def main(root, data_format):
    os.environ["MINARI_DATASETS_PATH"] = root
    sets = [("cartpole-v1", "CartPole-v1", 3), ("minigrid-empty-5x5", "MiniGrid-Empty-5x5-v0", 1)]
    if data_format == "hdf5":
        sets = [(f"{name}-hdf5", env_id, n) for name, env_id, n in sets] + [("babyai-gotolocal-hdf5", "BabyAI-GoToLocal-v0", 2)]
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

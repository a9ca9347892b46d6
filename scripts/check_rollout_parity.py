"""Checks `limbic rollout` against gymnasium 1.4.0 / minigrid 3.2.0 / popgym 1.0.7 on fresh seeds
and actions.

Usage: python scripts/check_rollout_parity.py [--limbic PATH] [--episodes N] [--ids ID ...]
Needs a venv with gymnasium==1.4.0 and minigrid==3.2.0, and popgym==1.0.7 for the popgym-* ids
(none is a dependency of limbic itself). The NoVel ids are rl-zoo's: the Gymnasium env with its
velocity entries multiplied by 0 (rl_zoo3's MaskVelocityWrapper, rebuilt here).
For every id (default: all that `limbic envs --json` lists) it draws seeds and action sequences
no fixture holds, runs both, and compares the reset observation and every step's observation,
reward and flags exactly (observations as float32 values, rewards as Python floats).
"""
import argparse, json, os, subprocess, sys, tempfile
import numpy as np
import gymnasium as gym
import minigrid  # noqa: F401  (registers the MiniGrid ids)

try:
    import popgym  # noqa: F401  (registers the popgym-* ids)
except ImportError:
    popgym = None

NO_VELOCITY = {"CartPoleNoVel-v1": ("CartPole-v1", [1, 3]), "MountainCarNoVel-v0": ("MountainCar-v0", [1]),
               "MountainCarContinuousNoVel-v0": ("MountainCarContinuous-v0", [1]), "PendulumNoVel-v1": ("Pendulum-v1", [2])}


class MaskVelocity(gym.ObservationWrapper):
    def __init__(self, env, indices):
        super().__init__(env)
        self.mask = np.ones_like(env.observation_space.sample())
        self.mask[indices] = 0.0

    def observation(self, observation):
        return observation * self.mask


for _id, (_base, _indices) in NO_VELOCITY.items():
    gym.register(_id, entry_point=lambda base=_base, indices=_indices: MaskVelocity(gym.make(base), indices))


def plain(x):
    if isinstance(x, dict):
        return {k: plain(v) for k, v in sorted(x.items())}
    if isinstance(x, tuple):
        return [plain(v) for v in x]
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating,)):
        return float(x)
    return x


def python_rollout(env_id, seed, actions):
    env = gym.make(env_id)
    obs, _ = env.reset(seed=seed)
    lines = [{"obs": plain(obs)}]
    for a in actions:
        act = np.array(a, dtype=env.action_space.dtype) if isinstance(a, list) else a
        obs, r, term, trunc, _ = env.step(act)
        lines.append({"obs": plain(obs), "reward": float(r), "terminated": bool(term), "truncated": bool(trunc)})
        if term or trunc:
            break
    return lines


def draw_actions(space, rng, n):
    if isinstance(space, gym.spaces.Discrete):
        return [int(space.start + rng.integers(space.n)) for _ in range(n)]
    if isinstance(space, gym.spaces.MultiDiscrete):
        return [[int(s + rng.integers(k)) for k, s in zip(space.nvec, space.start)] for _ in range(n)]
    lo, hi = space.low * 1.5, space.high * 1.5  # beyond the bounds, to exercise clipping
    return [[float(v) for v in rng.uniform(lo, hi).astype(np.float32)] for _ in range(n)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--limbic", default=os.environ.get("LIMBIC", "target/release/limbic"))
    ap.add_argument("--episodes", type=int, default=3)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--seed", type=int, default=20261128)
    ap.add_argument("--ids", nargs="*")
    args = ap.parse_args()
    listed = subprocess.run([args.limbic, "envs", "--json"], capture_output=True, text=True, check=True)
    ids = args.ids or [json.loads(l)["id"] for l in listed.stdout.splitlines()]
    rng = np.random.default_rng(args.seed)
    failures, steps = 0, 0
    for env_id in ids:
        space = gym.make(env_id).action_space
        for _ in range(args.episodes):
            seed = int(rng.integers(10_000, 2**31))
            actions = draw_actions(space, rng, args.steps)
            expected = python_rollout(env_id, seed, actions)
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
                json.dump(actions, f)
            out = subprocess.run([args.limbic, "rollout", "--env", env_id, "--seed", str(seed), "--actions", f.name],
                                 capture_output=True, text=True)
            os.unlink(f.name)
            got = [json.loads(l) for l in out.stdout.splitlines()]
            steps += len(expected) - 1
            if out.returncode != 0 or got != expected:
                failures += 1
                first = next((i for i, (a, b) in enumerate(zip(got, expected)) if a != b), min(len(got), len(expected)))
                print(f"MISMATCH {env_id} seed={seed} at line {first} (limbic {len(got)} lines, python {len(expected)}); {out.stderr.strip()[:200]}")
        print(f"{env_id}: {args.episodes} episodes checked", flush=True)
    print(f"{len(ids)} ids, {steps} steps, {failures} mismatching episodes")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

"""Records MiniGrid 3.2.0 reference data for limbic's BabyAI parity tests: the levels (layouts,
missions, step limits, trajectories through the verifier) and the BabyAI bot's decisions.

Run with the reference venv (gymnasium 1.4.0, minigrid 3.2.0, numpy 2.x):

    /work/venvs/babyai/bin/python scripts/record_babyai_fixtures.py [OUT_DIR]

Writes three files under tests/fixtures/babyai/ (the encodings of record_gridworld_fixtures.py):

- layouts.json: per id (every BabyAI id and MiniGrid-Playground-v0), seeds 0..LAYOUT_SEEDS-1,
  one FNV-1a 64 hash per reset of: the grid encoding [x][y][c], agent x, y, direction, the
  carried object's encoding (empty if none), max_steps as 4 little-endian bytes, the mission;
  plus seed 0's mission and pprint_grid().
- trajectories.json: per id and seed, STEPS_PER_RUN steps re-resetting with seed=None after each
  episode; actions are biased random (seeds 0, 1) or the bot's with noise (seeds 2, 3). Same
  record layout as the gridworld trajectories, plus each episode's max_steps.
- bot.json: per id, BOT_SEEDS episodes driven by `BabyAIBot.replan()`, and NOISY_SEEDS episodes
  in which a random action replaces the bot's with probability NOISE and is passed back as
  `replan(action_taken)` (DAgger's use). Per episode: the seed, the actions taken and the bot's
  suggestions (one digit each), and the error the bot raised, if any ("" if none).
"""

import json
import os
import signal
import struct
import sys

import gymnasium as gym
import minigrid
import numpy as np
from minigrid.utils.baby_ai_bot import BabyAIBot

sys.path.insert(0, os.path.dirname(__file__))
from record_gridworld_fixtures import action_weights, carried, digits, episode_init, fnv1a64  # noqa: E402

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "babyai")
LAYOUT_SEEDS = 60
TRAJECTORY_SEEDS = ((0, False), (1, False), (2, True), (3, True))
STEPS_PER_RUN = 150
IMAGE_EVERY = 10
BOT_SEEDS = 12
NOISY_SEEDS = 4
NOISE = 0.25


class Stuck(Exception):
    """The bot replanned for longer than REPLAN_SECONDS: its subgoal stack grows without end."""


REPLAN_SECONDS = 2.0


def _stuck(signum, frame):
    raise Stuck()


def replan(bot, action_taken):
    """`bot.replan(action_taken)`, or Stuck if it never returns."""
    signal.signal(signal.SIGALRM, _stuck)
    signal.setitimer(signal.ITIMER_REAL, REPLAN_SECONDS)
    try:
        return int(bot.replan(action_taken))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def ids():
    out = sorted(k for k in gym.registry if k.startswith("BabyAI-"))
    return out + ["MiniGrid-Playground-v0"]


def layout_bytes(u):
    x, y = (int(v) for v in u.agent_pos)
    head = u.grid.encode().tobytes() + bytes([x, y, int(u.agent_dir)])
    carry = b"" if u.carrying is None else bytes(u.carrying.encode())
    return head + carry + struct.pack("<I", int(u.max_steps)) + u.mission.encode("utf-8")


def layouts(env_id):
    env = gym.make(env_id)
    u = env.unwrapped
    hashes = []
    for seed in range(LAYOUT_SEEDS):
        env.reset(seed=seed)
        hashes.append(fnv1a64(layout_bytes(u)))
    env.reset(seed=0)
    return {"id": env_id, "seeds": LAYOUT_SEEDS, "hashes": "".join(hashes), "mission_seed0": u.mission,
            "text_seed0": u.pprint_grid()}


class Driver:
    """The bot's action with noise, or a biased random one once the bot has failed."""

    def __init__(self, env, rng, noise):
        self.env, self.rng, self.noise = env, rng, noise
        self.bot, self.taken, self.suggested = None, None, None

    def start(self):
        self.bot, self.taken, self.suggested = (None, None, None) if self.noise is None else (self.make_bot(), None, None)

    def make_bot(self):
        try:
            return BabyAIBot(self.env)
        except Exception:
            return None

    def act(self):
        u = self.env.unwrapped
        n = int(self.env.action_space.n)
        if self.bot is not None:
            try:
                back = self.taken if self.taken != self.suggested else None
                self.suggested = replan(self.bot, back)
            except Exception:
                self.bot = None
        if self.bot is not None and self.rng.random() >= self.noise:
            self.taken = self.suggested
        else:
            self.taken = int(self.rng.choice(n, p=action_weights(u, n)))
        return self.taken


def trajectory(env_id, seed, planned):
    env = gym.make(env_id)
    u = env.unwrapped
    rng = np.random.default_rng(20_000 + seed)
    driver = Driver(env, rng, 0.2 if planned else None)
    obs, _ = env.reset(seed=seed)
    driver.start()

    def new_episode(obs):
        init = episode_init(obs, u)
        init["max_steps"] = int(u.max_steps)
        init["carrying"] = carried(u)
        return {"init": init, "steps": [], "images": {}}

    episodes = [new_episode(obs)]
    for _ in range(STEPS_PER_RUN):
        ep = episodes[-1]
        a = driver.act()
        obs, r, term, trunc, _ = env.step(a)
        x, y = (int(v) for v in u.agent_pos)
        image = np.asarray(obs["image"], dtype=np.uint8)
        ep["steps"].append([a, repr(float(r)), int(term), int(trunc), x, y, int(u.agent_dir), carried(u),
                            fnv1a64(image.tobytes())])
        if len(ep["steps"]) % IMAGE_EVERY == 0:
            ep["images"][str(len(ep["steps"]) - 1)] = digits(image)
        if term or trunc:
            obs, _ = env.reset()
            driver.start()
            episodes.append(new_episode(obs))
    return {"id": env_id, "kwargs": {}, "seed": seed, "planned": planned, "episodes": episodes}


def bot_episode(env_id, seed, noise):
    env = gym.make(env_id)
    rng = np.random.default_rng(30_000 + seed)
    env.reset(seed=seed)
    taken, suggested, error, success = [], [], "", False
    try:
        bot = BabyAIBot(env)
        back = None
        while True:
            s = replan(bot, back)
            a = s if noise == 0 or rng.random() >= noise else int(rng.integers(0, 7))
            suggested.append(s)
            taken.append(a)
            back = a if a != s else None
            _, r, term, trunc, _ = env.step(a)
            if term or trunc:
                success = bool(term and r > 0)
                break
    except Exception as e:  # the bot's own failures (DisappearedBoxError, assertions, Stuck)
        error = type(e).__name__
    return {"seed": seed, "noise": noise, "taken": "".join(map(str, taken)),
            "suggested": "".join(map(str, suggested)), "error": error, "success": success}


def main():
    os.makedirs(OUT, exist_ok=True)
    versions = {"gymnasium": gym.__version__, "minigrid": minigrid.__version__, "numpy": np.__version__}
    all_ids = ids()
    lay = {"versions": versions,
           "hash": "fnv1a64(grid [x][y][c] + [x, y, dir] + carried + max_steps u32 LE + mission)", "envs": []}
    for env_id in all_ids:
        lay["envs"].append(layouts(env_id))
        print("layouts", env_id, flush=True)
    with open(os.path.join(OUT, "layouts.json"), "w") as f:
        json.dump(lay, f, separators=(",", ":"))
    traj = {"versions": versions, "records": []}
    for env_id in all_ids:
        for seed, planned in TRAJECTORY_SEEDS:
            traj["records"].append(trajectory(env_id, seed, planned))
        print("trajectories", env_id, flush=True)
    with open(os.path.join(OUT, "trajectories.json"), "w") as f:
        json.dump(traj, f, separators=(",", ":"))
    bots = {"versions": versions, "levels": []}
    for env_id in all_ids:
        if not env_id.startswith("BabyAI-"):
            continue
        eps = [bot_episode(env_id, s, 0.0) for s in range(BOT_SEEDS)]
        eps += [bot_episode(env_id, 1000 + s, NOISE) for s in range(NOISY_SEEDS)]
        bots["levels"].append({"id": env_id, "episodes": eps})
        errors = sum(1 for e in eps if e["error"])
        print(f"bot {env_id} steps={sum(len(e['taken']) for e in eps)} errors={errors}", flush=True)
    with open(os.path.join(OUT, "bot.json"), "w") as f:
        json.dump(bots, f, separators=(",", ":"))


if __name__ == "__main__":
    main()

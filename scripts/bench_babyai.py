"""BabyAI benchmarks on Python MiniGrid 3.2.0, one JSON line per level, the protocol of
environments/benches/babyai.rs (bench/compare_babyai.sh runs both):

    python scripts/bench_babyai.py bot N [FILTER]     # BabyAIBot over reset seeds 0..N
    python scripts/bench_babyai.py env STEPS [FILTER] # env steps/s, random actions

bot: success = terminated with a positive reward; errors = the bot raised (DisappearedBoxError,
an assertion, or a replan that took over REPLAN_SECONDS: the bot loops); demos/s counts bot and
env together. env: uniformly random actions (numpy default_rng(7)), reset when an episode ends.
"""
import json
import signal
import sys
import time

import gymnasium as gym
import minigrid  # noqa: F401  (registers the ids)
import numpy as np
from minigrid.utils.baby_ai_bot import BabyAIBot

# A stuck bot grows its stack without end; a sound replan takes milliseconds, but under heavy
# load one GoTo replan was seen to take 0.7 s, so the limit leaves room (BENCHMARKS.md used 1 s).
REPLAN_SECONDS = 5.0


class Stuck(Exception):
    pass


def _stuck(signum, frame):
    raise Stuck()


def levels(filt):
    return [k for k in gym.registry if k.startswith("BabyAI-") and filt in k]


def bot(env_id, seeds):
    env = gym.make(env_id)
    signal.signal(signal.SIGALRM, _stuck)
    successes = errors = steps = 0
    start = time.perf_counter()
    for seed in range(seeds):
        env.reset(seed=seed)
        try:
            b = BabyAIBot(env)
            while True:
                signal.setitimer(signal.ITIMER_REAL, REPLAN_SECONDS)
                try:
                    a = b.replan()
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
                _, r, term, trunc, _ = env.step(a)
                steps += 1
                if term or trunc:
                    successes += int(term and r > 0)
                    break
        except Exception:
            errors += 1
    seconds = time.perf_counter() - start
    print(json.dumps({"id": env_id, "episodes": seeds, "success": successes, "errors": errors, "steps": steps,
                      "seconds": round(seconds, 4)}), flush=True)


def env_throughput(env_id, steps):
    env = gym.make(env_id)
    acts = np.random.default_rng(7).integers(0, 7, size=steps)
    env.reset(seed=0)
    start = time.perf_counter()
    for a in acts:
        _, _, term, trunc, _ = env.step(int(a))
        if term or trunc:
            env.reset()
    print(json.dumps({"id": env_id, "steps": steps, "step_per_s": round(steps / (time.perf_counter() - start))}),
          flush=True)


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "bot"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else (20_000 if mode == "env" else 100)
    filt = sys.argv[3] if len(sys.argv) > 3 else ""
    for env_id in levels(filt):
        (env_throughput if mode == "env" else bot)(env_id, n)


if __name__ == "__main__":
    main()

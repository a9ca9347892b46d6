"""Runs with parts registered from Python (a user's env, a Python reward signal) record so in
their config, and a fresh process opens, evaluates and resumes them once it is given those
parts; without them it says which Python call opens the run (as the command line does)."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import limbic
from test_python_env import CONFIG, corridor


class Bonus(limbic.rewards.Signal):
    """The observation's absolute sum."""

    def compute(self, batch):
        return np.abs(batch.next_obs).sum(axis=2).astype(np.float32)


RUN = {**CONFIG, "total_steps": 1024, "checkpoint_every": 512, "eval_episodes": 2}


def fresh_process(code):
    """Runs ``code`` in a new Python (nothing registered) and returns what it printed as JSON."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          cwd=os.path.dirname(__file__))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def env_steps(run):
    return json.loads(open(f"{run}/metrics.jsonl").read().splitlines()[-1])["env_steps"]


def test_a_python_env_run_opens_in_a_fresh_process_given_the_factory(tmp_path):
    run = limbic.train(RUN, env=corridor, out=tmp_path / "env")
    assert json.load(open(f"{run}/config.json"))["from_python"] == {"env": True}
    result = fresh_process(f"""
        import json, limbic
        from limbic.errors import LimbicError
        from test_python_env import corridor
        try:
            limbic.evaluate({str(run)!r})
            unregistered = None
        except LimbicError as e:
            unregistered = str(e)
        evaluation = limbic.evaluate({str(run)!r}, episodes=3, seed=7, env=corridor)
        agent = limbic.load({str(run)!r})
        action, _ = agent.act(limbic.make("python:corridor").reset(seed=0)[0])
        resumed = limbic.train(resume={str(run)!r}, env=corridor, total_steps=2048)
        print(json.dumps({{"unregistered": unregistered, "episodes": evaluation["episodes"],
                           "action": int(action), "resumed": resumed}}))
    """)
    assert "environment `python:corridor` was registered from Python" in result["unregistered"]
    assert "limbic.evaluate(run_dir, env=factory)" in result["unregistered"]
    assert result["episodes"] == 3 and result["action"] in (0, 1)
    assert result["resumed"] == str(run) and env_steps(run) == 2048


def test_a_python_signal_run_opens_in_a_fresh_process_once_registered(tmp_path):
    limbic.rewards.register("bonus", Bonus)
    run = limbic.train({**RUN, "env": "CartPole-v1", "rewards": [{"name": "bonus", "weight": 0.01}]},
                       out=tmp_path / "signal")
    assert json.load(open(f"{run}/config.json"))["from_python"] == {"rewards": ["bonus"]}
    result = fresh_process(f"""
        import json, limbic
        from limbic.errors import LimbicError
        from test_python_runs import Bonus
        try:
            limbic.load({str(run)!r})
            unregistered = None
        except LimbicError as e:
            unregistered = str(e)
        limbic.rewards.register("bonus", Bonus)
        evaluation = limbic.evaluate({str(run)!r})
        resumed = limbic.train(resume={str(run)!r}, total_steps=1536)
        print(json.dumps({{"unregistered": unregistered, "episodes": evaluation["episodes"], "resumed": resumed}}))
    """)
    assert "reward signal `bonus` was registered from Python" in result["unregistered"]
    assert 'limbic.rewards.register("bonus", cls); limbic.evaluate(run_dir)' in result["unregistered"]
    assert result["episodes"] == 2 and env_steps(run) == 1536


def test_native_runs_record_nothing_and_resume_takes_no_config(tmp_path):
    run = limbic.train({**RUN, "env": "CartPole-v1"}, out=tmp_path / "native")
    assert "from_python" not in json.load(open(f"{run}/config.json"))
    with pytest.raises(TypeError, match="takes no config"):
        limbic.train(RUN, resume=run)
    with pytest.raises(TypeError, match="only env= and total_steps="):
        limbic.train(resume=run, seed=3)
    assert limbic.train(resume=run, total_steps=1536) == str(run) and env_steps(run) == 1536

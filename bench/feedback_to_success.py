"""What a run took to reach 0.9 success, from its metrics.jsonl: one JSON line.

    python3 bench/feedback_to_success.py RUN_DIR ENV SETTING SEED SECONDS

`eval`: the first evaluation (deterministic, 20 episodes) with a success rate >= 0.9; `train`:
the first update whose mean return over the last 100 training episodes is >= 0.9 (MiniGrid
pays at most 1, and only for success, so that is >= 90% successes). Each gives the env steps,
the training episodes finished and the labels given by then (None: never reached).
"""
import json
import sys


def main(run, env, setting, seed, seconds):
    lines = [json.loads(line) for line in open(f"{run}/metrics.jsonl")]
    episodes, reached = 0, {"eval": None, "train": None}
    labels = lambda line: next((v for k, v in line.items() if k.endswith("/labels")), 0)
    for line in lines:
        episodes += line.get("episodes", 0)
        at = {"steps": line["env_steps"], "episodes": episodes, "labels": labels(line)}
        if reached["eval"] is None and line.get("eval/success_rate", 0) >= 0.9:
            reached["eval"] = at
        if reached["train"] is None and line.get("return_mean_100", 0) >= 0.9:
            reached["train"] = at
    evals = [line["eval/success_rate"] for line in lines if "eval/success_rate" in line]
    last = [line for line in lines if "entropy" in line][-1]
    print(json.dumps({
        "env": env, "setting": setting, "seed": int(seed), **reached,
        "evals_at_0.9": f"{sum(s >= 0.9 for s in evals)}/{len(evals)}",
        "final_eval_success": evals[-1] if evals else None,
        "final_train_return": round(last.get("return_mean_100", 0), 3),
        "labels": labels(last), "entropy": round(last["entropy"], 2),
        "seconds": round(float(seconds), 1), "load": open("/proc/loadavg").read().split()[0],
    }))


if __name__ == "__main__":
    main(*sys.argv[1:])

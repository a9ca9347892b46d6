#!/usr/bin/env python3
"""Figure and table of the FourRooms transfer experiment from `cargo bench --bench fourrooms_transfer`.

    python3 bench/fourrooms_transfer.py CSV [--bin 20] [--switch 1000] [--png bench/figures/fourrooms_transfer.png]

Episodes are binned (`--bin` episodes); each seed's mean length per bin, then the mean over
seeds with a 95% confidence band (Student's t, n - 1 degrees of freedom). Prints a Markdown
table of the mean steps per episode over windows before and after the goal moves. Needs numpy
and matplotlib (a venv, not a dependency of limbic).
"""

import argparse
import csv
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

# Two-sided 97.5% quantiles of Student's t by degrees of freedom.
T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
        19: 2.093, 29: 2.045}


def ci(values):
    n = len(values)
    mean = float(np.mean(values))
    if n < 2:
        return mean, 0.0
    t = T975.get(n - 1, 1.96)
    return mean, t * float(np.std(values, ddof=1)) / np.sqrt(n)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("csv")
    ap.add_argument("--bin", type=int, default=20)
    ap.add_argument("--switch", type=int, default=1000)
    ap.add_argument("--png", default="bench/figures/fourrooms_transfer.png")
    args = ap.parse_args()
    runs = defaultdict(lambda: defaultdict(list))
    with open(args.csv) as f:
        for row in csv.DictReader(f):
            runs[row["agent"]][int(row["seed"])].append(int(row["length"]))
    fig, ax = plt.subplots(figsize=(8, 4.5))
    windows = [(args.switch - 100, args.switch), (args.switch, args.switch + 50),
               (args.switch + 50, args.switch + 200), (args.switch + 900, args.switch + 1000)]
    print("| agent | seeds | " + " | ".join(f"episodes {a}-{b}" for a, b in windows) + " |")
    print("|---|---|" + "---|" * len(windows))
    for agent, seeds in runs.items():
        lengths = np.array([seeds[s] for s in sorted(seeds)], dtype=float)
        bins = lengths.shape[1] // args.bin
        per_seed = lengths[:, : bins * args.bin].reshape(len(seeds), bins, args.bin).mean(axis=2)
        stats = [ci(per_seed[:, b]) for b in range(bins)]
        x = (np.arange(bins) + 0.5) * args.bin
        mean = np.array([m for m, _ in stats])
        half = np.array([h for _, h in stats])
        line, = ax.plot(x, mean, label=f"{agent} ({len(seeds)} seeds)")
        ax.fill_between(x, np.maximum(mean - half, 1), mean + half, color=line.get_color(), alpha=0.2)
        cells = []
        for a, b in windows:
            m, h = ci(lengths[:, a:b].mean(axis=1))
            cells.append(f"{m:.1f} ± {h:.1f}")
        print(f"| {agent} | {len(seeds)} | " + " | ".join(cells) + " |")
    ax.axvline(args.switch, color="grey", linestyle="--", linewidth=1)
    ax.set_yscale("log")
    ax.set_xlabel("episode")
    ax.set_ylabel(f"steps per episode (mean of {args.bin}-episode bins)")
    ax.set_title("Fourrooms-v0 transfer: goal moved at episode %d (95%% CI over seeds)" % args.switch)
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.png, dpi=100)


if __name__ == "__main__":
    main()

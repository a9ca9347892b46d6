"""limbic sweeps on a Ray cluster: one Ray task per run.

``limbic.ray.sweep(sweep_file, out, address, limbic="limbic")`` (and ``limbic sweep FILE --backend ray
--address ADDR``, which runs ``python -m limbic.ray``) asks the limbic binary for the sweep's
pending runs and submits each as a Ray task running ``limbic sweep FILE --out OUT --job ID``: it
trains (or resumes from the run's last checkpoint) and evaluates, appends its row to
``OUT/results.jsonl`` and returns it. ``OUT`` must be a path every node sees; a task whose
worker dies is retried by Ray and resumes from the checkpoint there (``python -m limbic.ray``
lists those runs), and a run whose row is already written is never run again. The driver only
connects to the cluster (``ray.init(address=...)``) and disconnects: it starts and stops no Ray
process. Needs ``ray`` (not a dependency of the package).
"""

import argparse
import json
import os
import socket
import subprocess
import sys

__all__ = ["sweep"]


def _check_reachable(address, timeout_s=5.0):
    """Fails fast, naming the address, where nothing listens at HOST:PORT."""
    host, _, port = address.rpartition(":")
    if not port.isdigit():
        raise ValueError(f"Ray address {address!r}: expected HOST:PORT, e.g. 127.0.0.1:6379")
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout_s).close()
    except OSError as e:
        raise ConnectionError(f"cannot reach the Ray cluster at {address}: {e}") from None


def _limbic(limbic, *args):
    """Runs the limbic binary; its (stdout, stderr), or a RuntimeError with its last stderr line."""
    done = subprocess.run([limbic, *args], capture_output=True, text=True)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or [f"exited with status {done.returncode}"]
        raise RuntimeError(f"limbic {' '.join(args)}: {lines[-1]}")
    return done.stdout, done.stderr


def _run(limbic, sweep_file, out, job):
    """One run (the Ray task): its result row, and the line saying which checkpoint it resumed
    from when an earlier try of it was lost (None otherwise)."""
    stdout, stderr = _limbic(limbic, "sweep", sweep_file, "--out", out, "--job", job)
    row = json.loads([line for line in stdout.splitlines() if line.startswith("{")][-1])
    resumed = [line for line in stderr.splitlines() if line.startswith(f"{job}: resuming from ")]
    return row, (resumed or [None])[0]


def sweep(sweep_file, out, address, limbic="limbic", max_retries=3, report=True, resumed=None):
    """Runs the sweep's pending runs as Ray tasks on the cluster at ``address`` and returns
    their rows; with ``report``, then writes the table and plot (``limbic sweep`` locally).
    ``resumed``, a list, gets a line for each run that went on from an earlier try's checkpoint."""
    _check_reachable(address)
    import ray

    sweep_file, out = os.path.abspath(sweep_file), os.path.abspath(out)
    pending = _limbic(limbic, "sweep", sweep_file, "--out", out, "--pending")[0].split()
    ray.init(address=address, logging_level="ERROR", log_to_driver=False)
    try:
        task = ray.remote(num_cpus=1, max_retries=max_retries)(_run)
        results = ray.get([task.remote(limbic, sweep_file, out, job) for job in pending])
    finally:
        ray.shutdown()
    if resumed is not None:
        resumed.extend(line for _, line in results if line is not None)
    if report:
        _limbic(limbic, "sweep", sweep_file, "--out", out, "--quiet")
    return [row for row, _ in results]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m limbic.ray", description=__doc__.splitlines()[0])
    parser.add_argument("sweep_file")
    parser.add_argument("--out", required=True)
    parser.add_argument("--address", required=True)
    parser.add_argument("--limbic", default="limbic", help="the limbic binary")
    args = parser.parse_args(argv)
    resumed = []
    try:
        rows = sweep(args.sweep_file, args.out, args.address, limbic=args.limbic, report=False, resumed=resumed)
    except (ConnectionError, ValueError, RuntimeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"{len(rows)} run(s) finished on {args.address}, {len(resumed)} resumed from a checkpoint", file=sys.stderr)
    for line in resumed:
        print(f"  {line}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

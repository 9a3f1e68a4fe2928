#!/usr/bin/env python3
"""Paint a long video on many machines: plan, one Ray task per segment, join.

    stylize-ray IN -o OUT --segments N [--address ADDR] [--work DIR] [STYLIZE-VIDEO-OPTIONS...]

1. `stylize plan` cuts IN on keyframes (at scene cuts where it can) into segments.
2. Each segment is one task: `stylize video IN --from F --to T` into the work folder, with the
   segment's warm-up frames before it. Tasks run on Ray (a local Ray started here, or the cluster
   at --address); a task whose process dies or fails is retried. Without Ray installed, or with
   --local, the same tasks run on this machine.
3. `stylize join` copies the painted segments into OUT (no re-encoding) with IN's audio and checks
   every frame against IN.

IN, the work folder and the stylize binary must be at the same paths on every machine (a shared
folder); see docs/scale-out.md. Painted segments already in the work folder are kept, so running
the same command again after a failure only paints what is missing.
"""

import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent


def say(message):
    print(f"stylize-ray: {message}", file=sys.stderr, flush=True)


def fail(message):
    say(f"error: {message}")
    sys.exit(1)


def find_stylize(explicit):
    if explicit:
        return str(Path(explicit).resolve())
    for candidate in (shutil.which("stylize"), REPOSITORY / ".build/release/stylize"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return str(Path(candidate).resolve())
    fail("no stylize binary: install it (scripts/install.sh), build it (swift build -c release) or give --stylize PATH")


def format_duration(seconds):
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else f"{seconds // 60}:{seconds % 60:02d}"


def paint_segment(command, output):
    """Runs one segment's `stylize video` (a Ray task, or a local one). Returns its figures;
    raises when stylize fails, so the executor retries it."""
    if Path(output).is_file():
        return {"output": output, "seconds": 0.0, "skipped": True, "host": os.uname().nodename}
    started = time.monotonic()
    result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        raise RuntimeError(f"{Path(output).name}: stylize exited with {result.returncode}"
                           + (f": {lines[-1]}" if lines else ""))
    if not Path(output).is_file():
        raise RuntimeError(f"{Path(output).name}: stylize succeeded but wrote no file")
    return {"output": output, "seconds": time.monotonic() - started, "skipped": False, "host": os.uname().nodename}


class Progress:
    """One line per finished segment: segments and frames done, elapsed time and ETA."""

    def __init__(self, plan):
        self.total_frames = plan["frames"]
        self.total_segments = len(plan["segments"])
        self.frames = 0
        self.segments = 0
        self.painted_frames = 0
        self.started = time.monotonic()

    def done(self, segment, result):
        self.segments += 1
        self.frames += segment["frames"]
        if not result["skipped"]:
            self.painted_frames += segment["frames"]
        elapsed = time.monotonic() - self.started
        left = self.total_frames - self.frames
        eta = f", ETA {format_duration(elapsed / self.painted_frames * left)}" if self.painted_frames and left else ""
        how = "kept from an earlier run" if result["skipped"] else f"{result['seconds']:.1f} s on {result['host']}"
        say(f"segment {segment['index']} done ({how}); {self.segments}/{self.total_segments} segments, "
            f"{self.frames}/{self.total_frames} frames, {format_duration(elapsed)} elapsed{eta}")


def run_local(tasks, retries, workers, progress):
    """The executor without Ray: `workers` segments at a time on this machine, each retried."""

    def attempt(task):
        for round in range(retries + 1):
            try:
                return paint_segment(task["command"], task["output"])
            except RuntimeError as error:
                if round == retries:
                    raise
                say(f"{error}; retrying ({round + 1} of {retries})")

    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(attempt, task): task for task in tasks}
        for future in concurrent.futures.as_completed(futures):
            task = futures[future]
            results[task["segment"]["index"]] = future.result()
            progress.done(task["segment"], results[task["segment"]["index"]])
    return results


def run_ray(ray, tasks, retries, progress):
    remote = ray.remote(paint_segment)
    pending = {}
    for task in tasks:
        ref = remote.options(num_cpus=task["segment"]["cpus"], max_retries=retries, retry_exceptions=True).remote(
            task["command"], task["output"])
        pending[ref] = task
    results = {}
    while pending:
        done, _ = ray.wait(list(pending), num_returns=1)
        task = pending.pop(done[0])
        try:
            result = ray.get(done[0])
        except Exception as error:  # the task failed on every try
            for ref in pending:
                ray.cancel(ref, force=True)
            cause = getattr(error, "cause", None) or error
            raise RuntimeError(f"segment {task['segment']['index']} failed {retries + 1} times: {cause}") from None
        results[task["segment"]["index"]] = result
        progress.done(task["segment"], result)
    return results


def start_ray(address, local_cpus):
    """Ray connected (to `address`, or a local one started here), or None when Ray is not installed
    and no address was asked for."""
    try:
        import ray
    except ImportError:
        if address:
            fail("--address needs Ray here: run Distributed/setup.sh")
        say("Ray is not installed here (Distributed/setup.sh installs it): painting the segments on this machine")
        return None
    try:
        if address:
            ray.init(address=address, logging_level="ERROR", log_to_driver=False)
        else:
            ray.init(num_cpus=local_cpus, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    except Exception as error:
        if address:
            fail(f"cannot reach the Ray cluster at {address}: {error}")
        say(f"Ray could not start here ({error}): painting the segments on this machine")
        return None
    return ray


def main():
    parser = argparse.ArgumentParser(
        prog="stylize-ray", description=__doc__.split("\n\n")[0], allow_abbrev=False,
        epilog="Any other option, given after IN, goes to every `stylize video` (e.g. --style the-scream --crf 20); "
               "so does everything after --.")
    parser.add_argument("input", help="the video to paint")
    parser.add_argument("-o", "--output", required=True, help="the painted video")
    parser.add_argument("--segments", type=int, help="how many segments (default: one per 2 CPUs of the cluster)")
    parser.add_argument("--segment-seconds", type=float, help="about how long each segment is, instead of --segments")
    parser.add_argument("--cpus", type=int, default=2, help="CPU threads each segment gets (default 2)")
    parser.add_argument("--address", help="a running Ray cluster (e.g. ray://head:10001 or auto); default: start Ray here")
    parser.add_argument("--work", help="folder every machine sees, for the plan and the segments (default: OUTPUT.parts)")
    parser.add_argument("--stylize", help="the stylize binary (default: on the PATH, or this checkout's release build)")
    parser.add_argument("--retries", type=int, default=3, help="tries after a segment's first failure (default 3)")
    parser.add_argument("--local", action="store_true", help="do not use Ray: paint the segments on this machine")
    parser.add_argument("--keep", action="store_true", help="keep the work folder after a successful join")
    parser.add_argument("--force", action="store_true", help="replace OUTPUT if it exists")
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    # Options the driver does not know go to every `stylize video` (which names any it does not know either).
    args, unknown = parser.parse_known_args(argv)
    extra = unknown + extra
    if args.segments is not None and args.segments < 1:
        fail("--segments must be at least 1")
    if args.cpus < 1 or args.retries < 0:
        fail("--cpus must be at least 1 and --retries at least 0")
    if args.segments is not None and args.segment_seconds is not None:
        fail("give --segments or --segment-seconds, not both")
    source = Path(args.input).resolve()
    if not source.is_file():
        fail(f"{args.input}: no such file")
    output = Path(args.output).resolve()
    if output.exists() and not args.force:
        fail(f"{args.output}: already exists (use --force to replace it)")

    stylize = find_stylize(args.stylize)
    ray = None if args.local else start_ray(args.address, os.cpu_count())
    cluster_cpus = int(ray.cluster_resources().get("CPU", 0)) if ray else (os.cpu_count() or 1)
    segments = args.segments
    if segments is None and args.segment_seconds is None:
        segments = max(1, cluster_cpus // args.cpus)

    work = Path(args.work).resolve() if args.work else output.with_name(output.name + ".parts")
    work.mkdir(parents=True, exist_ok=True)
    # Segments kept from an earlier run are reused only when they were painted for the same job.
    job = {"input": str(source), "size": source.stat().st_size, "segments": segments,
           "segment_seconds": args.segment_seconds, "cpus": args.cpus, "stylize": stylize, "options": extra}
    job_path = work / "job.json"
    if job_path.is_file() and json.loads(job_path.read_text()) != job:
        stale = sorted(work.glob("segment-*"))
        if stale:
            say(f"{work} holds {len(stale)} segments painted for another job (other options or input); painting them again")
        for path in stale:
            path.unlink()
    job_path.write_text(json.dumps(job, indent=1) + "\n")
    plan_path = work / "plan.json"
    plan_command = [stylize, "plan", str(source), "--cpus", str(args.cpus), "-o", str(plan_path)]
    plan_command += ["--segments", str(segments)] if segments is not None else ["--segment-seconds", str(args.segment_seconds)]
    if subprocess.run(plan_command).returncode != 0:
        sys.exit(1)
    plan = json.loads(plan_path.read_text())
    say(f"{len(plan['segments'])} segments of {plan['frames']} frames "
        f"({', '.join(s['seam'] for s in plan['segments'][1:]) or 'one piece'}); "
        + (f"Ray, {cluster_cpus} CPUs" if ray else f"this machine, {cluster_cpus} CPUs"))

    tasks = []
    for segment in plan["segments"]:
        out = work / segment["output"]
        command = [stylize, "video", str(source), "-o", str(out), "--from", repr(segment["from"]),
                   "--threads", str(segment["cpus"]), "--quiet", *extra]
        if segment.get("to") is not None:
            command += ["--to", repr(segment["to"])]
        if segment.get("warmUp") is not None:
            command += ["--warm-up", str(segment["warmUp"])]
        tasks.append({"segment": segment, "command": command, "output": str(out)})

    progress = Progress(plan)
    try:
        if ray:
            results = run_ray(ray, tasks, args.retries, progress)
        else:
            results = run_local(tasks, args.retries, max(1, cluster_cpus // args.cpus), progress)
    except RuntimeError as error:
        fail(str(error))
    times = [{"segment": i, "frames": plan["segments"][i]["frames"], **results[i]} for i in sorted(results)]
    (work / "times.json").write_text(json.dumps(times, indent=1) + "\n")

    painting = time.monotonic() - progress.started
    join = [stylize, "join", str(plan_path), "-o", str(output)] + (["--force"] if args.force else [])
    started = time.monotonic()
    if subprocess.run(join).returncode != 0:
        fail(f"the join failed; the segments stay in {work}")
    say(f"joined in {time.monotonic() - started:.1f} s; painting took {format_duration(painting)}")
    for partial in work.glob(".*.partial-*"):
        partial.unlink(missing_ok=True)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Time the synthetic data generator as a user runs it: `mammia_synth` in a subprocess.

    python benchmarks/synthetic_speed.py [--n_full 10] [--n_small 2] [--workers 0]

Prints a markdown table: wall-clock seconds (time.perf_counter around the command), CPU seconds of the command
and its worker processes (resource.getrusage of the children), the target and wall/target, data-set size on disk,
and the machine's load average before the run (the wall time depends on what else runs; the CPU time hardly).
Targets: 10 full-size cases in under 60 s (issue 10: the domain-randomised generator; 30 s for the first, simpler one), 2 small cases in under 2 s.
"""
import argparse, os, resource, subprocess, sys, tempfile, time
from pathlib import Path

def run(args):
    "Wall and CPU seconds of `mammia_synth args`."
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(['mammia_synth', *args, '--quiet'], check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

def du(path): return sum(p.stat().st_size for p in Path(path).rglob('*') if p.is_file())/2**20

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--n_full', type=int, default=10); ap.add_argument('--n_small', type=int, default=2)
    ap.add_argument('--workers', type=int, default=0)
    o = ap.parse_args()
    load = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for name, n, extra, target in [('full size', o.n_full, [], 60.), ('small', o.n_small, ['--small'], 2.)]:
            out = Path(d)/name.replace(' ', '_')
            wall, cpu = run(['--out_dir', str(out), '--n_cases', str(n), '--workers', str(o.workers), *extra])
            rows.append((name, n, wall, cpu, target, wall/target, du(out)))
    print(f'load average before the run: {load:.2f} on {os.cpu_count()} CPUs; workers={o.workers or "auto"}\n')
    print('| data set | cases | wall s | CPU s | target s | wall/target | MiB on disk |')
    print('|---|---|---|---|---|---|---|')
    for name, n, wall, cpu, target, ratio, mib in rows:
        print(f'| {name} | {n} | {wall:.1f} | {cpu:.1f} | {target:.0f} | {ratio:.2f} | {mib:.0f} |')

"""Run every benchmark of the project in turn, each as its own process, and print their tables.

    python benchmarks/run_all.py            # all of them (about 10-15 minutes on a 2-core CPU)
    python benchmarks/run_all.py train infer # only those whose file name contains one of the words

Each benchmark measures ratios within one run on one machine (see benchmarks/README.md); absolute times move with the
machine's load, so run this on an otherwise idle machine and compare ratios.
"""
import subprocess, sys, time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = ['synthetic_speed', 'io_load_case', 'preprocess_speed', 'prepare_and_load', 'model_speed',
         'train_speed', 'infer_speed', 'explore_viewer']

if __name__ == '__main__':
    want = sys.argv[1:]
    failed = []
    for name in ORDER:
        if want and not any(w in name for w in want): continue
        print(f"\n## {name}\n", flush=True)
        t0 = time.perf_counter()
        r = subprocess.run([sys.executable, str(HERE/f'{name}.py')])
        print(f"\n({name}: {time.perf_counter() - t0:.0f} s, exit {r.returncode})", flush=True)
        if r.returncode: failed.append(name)
    if failed: sys.exit(f"failed: {', '.join(failed)}")

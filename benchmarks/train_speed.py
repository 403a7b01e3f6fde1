"""Training and inference speed of the UNet on this CPU, as the training loop runs it, against the machine's matmul peak.

    python benchmarks/train_speed.py [--base B] [--batch 16] [--seconds 8] [--threads 1]
    python benchmarks/train_speed.py --compare [--h5 slices.h5] [--minutes 3] [--bases 16 32 64]

Default mode, all numbers from one run:
- the bf16 (and fp32) FLOP/s of a 2048x2048 @ 2048x2048 matrix multiply: the reference "peak";
- training slices/s of `mammia_seg.train.train_step` (forward, fp32 BCE+Dice loss, backward, unscale, clip, AdamW)
  on in-memory 128x128 batches: plain fp32 against the precision `--precision auto` picks here (bf16 autocast +
  channels_last on a CPU with native bf16);
- FLOPs per step counted with `torch.utils.flop_counter.FlopCounterMode` (convolutions and matmuls; BatchNorm, ReLU
  and the optimizer are not counted), the achieved FLOP/s and its fraction of the bf16 matmul FLOP/s (goal >= 0.5);
- inference (eval, `torch.inference_mode`) slices/s likewise (goal >= 0.6);
- the whole loop (`train()`: HDF5 reading, augmentation, validation excluded) in slices/s, to show what data loading costs.

`--compare` trains UNets of several base widths on the same slice file for the same wall-clock budget each and reports
the validation Dice per slice (`val_dice_slice`, see `nbs/07_train.ipynb`) and the time. Without `--h5`, a synthetic
data set is made with `mammia_synth` + `mammia_prepare` (20 cases).

On a shared machine the numbers move with the load: the ratios (measured back to back) are more telling than
the absolute values. Use as many threads as free cores; oversubscribed OpenMP threads are far slower than fewer.
"""
import argparse, os, tempfile, time, json
from pathlib import Path
import torch
from torch.utils.flop_counter import FlopCounterMode
from mammia_seg.model import build_model, ModelConfig, n_params
from mammia_seg.train import train_step, make_scaler, autocast, resolve_precision, train

CPU = torch.device('cpu')

def timed(f, seconds, min_reps=3):
    "Seconds per call of f (after one warm-up call), over at least `seconds`."
    f()
    n, t0 = 0, time.perf_counter()
    while n < min_reps or time.perf_counter() - t0 < seconds:
        f(); n += 1
    return (time.perf_counter() - t0) / n

def matmul_flops(dtype, seconds, n=2048):
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    return 2 * n**3 / timed(lambda: a @ b, seconds)

def setup(base, precision, batch, size=128):
    torch.manual_seed(0)
    cl = precision != 'fp32'
    mf = torch.channels_last if cl else torch.contiguous_format
    model = build_model(base=base).to(memory_format=mf)
    x = torch.randn(batch, 6, size, size).to(memory_format=mf)
    y = (torch.rand(batch, 1, size, size) > 0.95).float()
    return model, x, y

def train_speed(base, precision, batch, seconds):
    "(slices/s, FLOPs per step) of the training step."
    model, x, y = setup(base, precision, batch)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    scaler = make_scaler(CPU, precision)
    amp = lambda: autocast(CPU, precision)
    step = lambda: train_step(model, x, y, opt, scaler, amp)
    with FlopCounterMode(display=False) as fc: step()
    return batch / timed(step, seconds), fc.get_total_flops()

def infer_speed(base, precision, batch, seconds):
    model, x, _ = setup(base, precision, batch)
    model.eval()
    def fwd():
        with torch.inference_mode(), autocast(CPU, precision): return model(x)
    with FlopCounterMode(display=False) as fc: fwd()
    return batch / timed(fwd, seconds), fc.get_total_flops()

def fake_h5(path, n_cases=12, size=128):
    import h5py
    from mammia_seg.hdf5 import create_h5, append_case
    from mammia_seg.testing import fake_case_slices
    with h5py.File(path, 'w') as f:
        create_h5(f, size=size, attrs=dict(preprocess_config=dict(size=size)))
        for i in range(n_cases): append_case(f, fake_case_slices(f'DUKE_{i:03d}', 'DUKE', 8, 8, size=size, seed=i))
    return path

def synthetic_h5(folder, n_cases=20):
    from mammia_seg.synthetic import make_dataset
    from mammia_seg.dataset import prepare_dataset
    t = time.perf_counter()
    make_dataset(Path(folder)/'data', n_cases=n_cases, seed=0)
    prepare_dataset(Path(folder)/'data', Path(folder)/'slices.h5', workers=max(1, (os.cpu_count() or 2) // 2), quiet=True)
    print(f"made and prepared {n_cases} synthetic cases in {time.perf_counter() - t:.0f} s")
    return Path(folder)/'slices.h5'

def main_speed(a):
    base = a.base or ModelConfig().base
    fast = resolve_precision('auto', CPU)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores, "
          f"UNet base {base} ({n_params(build_model(base=base))/1e6:.2f} M params), batch {a.batch} x 6 x 128 x 128, auto precision here: {fast}\n")
    peak32 = matmul_flops(torch.float32, a.seconds / 2)
    peaks = [matmul_flops(torch.bfloat16, a.seconds / 2)]
    rows = []
    for what, fn in (('train', train_speed), ('inference', infer_speed)):
        for prec in dict.fromkeys(['fp32', fast]):
            sps, flops = fn(base, prec, a.batch, a.seconds)
            rows.append((what, prec + ('+channels_last' if prec != 'fp32' else ''), sps, flops / a.batch, sps * flops / a.batch))
    # the load of a shared machine moves: measure the peak before and after, and take the higher (the stricter reference)
    peaks.append(matmul_flops(torch.bfloat16, a.seconds / 2))
    peak = max(peaks)
    print(f"matmul 2048^3: bf16 {peak/1e9:.0f} GFLOP/s (max of {', '.join(f'{p/1e9:.0f}' for p in peaks)}), fp32 {peak32/1e9:.0f} GFLOP/s\n")
    print('| pass | precision | slices/s | GFLOP/slice | GFLOP/s | vs fp32 | fraction of bf16 matmul |')
    print('|---|---|---|---|---|---|---|')
    for what, prec, sps, fps, fl in rows:
        ref = next(r[2] for r in rows if r[0] == what and r[1] == 'fp32')
        print(f"| {what} | {prec} | {sps:.1f} | {fps/1e9:.2f} | {fl/1e9:.0f} | {sps/ref:.2f}x | {fl/peak:.2f} |")
    # the whole loop: HDF5 reading + augmentation + step (validation not counted in slices_per_s)
    with tempfile.TemporaryDirectory() as d:
        h5 = fake_h5(Path(d)/'f.h5')
        res = train(h5, Path(d)/'run', epochs=2, steps_per_epoch=max(2, int(a.seconds * 2)), batch_size=a.batch, model=dict(base=base),
                    workers=0, quiet=True, val_frac=0.2, test_frac=0.0)
        print(f"\nwhole loop (train(), {fast}, workers=0, augmentation on): {res['history'][-1]['slices_per_s']:.1f} slices/s (2nd epoch)")

def main_compare(a):
    with tempfile.TemporaryDirectory() as d:
        h5 = Path(a.h5) if a.h5 else synthetic_h5(d)
        print(f"\n{torch.get_num_threads()} thread(s), load average {os.getloadavg()[0]:.1f}; {a.minutes} min per model, batch {a.batch}, lr {a.lr}\n")
        print('| base | params (M) | epochs | steps | best val_dice_slice | at epoch | train slices/s | minutes |')
        print('|---|---|---|---|---|---|---|---|')
        for base in a.bases:
            out = Path(d)/f'run{base}'
            t0 = time.perf_counter()
            # epochs of `steps` steps until the time budget is spent: run one epoch at a time via resume
            res = train(h5, out, epochs=1, steps_per_epoch=a.steps, batch_size=a.batch, lr=a.lr, model=dict(base=base),
                        workers=0, quiet=True, patience=0)
            while time.perf_counter() - t0 < 60 * a.minutes:
                res = train(h5, out, resume=True, epochs=res['epochs_done'] + 1)
            h = res['history']
            print(f"| {base} | {n_params(build_model(base=base))/1e6:.2f} | {len(h)} | {len(h)*a.steps} | {res['best_metrics']['val_dice_slice']:.3f} | "
                  f"{res['best_metrics']['epoch']} | {sum(r['slices_per_s'] for r in h)/len(h):.1f} | {(time.perf_counter()-t0)/60:.1f} |", flush=True)

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--base', type=int, default=None, help='UNet base width (default: ModelConfig().base)')
    p.add_argument('--batch', type=int, default=16)
    p.add_argument('--seconds', type=float, default=8.0, help='timing budget per measurement')
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--compare', action='store_true', help='train several base widths and compare val_dice_slice')
    p.add_argument('--bases', type=int, nargs='+', default=[16, 32, 64])
    p.add_argument('--h5', default=None, help='slice file for --compare (default: make 20 synthetic cases)')
    p.add_argument('--minutes', type=float, default=3.0, help='training time per model in --compare')
    p.add_argument('--steps', type=int, default=20, help='steps per epoch in --compare')
    p.add_argument('--lr', type=float, default=1e-3)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    os.environ.setdefault('MAMMIA_QUIET', '1')
    main_compare(a) if a.compare else main_speed(a)

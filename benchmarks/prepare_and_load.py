"""Benchmark of `mammia_prepare` and of the HDF5 slice loader (issue 3, section 4).

    python benchmarks/prepare_and_load.py [--n_cases 6] [--full] [--n_items 1500]

Makes its own synthetic MAMA-MIA-layout data in a temporary folder, then measures, in one run on the same data:
  (a) seconds per case of `prepare_dataset` (1 and 2 workers) against just reading that case's files with SimpleITK
      (goal: prepare <= 2x reading; speed-up from 2 workers);
  (b) `SliceDataset` + `DataLoader` slices/s (random order, batches of 16) for an HDF5 file without compression, with
      lzf and with gzip, against a folder of one `.npy` per slice holding the same data (goal: HDF5 >= npy);
  (c) the loader against the training step rate: a UNet forward + backward + optimizer step on a batch of 16 at
      128x128 under bf16 autocast and channels_last (goal: loader >= 20x faster).
Timings are wall-clock (time.perf_counter) on a shared machine: compare ratios from one run, not absolute numbers.
Files are read right after being written, so both layouts are read from the page cache.
"""
import argparse, os, sys, tempfile, time, json
from pathlib import Path
import numpy as np, h5py, torch

from mammia_seg.core import progress
from mammia_seg.dataset import (prepare_dataset, SliceDataset, read_cases, create_h5, append_case, CaseSlices, file_attrs)


def read_case_files(files):
    "Just read a case's files (phases + mask), the floor for any preprocessing."
    import SimpleITK as sitk
    for p in list(files.phase_paths) + [files.mask_path]:
        img = sitk.ReadImage(str(p))
        sitk.GetArrayViewFromImage(img).sum()   # make sure the pixels are decoded


def recompress(src, dst, compression):
    "Copy a slice file with another compression."
    a = file_attrs(src)
    with h5py.File(src) as f, h5py.File(dst, 'w') as out:
        create_h5(out, size=f['images'].shape[-1], dtype=f['images'].dtype.name, compression=compression,
                  attrs=dict(preprocess_config=a['preprocess_config']))
        for cid, c in read_cases(src).items():
            r = slice(c['start'], c['start'] + c['count'])
            append_case(out, CaseSlices(cid, c['cohort'], f['images'][r], f['masks'][r], f['slice_index'][r],
                                        f['is_positive'][r], c['phase_present'], f['tissue_frac'][r], c['geometry']))


class NpySliceDataset(torch.utils.data.Dataset):
    "The layout the HDF5 file replaces: one .npy file per slice (image channels and mask stacked, float16)."
    def __init__(self, folder): self.files = sorted(Path(folder).glob('*.npy'))
    def __len__(self): return len(self.files)
    def __getitem__(self, i):
        a = np.load(self.files[i])
        a = torch.from_numpy(a).float()   # the same float16 -> float32 conversion as SliceDataset
        return a[:-1], a[-1:]


def write_npy_folder(h5_path, folder):
    folder.mkdir(parents=True, exist_ok=True)
    with h5py.File(h5_path) as f:
        for i in range(f['images'].shape[0]):
            np.save(folder/f'slice_{i:06d}.npy', np.concatenate([f['images'][i], f['masks'][i].astype(np.float16)]))


def loader_rate(ds, n_items, num_workers, batch_size=16, seed=0):
    "Slices per second through a DataLoader in random order (startup of the workers excluded)."
    g = torch.Generator().manual_seed(seed)
    sampler = torch.utils.data.RandomSampler(ds, replacement=True, num_samples=n_items + batch_size, generator=g)
    dl = torch.utils.data.DataLoader(ds, batch_size=batch_size, sampler=sampler, num_workers=num_workers,
                                     multiprocessing_context='fork' if num_workers else None)
    it = iter(dl); next(it)   # the first batch pays for starting the workers
    t0, n = time.perf_counter(), 0
    for x, m in it: n += len(x)
    return n / (time.perf_counter() - t0)


def train_rate(n_steps=6, batch_size=16, size=128):
    "Slices per second of a UNet training step (bf16 autocast, channels_last) on CPU."
    try:
        from mammia_seg.model import build_model
        model = build_model()
    except ImportError:   # before `model` exists: a tiny UNet stand-in
        import torch.nn as nn
        def blk(i, o): return nn.Sequential(nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(), nn.Conv2d(o, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU())
        class TinyUNet(nn.Module):
            def __init__(s):
                super().__init__(); s.d1, s.d2, s.b = blk(6, 16), blk(16, 32), blk(32, 64)
                s.u2, s.c2, s.u1, s.c1 = nn.ConvTranspose2d(64, 32, 2, 2), blk(64, 32), nn.ConvTranspose2d(32, 16, 2, 2), blk(32, 16)
                s.out = nn.Conv2d(16, 1, 1)
            def forward(s, x):
                a = s.d1(x); b = s.d2(nn.functional.max_pool2d(a, 2)); c = s.b(nn.functional.max_pool2d(b, 2))
                b = s.c2(torch.cat([s.u2(c), b], 1)); a = s.c1(torch.cat([s.u1(b), a], 1)); return s.out(a)
        model = TinyUNet()
    model = model.to(memory_format=torch.channels_last).train()
    opt = torch.optim.AdamW(model.parameters(), 1e-3)
    x = torch.randn(batch_size, 6, size, size).to(memory_format=torch.channels_last)
    y = (torch.rand(batch_size, 1, size, size) > 0.9).float()
    def step():
        with torch.autocast('cpu', dtype=torch.bfloat16):
            loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x).float(), y)
        opt.zero_grad(); loss.backward(); opt.step()
    for _ in range(2): step()
    t0 = time.perf_counter()
    for _ in range(n_steps): step()
    return n_steps * batch_size / (time.perf_counter() - t0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--n_cases', type=int, default=6, help='synthetic cases')
    ap.add_argument('--full', action='store_true', help='full-size synthetic cases (default: small ones, fast)')
    ap.add_argument('--n_items', type=int, default=1500, help='slices read per loader measurement')
    ap.add_argument('--threads', type=int, default=2, help='torch threads')
    ap.add_argument('--repeats', type=int, default=3, help='interleaved repeats of each loader measurement (median kept)')
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    os.environ['MAMMIA_QUIET'] = '1'
    from mammia_seg.synthetic import make_dataset
    from mammia_seg.io import find_cases
    rows = []
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        t0 = time.perf_counter()
        data = make_dataset(d/'data', n_cases=args.n_cases, seed=0, small=not args.full)
        print(f"synthetic data: {args.n_cases} {'full-size' if args.full else 'small'} cases in {time.perf_counter()-t0:.1f} s", file=sys.stderr)
        cases = find_cases(data)

        # (a) prepare vs reading the files
        read_case_files(cases[0])   # warm the page cache and the imports
        t0 = time.perf_counter()
        for c in cases: read_case_files(c)
        t_read = (time.perf_counter() - t0) / len(cases)
        from mammia_seg.io import load_case
        from mammia_seg.preprocess import preprocess_case, select_slices, PreprocessConfig
        t0 = time.perf_counter()
        for c in cases: select_slices(preprocess_case(load_case(c), PreprocessConfig()), PreprocessConfig())
        t_pre = (time.perf_counter() - t0) / len(cases)
        s1 = prepare_dataset(data, d/'w1.h5', workers=1, quiet=True)
        s2 = prepare_dataset(data, d/'w2.h5', workers=2, quiet=True)
        t1, t2 = s1['seconds'] / len(cases), s2['seconds'] / len(cases)
        rows += [('(a) read the files of a case (SimpleITK)', f'{t_read:.3f} s/case', ''),
                 ('(a) load_case + preprocess_case + select_slices', f'{t_pre:.3f} s/case', f'{t_pre/t_read:.2f}x reading (upstream work)'),
                 ('(a) prepare, 1 worker', f'{t1:.3f} s/case', f'{t1/t_read:.2f}x reading (goal <= 2x); HDF5 writing etc. {max(0, t1-t_pre):.3f} s/case'),
                 ('(a) prepare, 2 workers', f'{t2:.3f} s/case', f'speed-up {t1/t2:.2f}x over 1 worker')]
        n_slices = s1['n_slices']

        # (b) the loader: HDF5 (none / lzf / gzip) against one .npy per slice
        h5s = {'none': d/'w1.h5'}
        for comp in ('lzf', 'gzip'):
            recompress(d/'w1.h5', d/f'{comp}.h5', comp); h5s[comp] = d/f'{comp}.h5'
        write_npy_folder(d/'w1.h5', d/'npy')
        npy_mb = sum(p.stat().st_size for p in (d/'npy').iterdir()) / 1e6
        # data loading runs with 1 torch thread (as DataLoader workers do); measurements are interleaved and
        # repeated, and the median is kept, because the machine is shared
        torch.set_num_threads(1)
        configs = [('npy', NpySliceDataset(d/'npy'))] + [(comp, SliceDataset(p)) for comp, p in h5s.items()]
        runs = {}
        for rep in range(args.repeats):
            for nw in (0, 2):
                for name, ds in configs: runs.setdefault((name, nw), []).append(loader_rate(ds, args.n_items, nw, seed=rep))
        rates = {k: float(np.median(v)) for k, v in runs.items()}
        for nw in (0, 2):
            base = rates[('npy', nw)]
            rows.append((f'(b) one .npy per slice, {nw} workers', f'{base:.0f} slices/s', f'{npy_mb:.1f} MB on disk'))
            for comp, p in h5s.items():
                r = rates[(comp, nw)]
                rows.append((f'(b) HDF5 {comp}, {nw} workers', f'{r:.0f} slices/s',
                             f'{r/base:.2f}x npy (goal >= 1); {p.stat().st_size/1e6:.1f} MB'))
        aug = float(np.median([loader_rate(SliceDataset(h5s['none'], augment=True), args.n_items, 0, seed=r) for r in range(args.repeats)]))
        rows.append(('(b) HDF5 none + augmentation, 0 workers', f'{aug:.0f} slices/s', ''))
        torch.set_num_threads(args.threads)

        # (c) the loader against a training step
        tr = train_rate()
        best0 = rates[('none', 0)]
        rows += [('(c) UNet train step, batch 16, bf16 + channels_last', f'{tr:.1f} slices/s', ''),
                 ('(c) loader (HDF5 none, 0 workers) / training', f'{best0/tr:.0f}x', 'goal >= 20x'),
                 ('(c) loader with augmentation (0 workers) / training', f'{aug/tr:.0f}x', 'goal >= 20x')]
    print(f"\n{args.n_cases} synthetic {'full-size' if args.full else 'small'} cases, {n_slices} slices of 6x128x128 float16, "
          f"torch threads {args.threads}, {os.cpu_count()} CPUs\n")
    w = max(len(r[0]) for r in rows)
    for name, val, note in rows: print(f"{name:<{w}}  {val:>16}  {note}")


if __name__ == '__main__':
    main()

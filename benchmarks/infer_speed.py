"""Speed of whole-volume inference, from files to written mask, split by stage.

A DUKE_001-sized case (448x448x160 voxels at 0.804x0.804x1.1 mm, 5 phases, int16 NIfTI; 360x360x176 after 1 mm
resampling) goes through `mammia_seg.infer.segment_folder` with the default UNet (`ModelConfig()`, untrained:
speed does not depend on the weights). Prints seconds per stage (read / preprocess / network / map-back / write)
and the share of the total spent outside the network; the goal is under half.

    python benchmarks/infer_speed.py [--threads 2] [--device cpu] [--precision auto] [--repeats 2] [--tta]
"""
import argparse, os, sys, tempfile, time
from pathlib import Path
import numpy as np
import SimpleITK as sitk
import torch

def make_case(folder:Path, size=(448, 448, 160), spacing=(0.804, 0.804, 1.1), n_phases=5, seed=0):
    "Write a breast-MRI-like phantom (two breasts, an enhancing lesion, noise) as `<case>_000k.nii.gz` files."
    rng = np.random.default_rng(seed)
    X, Y, Z = size
    z, y, x = np.ogrid[:Z, :Y, :X]
    zz, yy, xx = z*spacing[2], y*spacing[1], x*spacing[0]
    breasts = np.zeros((Z, Y, X), bool)
    for cx in (0.3*X*spacing[0], 0.7*X*spacing[0]):
        breasts |= ((xx - cx)/75)**2 + ((yy - 0.35*Y*spacing[1])/70)**2 + ((zz - Z*spacing[2]/2)/70)**2 <= 1
    lesion = ((xx - 0.3*X*spacing[0])/9)**2 + ((yy - 0.3*Y*spacing[1])/8)**2 + ((zz - Z*spacing[2]/2)/7)**2 <= 1
    base = np.where(breasts, 400, 20).astype(np.float32)
    folder.mkdir(parents=True, exist_ok=True)
    ref = None
    for k in range(n_phases):
        a = base + (700*lesion if k else 0) + 25*rng.standard_normal((Z, Y, X), dtype=np.float32)
        img = sitk.GetImageFromArray(np.clip(a, 0, 3000).astype(np.int16))
        img.SetSpacing(spacing); img.SetOrigin((-180., -150., -90.))
        sitk.WriteImage(img, str(folder/f'duke_001_{k:04d}.nii.gz'), True)
        ref = ref or img
    return folder

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--precision', default='auto')
    ap.add_argument('--repeats', type=int, default=2, help='timed runs (the best is reported)')
    ap.add_argument('--tta', action='store_true')
    ap.add_argument('--batch_size', type=int, default=32)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    os.environ['MAMMIA_QUIET'] = '1'
    from mammia_seg.model import build_model, save_checkpoint
    from mammia_seg.preprocess import PreprocessConfig
    from mammia_seg.infer import segment_folder, load_model, autocast_dtype

    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        t0 = time.perf_counter()
        case_dir = make_case(d/'images'/'DUKE_001')
        print(f'phantom written in {time.perf_counter() - t0:.1f} s: {case_dir}')
        net = build_model()
        ckpt = save_checkpoint(d/'model.pth', dict(model_state=net.state_dict(), model_config=net.cfg.to_dict(),
                                                   preprocess_config=PreprocessConfig().to_dict()))
        model = load_model(ckpt, args.device)
        dtype = autocast_dtype(torch.device(args.device), args.precision)
        best = None
        for i in range(args.repeats + 1):   # the first run warms up (allocator, oneDNN kernels) and is not counted
            timings = {}
            t0 = time.perf_counter()
            res = segment_folder(case_dir, model, d/'out', device=args.device, precision=args.precision,
                                 batch_size=args.batch_size, tta=args.tta, timings=timings)
            timings['total'] = time.perf_counter() - t0
            if i and (best is None or timings['total'] < best['total']): best = timings
        mask = sitk.ReadImage(str(res['mask']))
        ref = sitk.ReadImage(str(case_dir/'duke_001_0000.nii.gz'))
        assert mask.GetSize() == ref.GetSize() and mask.GetSpacing() == ref.GetSpacing(), 'mask not on the input grid'

    stages = ['read', 'preprocess', 'network', 'map_back', 'write']
    total = best['total']
    print(f"\ninference speed: 448x448x160 @ 0.804x0.804x1.1 mm, 5 phases -> 1 mm grid; default UNet "
          f"(base {net.cfg.base}, depth {net.cfg.depth}); device {args.device}, {args.threads} threads, "
          f"autocast {dtype}, tta {args.tta}; best of {args.repeats}")
    print(f"{'stage':<12}{'seconds':>9}{'share':>8}")
    for s in stages: print(f"{s:<12}{best.get(s, 0):>9.2f}{best.get(s, 0)/total:>8.1%}")
    other = total - sum(best.get(s, 0) for s in stages)
    print(f"{'(other)':<12}{other:>9.2f}{other/total:>8.1%}")
    print(f"{'total':<12}{total:>9.2f}{1:>8.1%}")
    outside = total - best['network']
    print(f"\noutside the network: {outside:.2f} s = {outside/total:.1%} of the total (goal: under 50%) -> "
          f"{'met' if outside/total < 0.5 else 'NOT met'}")

if __name__ == '__main__': main()

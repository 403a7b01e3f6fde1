"""How much does `load_case` add to reading the files? (mammia_seg.io)

Writes one full-size case (5 phases of 256x256x100 int16 + a uint8 mask, MAMA-MIA layout) into a temporary
folder, then times, best of 3 in one run:
  raw        sitk.ReadImage of the 6 files (the least any reader must do)
  load_case  find_cases + load_case (integrity checks, validation, float32 cast, grid checks, mask binarising)
for .nii.gz, .nii and .nrrd phases, and for float32 .nii.gz phases (where the on-disk NaN check reads the file twice).

    python benchmarks/io_load_case.py [--threads N]
"""
import argparse, tempfile, time
from pathlib import Path
import numpy as np
import SimpleITK as sitk
from mammia_seg.io import find_cases, load_case

def write_case(root:Path, ext:str, dtype, size=(256, 256, 100), n_phases=5, seed=0):
    rng = np.random.default_rng(seed)
    z, y, x = np.ogrid[:size[2], :size[1], :size[0]]
    body = (((x-128)/110.)**2 + ((y-150)/80.)**2 <= 1) * (600 + 200*np.sin(x/9.)*np.cos(y/13.))
    lesion = ((x-90)**2 + (y-140)**2 + ((z-50)*2.)**2) <= 144
    d = root/'images'/'DUKE_001'; d.mkdir(parents=True)
    for k in range(n_phases):
        arr = body + lesion*(800*(1-np.exp(-k))) + rng.normal(0, 25, (size[2], size[1], size[0]))
        img = sitk.GetImageFromArray(np.clip(arr, 0, None).astype(dtype))
        img.SetSpacing((0.7, 0.7, 2.0)); img.SetOrigin((-90., -100., -60.))
        sitk.WriteImage(img, str(d/f'DUKE_001_{k:04d}{ext}'), useCompression=ext.endswith('.gz') or ext == '.nrrd')
    m = sitk.GetImageFromArray(np.broadcast_to(lesion, (size[2], size[1], size[0])).astype(np.uint8))
    m.SetSpacing((0.7, 0.7, 2.0)); m.SetOrigin((-90., -100., -60.))
    (root/'segmentations'/'expert').mkdir(parents=True)
    sitk.WriteImage(m, str(root/'segmentations'/'expert'/'DUKE_001.nii.gz'), useCompression=True)
    return sorted(d.iterdir()) + [root/'segmentations'/'expert'/'DUKE_001.nii.gz']

def best_of(f, n=3):
    ts = []
    for _ in range(n):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    return min(ts)

if __name__ == '__main__':
    ap = argparse.ArgumentParser(); ap.add_argument('--threads', type=int, default=2); args = ap.parse_args()
    sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(args.threads)
    print(f"one case: 5 phases 256x256x100 + mask; best of 3; SimpleITK threads = {args.threads}")
    print(f"{'phase files':22s} {'raw sitk s':>10s} {'load_case s':>11s} {'ratio':>6s}")
    for ext, dtype in [('.nii.gz', np.int16), ('.nii', np.int16), ('.nrrd', np.int16), ('.nii.gz', np.float32)]:
        with tempfile.TemporaryDirectory() as d:
            files = write_case(Path(d), ext, dtype)
            raw = best_of(lambda: [sitk.ReadImage(str(p)) for p in files])
            loaded = best_of(lambda: load_case(find_cases(d)[0]))
            print(f"{ext + ' ' + np.dtype(dtype).name:22s} {raw:10.3f} {loaded:11.3f} {loaded/raw:6.2f}")

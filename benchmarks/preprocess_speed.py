"""Speed and fidelity of `mammia_seg.preprocess` on a DUKE-sized case.

    python benchmarks/preprocess_speed.py [--threads 2] [--repeats 2]

Builds a 448x448x160 volume at 0.804x0.804x1.1 mm (DUKE_001's grid) with 5 phases and a 2 cm lesion, then measures
(one run, same machine): `preprocess_volume` (forward transform of the whole volume), `to_reference_grid` (inverse,
probabilities and mask), the whole-volume resize done with torch `F.interpolate` against `sitk.Resample`, and the
round-trip Dice of the lesion mask on this 360 mm field of view (binary 128x128 mask vs soft, probability-like mask),
on the axial grid, a sagittal copy and an oblique one (those two at ISPY1-like size, 256x256x60 at 0.7x0.7x2.2 mm).
"""
import argparse, math, time
import numpy as np
import SimpleITK as sitk
import torch
import torch.nn.functional as F
from mammia_seg.io import resample_to_grid
from mammia_seg.preprocess import PreprocessConfig, preprocess_volume, pool_native
from mammia_seg.inverse import to_reference_grid

def make_case(size, spacing, n_phases=5, lesion_mm=20., direction=None, seed=0):
    "Breast-like phantom on an axis-aligned grid centred at the origin (built from 1D coordinates: cheap at DUKE size)."
    sx, sy, sz = spacing; nx, ny, nz = size
    x = (np.arange(nx) - (nx - 1) / 2) * sx; y = (np.arange(ny) - (ny - 1) / 2) * sy; z = (np.arange(nz) - (nz - 1) / 2) * sz
    Z, Y, X = z[:, None, None], y[None, :, None], x[None, None, :]
    fov = min(nx * sx, ny * sy)
    r = 0.22 * fov
    breasts = (((X - r)**2 + (Y + 0.05 * fov)**2 + Z**2 < r**2) | ((X + r)**2 + (Y + 0.05 * fov)**2 + Z**2 < r**2)) & (Y < 0)
    chest = (np.abs(X) < 0.45 * fov) & (Y >= 0) & (Y < 0.25 * fov) & (np.abs(Z) < 0.45 * nz * sz)
    lesion = (X + r)**2 + (Y + 0.1 * fov)**2 + Z**2 < (lesion_mm / 2)**2
    rng = np.random.default_rng(seed)
    D = np.eye(3) if direction is None else np.asarray(direction).reshape(3, 3)
    origin = -D @ ((np.asarray(size) - 1) / 2 * np.asarray(spacing))
    phases = []
    for k, le in zip(range(n_phases), (250, 700, 820, 780, 740, 700)):
        a = np.where(breasts, np.float32(400), np.float32(0)) + np.where(chest, np.float32(150), np.float32(0))
        a = np.where(lesion, np.float32(le), a).astype(np.float32)
        a += rng.normal(0, 8, a.shape).astype(np.float32); np.abs(a, out=a)
        img = sitk.GetImageFromArray(a); img.SetSpacing(spacing); img.SetOrigin(tuple(origin)); img.SetDirection(tuple(D.flatten()))
        phases.append(img)
    mask = sitk.GetImageFromArray(np.broadcast_to(lesion, (nz, ny, nx)).astype(np.uint8)); mask.CopyInformation(phases[0])
    return phases, mask

def timed(f, repeats):
    "Best wall-clock seconds of `repeats` runs (and that run's CPU seconds, all threads), and the last output."
    best, out = (math.inf, math.inf), None
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time(); out = f()
        best = min(best, (time.perf_counter() - t, time.process_time() - c))
    return best, out

def dice(a, b):
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    return 2 * (a & b).sum() / max(a.sum() + b.sum(), 1)

def round_trip(phases, mask, cfg):
    "Dice of the mask after preprocess + to_reference_grid: the binary 128x128 mask, and the soft (unthresholded) one."
    p = preprocess_volume(phases[:1], mask, cfg=cfg)
    orig = sitk.GetArrayFromImage(mask)
    binary = sitk.GetArrayFromImage(to_reference_grid(p.mask, p.geometry, is_mask=True))
    sg = p.geometry.slice_grid   # the soft mask: the float mask on the slice grid, unthresholded (like a probability map)
    soft_small = sitk.GetArrayFromImage(resample_to_grid(pool_native(sitk.Cast(mask, sitk.sitkFloat32), sg), sg))
    soft = sitk.GetArrayFromImage(to_reference_grid(soft_small, p.geometry)) >= 0.5
    return dice(binary, orig), dice(soft, orig), p.geometry.pixel_mm

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--threads', type=int, default=2); ap.add_argument('--repeats', type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads); sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(args.threads)
    cfg = PreprocessConfig()
    print(f'threads: {args.threads} (torch and SimpleITK); best of {args.repeats} runs')
    t = time.perf_counter(); phases, mask = make_case((448, 448, 160), (0.804, 0.804, 1.1))
    print(f'built 448x448x160 x 5 phases in {time.perf_counter() - t:.1f} s')

    rows = []
    t_pre, prep = timed(lambda: preprocess_volume(phases, mask, cfg=cfg), args.repeats)
    rows.append(('preprocess_volume, 5 phases + mask (joint)', t_pre))
    t_pre_p, _ = timed(lambda: preprocess_volume(phases, mask, cfg=PreprocessConfig(norm='phase')), 1)
    rows.append(("preprocess_volume, norm='phase'", t_pre_p))
    t_read, _ = timed(lambda: [sitk.GetArrayFromImage(p).copy() for p in phases], args.repeats)
    rows.append(('  for scale: copy 5 phases to numpy', t_read))
    probs = prep.mask[:, 0].astype(np.float32) * 0.9
    t_inv, _ = timed(lambda: to_reference_grid(probs, prep.geometry), args.repeats)
    rows.append(('to_reference_grid, probabilities', t_inv))
    t_inv_m, _ = timed(lambda: to_reference_grid(prep.mask, prep.geometry, is_mask=True), args.repeats)
    rows.append(('to_reference_grid, mask', t_inv_m))

    # the resize of a whole 1 mm volume (176 slices of 360x360) to 128x128: torch vs SimpleITK
    g = prep.geometry
    iso = resample_to_grid(phases[2], g.iso_grid)
    arr = sitk.GetArrayFromImage(iso)
    # DUKE's 360x360 slices are square: no padding, an antialiased bilinear resize (what the former pipeline did)
    resize = lambda a: F.interpolate(torch.from_numpy(a)[:, None], size=(128, 128), mode='bilinear', align_corners=False, antialias=True)
    t_torch, _ = timed(lambda: resize(arr), args.repeats)
    L = g.square; px = L * g.iso_spacing[0] / 128
    D = np.asarray(g.iso_direction).reshape(3, 3)
    o = np.asarray(g.iso_origin) + D @ np.array([-g.pad[1] - 0.5 + px / 2, -g.pad[0] - 0.5 + px / 2, 0.])
    t_sitk, _ = timed(lambda: sitk.Resample(iso, (128, 128, g.iso_size[2]), sitk.Transform(), sitk.sitkLinear, tuple(o),
                                            (px, px, 1.0), g.iso_direction, 0.0, sitk.sitkFloat32), args.repeats)
    t_sitk_s, _ = timed(lambda: sitk.Resample(sitk.SmoothingRecursiveGaussian(iso, (px / 2.355 * 2, px / 2.355 * 2, 0.01)),
                                              (128, 128, g.iso_size[2]), sitk.Transform(), sitk.sitkLinear, tuple(o),
                                              (px, px, 1.0), g.iso_direction, 0.0, sitk.sitkFloat32), args.repeats)
    rows += [('resize 176x360x360 -> 128x128: torch (antialiased)', t_torch),
             ('resize ...: sitk.Resample linear (aliased)', t_sitk),
             ('resize ...: sitk Gaussian + Resample (antialiased)', t_sitk_s)]
    print(f"\n{'step':<52} {'wall s':>7} {'CPU s':>7}")
    for name, (w, c) in rows: print(f'{name:<52} {w:7.2f} {c:7.2f}')
    print(f'torch resize vs sitk.Resample: {t_sitk[0] / t_torch[0]:.1f}x (wall), vs smoothed sitk: {t_sitk_s[0] / t_torch[0]:.1f}x')

    print(f"\nround trip of a 2 cm lesion (Dice against the original mask on its own grid)")
    print(f"{'grid':<44} {'mm/px':>6} {'binary':>7} {'soft':>6}")
    d = round_trip(phases, mask, cfg)
    print(f"{'DUKE-like axial 448x448x160 (360 mm FOV)':<44} {d[2]:6.2f} {d[0]:7.3f} {d[1]:6.3f}")
    del phases, mask, prep
    ph, m = make_case((256, 256, 60), (0.7, 0.7, 2.2), n_phases=1)
    d = round_trip(ph, m, cfg)
    print(f"{'ISPY1-like axial 256x256x60 (180 mm FOV)':<44} {d[2]:6.2f} {d[0]:7.3f} {d[1]:6.3f}")
    sag = lambda im: sitk.Flip(sitk.PermuteAxes(im, [1, 2, 0]), [False, True, True])
    d = round_trip([sag(p) for p in ph], sag(m), cfg)
    print(f"{'  the same, stored sagittally':<44} {d[2]:6.2f} {d[0]:7.3f} {d[1]:6.3f}")
    c, s = math.cos(math.radians(12)), math.sin(math.radians(12))
    ph, m = make_case((256, 256, 60), (0.7, 0.7, 2.2), n_phases=1, direction=[1, 0, 0, 0, c, -s, 0, s, c])
    d = round_trip(ph, m, cfg)
    print(f"{'  oblique (12 deg about L-R)':<44} {d[2]:6.2f} {d[0]:7.3f} {d[1]:6.3f}")

if __name__ == '__main__': main()

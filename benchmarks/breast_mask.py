"""Breast mask against the synthetic generator's own breast region, per cohort and contrast; its time against reading the case.

    python benchmarks/breast_mask.py            # 4 cohorts x 2 contrasts x 3 seeds, full size and small (~3 min on 2 cores)
    python benchmarks/breast_mask.py --quick    # 1 seed, small only (~20 s)

Prints per cohort and contrast: Dice of `breast_mask` with `SynthCase.breast` (on the case's own grid), the share of
right/left labels that agree, the share of expert-lesion voxels inside the mask; per case the seconds of `breast_mask`
beside those of reading the case's files (SimpleITK, all phases), measured in one run; and the two real NACT-Pilot
studies in `data/nact_pilot`: expert lesion and breast-tissue region inside the mask.
"""
import argparse, time, tempfile
from pathlib import Path
import numpy as np, SimpleITK as sitk

ROOT = Path(__file__).resolve().parents[1]

def on_grid(label_img, ref):
    "A coarse label map on the grid of `ref` (each label linearly interpolated, kept at >= 0.5)."
    out = np.zeros(sitk.GetArrayViewFromImage(ref).shape, np.uint8)
    for v in (1, 2):
        f = sitk.Resample(sitk.Cast(label_img == v, sitk.sitkFloat32), ref, sitk.Transform(), sitk.sitkLinear)
        out[sitk.GetArrayViewFromImage(f) >= 0.5] = v
    return out

def dice(a, b): return 2 * (a & b).sum() / max(a.sum() + b.sum(), 1)

def case_row(case, tmp, **kw):
    from mammia_seg.breast import breast_mask
    from mammia_seg.synthetic import write_case
    from mammia_seg.io import find_cases
    write_case(case, tmp)
    files = [f for f in find_cases(tmp) if f.case_id.upper() == case.case_id.upper()][0]
    t0 = time.perf_counter(); phases = [sitk.ReadImage(str(p)) for p in files.phase_paths]; t_read = time.perf_counter() - t0
    t0 = time.perf_counter(); m = breast_mask(phases, **kw); t_mask = time.perf_counter() - t0
    auto, truth, les = on_grid(m, case.mask), sitk.GetArrayFromImage(case.breast), sitk.GetArrayFromImage(case.mask) > 0
    return dict(dice=dice(auto > 0, truth > 0), sides=((auto == truth) & (truth > 0)).sum() / max((truth > 0).sum(), 1),
                inside=float((auto[les] > 0).mean()), t_read=t_read, t_mask=t_mask)

def real_rows():
    from mammia_seg.breast import breast_mask
    d = ROOT/'data'/'nact_pilot'
    rows = {}
    for cid in ('UCSF_BR_06', 'UCSF_BR_08'):
        ph = [sitk.ReadImage(str(d/'images'/cid/f'{cid.lower()}_000{k}.nii.gz')) for k in range(3)]
        les = sitk.ReadImage(str(d/'segmentations'/'expert'/f'{cid.lower()}.nii.gz'))
        voi = sitk.GetArrayFromImage(sitk.ReadImage(str(d/'segmentations'/'voi_breast_tissue'/f'{cid.lower()}.nii.gz'))) > 0
        auto = on_grid(breast_mask(ph), les)
        rows[cid] = ((auto[sitk.GetArrayViewFromImage(les) > 0] > 0).mean(), (auto[voi] > 0).mean(), (auto > 0).sum() * np.prod(les.GetSpacing()) / 1000)
    return rows

def duke_sized_timing(tmp, repeats=3):
    "A DUKE-sized case as stored (448x448x160 at 0.78x0.78x1.1 mm, 5 phases, int16 NIfTI): `io.load_case` vs `breast_mask`."
    from mammia_seg.synthetic import make_case
    from mammia_seg.io import write_image as write_nifti
    from mammia_seg.io import find_cases, load_case
    from mammia_seg.breast import breast_mask
    c = make_case('DUKE_9999', 'DUKE', seed=7, n_phases=5, variant={'fat_sat': False})
    ref = c.phases[0]; size = (448, 448, 160)
    sp = [e * n / m for e, n, m in zip(ref.GetSpacing(), ref.GetSize(), size)]
    fine = sitk.Image(size, sitk.sitkInt16); fine.SetSpacing(sp); fine.SetDirection(ref.GetDirection())
    fine.SetOrigin(ref.TransformContinuousIndexToPhysicalPoint([-0.5 + s_ / (2 * e) for s_, e in zip(sp, ref.GetSpacing())]))
    d = Path(tmp)/'duke_sized'/'images'/'DUKE_9999'; d.mkdir(parents=True)
    for k, p in enumerate(c.phases):
        write_nifti(sitk.Resample(p, fine, sitk.Transform(), sitk.sitkLinear, 0, sitk.sitkInt16), d/f'duke_9999_{k:04d}.nii.gz')
    files = find_cases(Path(tmp)/'duke_sized')[0]
    t_load, t_mask = [], []
    for _ in range(repeats):
        t0 = time.perf_counter(); case = load_case(files, need_mask=False, float32=False); t_load.append(time.perf_counter() - t0)
        t0 = time.perf_counter(); breast_mask(case.phases); t_mask.append(time.perf_counter() - t0)
    return min(t_load), min(t_mask)

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--quick', action='store_true'); ap.add_argument('--seeds', type=int, default=3)
    ap.add_argument('--threads', type=int, default=1)   # SimpleITK threads for the per-cohort table
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp: t_load, t_mask = duke_sized_timing(tmp)
    print(f'DUKE-sized case (448x448x160, 5 phases), SimpleITK default threads: io.load_case {t_load:.2f} s, breast_mask {t_mask:.2f} s '
          f'({t_mask / t_load:.2f} of loading)')
    sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(a.threads)
    from mammia_seg.synthetic import make_case
    seeds = range(1 if a.quick else a.seeds)
    sizes = (True,) if a.quick else (False, True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for small in sizes:
            for co in ('DUKE', 'ISPY2', 'ISPY1', 'NACT'):
                for fs in (False, True):
                    for s in seeds:
                        c = make_case(f'{co}_{9000 + 10 * s + fs}', co, seed=100 + s, small=small, variant={'fat_sat': fs})
                        r = case_row(c, Path(tmp) / f'{co}{s}{int(fs)}{int(small)}'); r.update(cohort=co, fat_sat=fs, small=small)
                        rows.append(r)
    print(f"\n| size | cohort | fat-sat | cases | Dice mean (min) | sides agree | lesion inside (min) | mask s / read s |")
    print("|---|---|---|---|---|---|---|---|")
    for small in sizes:
        for co in ('DUKE', 'ISPY2', 'ISPY1', 'NACT'):
            for fs in (False, True):
                g = [r for r in rows if r['cohort'] == co and r['fat_sat'] == fs and r['small'] == small]
                d = np.array([r['dice'] for r in g]); ins = np.array([r['inside'] for r in g])
                print(f"| {'small' if small else 'full'} | {co} | {'yes' if fs else 'no'} | {len(g)} | {d.mean():.3f} ({d.min():.3f}) | "
                      f"{np.mean([r['sides'] for r in g]):.3f} | {ins.mean():.3f} ({ins.min():.3f}) | "
                      f"{np.mean([r['t_mask'] for r in g]):.2f} / {np.mean([r['t_read'] for r in g]):.2f} |")
    for small in sizes:
        g = [r for r in rows if r['small'] == small]
        print(f"{'small' if small else 'full'}: mean Dice {np.mean([r['dice'] for r in g]):.3f}, lesion inside mean "
              f"{np.mean([r['inside'] for r in g]):.3f}, mask/read time ratio {np.sum([r['t_mask'] for r in g]) / np.sum([r['t_read'] for r in g]):.2f}")
    for cid, (li, vi, ml) in real_rows().items():
        print(f'real {cid}: expert lesion inside {li:.3f}, breast-tissue region inside {vi:.3f}, mask {ml:.0f} ml')

if __name__ == '__main__': main()

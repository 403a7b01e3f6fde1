"""Crop mode against the whole field of view: slice pixel size, round-trip ceiling Dice and demo Dice, per cohort.

    python benchmarks/crop.py --roundtrip          # pixel size and round trip only (~2 min on 2 cores)
    python benchmarks/crop.py                      # also the demo twice, whole field and cropped (~2 x 10 min)

Round trip: the expert mask of full-size synthetic cases through the forward transform (`preprocess_volume`, 128x128
slices) and back (`to_reference_grid`), Dice with the original: the best Dice any network could reach on that grid.
Three settings: `crop='none'` (the whole field of view), `crop='breast'` without patient info (both breasts, the
automatic mask) and with it (the affected breast's box, as the synthetic cases and MAMA-MIA have).
Demo: `cli.run_demo` with the current `DemoConfig` defaults (printed), once per crop setting; per-volume Dice of the
held-out cases per cohort, far false positives, and minutes.
"""
import argparse, json, shutil, tempfile, time
from pathlib import Path
import numpy as np, SimpleITK as sitk

def dice(a, b): a, b = np.asarray(a, bool), np.asarray(b, bool); return 2 * (a & b).sum() / max(a.sum() + b.sum(), 1)

def roundtrip(n_per_cohort=4, seed=200):
    from mammia_seg.synthetic import make_case
    from mammia_seg.preprocess import PreprocessConfig, preprocess_volume
    from mammia_seg.inverse import to_reference_grid
    from mammia_seg.breast import breast_region
    rows = []
    for co in ('DUKE', 'ISPY2', 'ISPY1', 'NACT'):
        for k in range(n_per_cohort):
            c = make_case(f'{co}_{7000 + k}', co, seed=seed + k)
            m = sitk.GetArrayViewFromImage(c.mask) > 0
            auto, _ = breast_region(c.phases, None, c.case_id); box, _ = breast_region(c.phases, c.info, c.case_id)
            for name, cfg, region in (('whole field', PreprocessConfig(), auto), ('both breasts', PreprocessConfig(crop='breast'), auto),
                                      ('affected breast (box)', PreprocessConfig(crop='breast'), box)):
                p = preprocess_volume(c.phases, c.mask, cfg=cfg, case_id=c.case_id, breast=region)
                back = sitk.GetArrayFromImage(to_reference_grid(p.mask, p.geometry, is_mask=True)) > 0
                rows.append(dict(cohort=co, setting=name, pixel_mm=p.geometry.pixel_mm, dice=dice(back, m),
                                 lesion_ml=float(m.sum() * np.prod(c.mask.GetSpacing()) / 1000)))
    print('\n| cohort | setting | slice pixel, mm (mean) | round-trip Dice mean (min) |')
    print('|---|---|---|---|')
    for co in ('DUKE', 'ISPY2', 'ISPY1', 'NACT', 'all'):
        for name in ('whole field', 'both breasts', 'affected breast (box)'):
            g = [r for r in rows if r['setting'] == name and co in ('all', r['cohort'])]
            d = np.array([r['dice'] for r in g])
            print(f"| {co} | {name} | {np.mean([r['pixel_mm'] for r in g]):.2f} | {d.mean():.3f} ({d.min():.3f}) |")
    return rows

def demo(out, crop, keep=False):
    from mammia_seg.cli import run_demo, DemoConfig
    cfg = DemoConfig(crop=crop)
    d = Path(out)/f'demo_{crop}'
    if d.exists() and not keep: shutil.rmtree(d)
    t0 = time.perf_counter()
    res = run_demo(d, cfg, quiet=True, verbose=False)
    minutes = (time.perf_counter() - t0) / 60
    ev = res['evaluation']
    return dict(crop=crop, minutes=minutes, config=cfg.to_dict(), summary=ev.summary, dice=res['mean_dice'])

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--roundtrip', action='store_true', help='pixel size and round trip only')
    ap.add_argument('--out_dir', default=None, help='keep the demo folders here (default: a temporary folder)')
    ap.add_argument('--n_per_cohort', type=int, default=4)
    a = ap.parse_args()
    roundtrip(a.n_per_cohort)
    if a.roundtrip: return
    tmp = tempfile.TemporaryDirectory() if a.out_dir is None else None
    out = Path(a.out_dir or tmp.name)
    runs = [demo(out, c) for c in ('none', 'breast')]
    print(f"\nDemoConfig: {json.dumps({k: v for k, v in runs[0]['config'].items() if k != 'crop'})}")
    print('\n| crop | cohort | n | per-volume Dice | FP > 20 mm from the lesion, ml (median) | FP outside the breasts, ml (median) | demo minutes |')
    print('|---|---|---|---|---|---|---|')
    for r in runs:
        for s in r['summary']:
            print(f"| {r['crop']} | {s['cohort']} | {s['n']} | {s['dice']:.3f} | {s['fp_far_ml_median']:.2f} | "
                  f"{s['fp_outside_breast_ml_median']:.2f} | {r['minutes']:.1f} |")

if __name__ == '__main__': main()

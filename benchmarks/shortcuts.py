"""Shortcut checks: does the demo's model segment lesions for the right reasons?

Trains the demo model (`mammia_demo`'s recipe, built-in synthetic data only), then segments test sets built to
break the shortcuts a model can learn from synthetic data, and the two real studies in `data/nact_pilot`:

    standard            the demo's own held-out test patients
    lesion_brighter     the lesion brighter than the heart and every vessel after contrast
    vessel_beside       a thick, strongly enhancing vessel running along the lesion
    liver_in_fov        the liver filling the inferior slices (axial cohorts)
    fat_sat / no_fat_sat  every case fat-suppressed / none
    phase_missing       the first post-contrast phase file removed
    held_out_<COHORT>   a second model trained without that cohort, tested on it
    real_nact_pilot     the two real Breast-MRI-NACT-Pilot studies (CC BY 3.0)

For each: per-volume Dice (mean, median, min) and the false-positive volume far (> 20 mm) from the expert lesion
(median, max, ml), with `mammia_infer`'s default flags. Test sets use seeds the demo never saw.

    python benchmarks/shortcuts.py                   # about 20-25 min on a 2-core CPU
    python benchmarks/shortcuts.py --quick           # small cases, 1 epoch: a smoke test of the script (~2 min)
    python benchmarks/shortcuts.py --reuse           # keep what an earlier run in --out_dir finished
    python benchmarks/shortcuts.py --demo_dir ship --n_cases 160 --epochs 12 --seed 1
                                                     # a finished `mammia_demo` folder with these settings: its model
"""
import argparse, json, os, shutil, sys, time
from pathlib import Path
import numpy as np
import SimpleITK as sitk

ROOT = Path(__file__).resolve().parents[1]

from mammia_seg.metrics import fp_far_ml as far_fp_ml   # predicted ml farther than 20 mm from every expert-lesion voxel

def score(pred_dir:Path, data_dir:Path, split=None)->list:
    from mammia_seg.io import find_cases, read_splits, read_image
    from mammia_seg.metrics import dice
    cases = find_cases(data_dir)
    if split:
        keep = set((read_splits(data_dir) or {}).get(split, [])); cases = [c for c in cases if c.case_id in keep]
    rows = []
    for c in cases:
        p = pred_dir/f'{c.case_id}.nii.gz'
        if not p.exists() or c.mask_path is None: continue
        gt_img = read_image(c.mask_path, c.case_id); pr_img = read_image(p, c.case_id)
        gt, pr = sitk.GetArrayFromImage(gt_img) > 0, sitk.GetArrayFromImage(pr_img) > 0
        sp = gt_img.GetSpacing()[::-1]
        rows.append(dict(case_id=c.case_id, cohort=c.cohort, dice=dice(pr, gt), far_fp_ml=far_fp_ml(pr, gt, sp),
                         pred_ml=float(pr.sum()*np.prod(sp)/1000), gt_ml=float(gt.sum()*np.prod(sp)/1000)))
    return rows

def summary(name, rows):
    d = np.array([r['dice'] for r in rows]); f = np.array([r['far_fp_ml'] for r in rows])
    return dict(test_set=name, n=len(rows), dice_mean=float(d.mean()), dice_median=float(np.median(d)), dice_min=float(d.min()),
                far_fp_median_ml=float(np.median(f)), far_fp_max_ml=float(f.max()))

def drop_first_post(data_dir:Path):
    "Remove the first post-contrast phase file (`_0001`) of every case."
    for f in (data_dir/'images').glob('*/*_0001.nii.gz'): f.unlink()

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out_dir', default='shortcuts_out'); ap.add_argument('--n_test', type=int, default=6)
    ap.add_argument('--held_out', default='ISPY1'); ap.add_argument('--quick', action='store_true')
    ap.add_argument('--reuse', action='store_true'); ap.add_argument('--workers', type=int, default=2)
    ap.add_argument('--demo_dir', default=None, help='a mammia_demo folder run with the settings below (reused as run_demo reuses)')
    ap.add_argument('--n_cases', type=int, default=None); ap.add_argument('--epochs', type=int, default=None)
    ap.add_argument('--seed', type=int, default=None)
    a = ap.parse_args()
    from mammia_seg.cli import run_demo, DemoConfig
    from mammia_seg.synthetic import make_dataset, COHORTS
    from mammia_seg.dataset import prepare_dataset
    from mammia_seg.train import train
    from mammia_seg.infer import segment_dataset
    out = Path(a.out_dir)
    if out.exists() and not a.reuse: shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    quick = dict(n_cases=8, epochs=1, small=True, steps_per_epoch=4) if a.quick else {}
    given = {k: v for k, v in dict(n_cases=a.n_cases, epochs=a.epochs, seed=a.seed).items() if v is not None}
    cfg = DemoConfig(**{**quick, **given})
    t0 = time.perf_counter()
    demo = run_demo(Path(a.demo_dir) if a.demo_dir else out/'demo', cfg, quiet=True, verbose=False)
    ckpt = demo['checkpoint']
    print(f"demo model {ckpt.name}: held-out synthetic per-volume Dice {demo['mean_dice']:.3f} ({time.perf_counter() - t0:.0f} s)", flush=True)
    n, small = (3 if a.quick else a.n_test), cfg.small
    sets = {'lesion_brighter': dict(variant={'lesion_brighter_than_heart': True}),
            'vessel_beside': dict(variant={'vessel_beside': True}),
            'liver_in_fov': dict(variant={'liver_in_fov': True}, cohorts=['DUKE', 'ISPY2']),
            'fat_sat': dict(variant={'fat_sat': True}), 'no_fat_sat': dict(variant={'fat_sat': False}),
            'phase_missing': dict()}
    results = [summary('standard', score(demo['paths']['infer'], demo['paths']['synth'], 'test'))]
    for k, (name, kw) in enumerate(sets.items()):
        d = out/'sets'/name
        if not (a.reuse and (d/'train_test_splits.csv').exists()):
            shutil.rmtree(d, ignore_errors=True)
            make_dataset(d, n_cases=max(n, 4*n if kw.get('cohorts') else n), seed=1000 + k, small=small, workers=a.workers, **kw)
            if name == 'phase_missing': drop_first_post(d)
        pd = out/'pred'/name
        if not (a.reuse and pd.exists()): segment_dataset(d, ckpt, pd, device=cfg.device, quiet=True)
        results.append(summary(name, score(pd, d)))
        print(results[-1], flush=True)
    # a cohort held out: train the demo recipe on the other cohorts, test on it
    ho = a.held_out.upper()
    if ho not in COHORTS: sys.exit(f"error: unknown cohort {a.held_out}")
    hd = out/f'held_out_{ho}'
    others = [c for c in COHORTS if c != ho]
    if not (a.reuse and (hd/'run').exists()):
        shutil.rmtree(hd, ignore_errors=True)
        make_dataset(hd/'data', n_cases=min(cfg.n_cases, 48), seed=cfg.seed, small=small, workers=a.workers, cohorts=others)
        prepare_dataset(hd/'data', hd/'slices.h5', workers=a.workers, seed=cfg.seed, quiet=True)
        train(hd/'slices.h5', hd/'run', epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr, seed=cfg.seed, split_seed=cfg.seed,
              device=cfg.device, model={'base': cfg.base}, steps_per_epoch=cfg.steps_per_epoch, quiet=True)
        make_dataset(hd/'test', n_cases=4*n if not a.quick else 12, seed=2000, small=small, workers=a.workers, cohorts=[ho])
    best = hd/'run'/'best.pth'
    segment_dataset(hd/'test', best, hd/'pred', device=cfg.device, quiet=True)
    results.append(summary(f'held_out_{ho}', score(hd/'pred', hd/'test'))); print(results[-1], flush=True)
    real = ROOT/'data'/'nact_pilot'
    if real.exists():
        segment_dataset(real, ckpt, out/'pred'/'real', device=cfg.device, quiet=True)
        rows = score(out/'pred'/'real', real)
        results.append(summary('real_nact_pilot', rows)); print(results[-1], '|', ', '.join(f"{r['case_id']} {r['dice']:.2f}" for r in rows), flush=True)
    lines = ['| test set | n | Dice mean | median | min | far FP median (ml) | max |', '|---|---|---|---|---|---|---|']
    lines += [f"| {r['test_set']} | {r['n']} | {r['dice_mean']:.3f} | {r['dice_median']:.3f} | {r['dice_min']:.3f} | "
              f"{r['far_fp_median_ml']:.2f} | {r['far_fp_max_ml']:.1f} |" for r in results]
    table = '\n'.join(lines)
    (out/'shortcuts.md').write_text(table + '\n', encoding='utf-8')
    (out/'shortcuts.json').write_text(json.dumps(results, indent=1), encoding='utf-8')
    print(table); print(f'total {time.perf_counter() - t0:.0f} s')

if __name__ == '__main__': main()

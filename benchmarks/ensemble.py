"""One model against the 5-fold ensemble: per-volume Dice on the demo's held-out cases, and seconds per volume.

On the demo's synthetic data (`mammia_demo`'s `DemoConfig`: cases, seed, epochs, batch size, learning rate, UNet width,
post-processing, flip TTA), trains one run per cross-validation fold (`mammia_train --fold k --n_folds 5`, each with
the demo's training budget), then segments the official test cases with each fold's model alone and with the
ensemble of all folds (`mammia_infer --checkpoint_path runs/fold*/best.pth`: probabilities averaged before the
threshold), and each fold's validation cases with its own model (the out-of-fold predictions, scored with
`mammia_evaluate --split cv`). Prints the per-volume Dice of every test case for each single model and for the
ensemble, the means, the cross-validated Dice, and the seconds per volume (inference only, the nets already loaded).

    python benchmarks/ensemble.py                  # the demo's budget per fold: about 30 min of both cores of a 2-core CPU
    python benchmarks/ensemble.py --tiny           # a smoke test of the script: small cases, 1 epoch of 3 steps (2-3 min)
    python benchmarks/ensemble.py --out_dir runs/ensemble_bench --epochs 8   # keep the files; any DemoConfig field as a flag

Only ratios within one run count (see benchmarks/README.md).
"""
import argparse, json, os, shutil, sys, tempfile, time
from pathlib import Path

def parse_args():
    from mammia_seg.cli import DemoConfig
    d = DemoConfig()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out_dir', default=None, help='keep everything here (default: a temporary folder, removed at the end)')
    ap.add_argument('--n_folds', type=int, default=5)
    ap.add_argument('--tiny', action='store_true', help='small cases, 1 epoch of 3 steps, 8 cases: checks the script, measures nothing')
    ap.add_argument('--threads', type=int, default=2, help='torch CPU threads')
    for k, v in d.to_dict().items():
        if isinstance(v, bool): ap.add_argument(f'--{k}', type=lambda s: s.lower() in ('1', 'true', 'yes'), default=None, help=f'(demo: {v})')
        else: ap.add_argument(f'--{k}', type=type(v) if v is not None else int, default=None, help=f'(demo: {v})')
    args = ap.parse_args()
    over = {k: getattr(args, k) for k in d.to_dict() if getattr(args, k) is not None}
    if args.tiny: over = {**dict(n_cases=8, small=True, epochs=1, steps_per_epoch=3, workers=1), **over}
    return args, DemoConfig.from_dict({**d.to_dict(), **over})

def main():
    args, cfg = parse_args()
    import torch
    torch.set_num_threads(args.threads)
    os.environ.setdefault('MAMMIA_QUIET', '1')
    import logging
    from mammia_seg.core import get_logger
    get_logger(); logging.getLogger('mammia_seg').setLevel(logging.WARNING)   # one line per fold instead of one per epoch
    from mammia_seg.synthetic import make_dataset
    from mammia_seg.dataset import prepare_dataset
    from mammia_seg.train import train
    from mammia_seg.infer import load_model, segment_dataset
    from mammia_seg.evaluate import evaluate_dir
    from mammia_seg.io import read_splits
    tmp = None if args.out_dir else tempfile.TemporaryDirectory()
    root = Path(args.out_dir or tmp.name)
    root.mkdir(parents=True, exist_ok=True)
    data, h5, runs, pred = root/'data', root/'slices.h5', root/'runs', root/'pred'
    print(f"settings (the demo's unless given): {cfg.to_dict()}, {args.n_folds} folds, {args.threads} threads", flush=True)
    t0 = time.perf_counter()
    if not (data/'train_test_splits.csv').exists():
        make_dataset(data, n_cases=cfg.n_cases, seed=cfg.seed, small=cfg.small, workers=cfg.workers, quiet=True)
    if not h5.exists(): prepare_dataset(data, h5, workers=cfg.workers, seed=cfg.seed, quiet=True)
    print(f"data and slice file: {time.perf_counter() - t0:.0f} s", flush=True)
    train_s = {}
    for k in range(args.n_folds):
        t0 = time.perf_counter()
        out = runs/f'fold{k}'
        r = train(h5, out, resume=(out/'last.pth').exists(), fold=k, n_folds=args.n_folds, epochs=cfg.epochs,
                  batch_size=cfg.batch_size, lr=cfg.lr, seed=cfg.seed, split_seed=cfg.seed, device=cfg.device,
                  model={'base': cfg.base}, steps_per_epoch=cfg.steps_per_epoch, quiet=True)
        train_s[k] = time.perf_counter() - t0
        print(f"fold {k}: {r['epochs_done']} epochs in {train_s[k]:.0f} s, best val_dice_slice {r['best_metrics']['val_dice_slice']:.3f}", flush=True)
    best = [runs/f'fold{k}'/'best.pth' for k in range(args.n_folds)]
    n_test = len(read_splits(data)['test'])
    kw = dict(device=cfg.device, post=cfg.post, tta=cfg.tta, quiet=True)

    def segment(name, ckpts, split='test', out=None):
        "Segment with nets loaded beforehand; returns seconds per volume of inference."
        model = load_model(ckpts, cfg.device)
        t0 = time.perf_counter()
        r = segment_dataset(data, model, out or pred/name, split=split, **kw)
        if r['skipped']: print(f"  {name}: skipped {r['skipped']}", file=sys.stderr)
        return (time.perf_counter() - t0) / max(1, len(r['done']))

    sec, evs = {}, {}
    for k in range(args.n_folds):
        sec[f'fold {k}'] = segment(f'fold{k}', best[k])
        evs[f'fold {k}'] = evaluate_dir(pred/f'fold{k}', data, split='test', overlays='none', quiet=True)
    sec['ensemble'] = segment('ensemble', best)
    evs['ensemble'] = evaluate_dir(pred/'ensemble', data, root/'eval_ensemble', split='test', overlays='none', quiet=True)
    for k in range(args.n_folds): segment(f'oof', best[k], split='val', out=pred/'oof')
    cv = evaluate_dir(pred/'oof', data, root/'eval_cv', split='cv', split_file=runs/'fold0', overlays='none', quiet=True)

    singles = [f'fold {k}' for k in range(args.n_folds)]
    dice = {name: {r['case_id']: r['dice'] for r in ev.rows} for name, ev in evs.items()}
    cases = sorted(dice['ensemble'])
    mean = lambda v: sum(v) / len(v) if v else float('nan')
    print(f"\nPer-volume Dice on the {n_test} held-out test cases (post {cfg.post}, tta {cfg.tta}):\n")
    print('| case | ' + ' | '.join(singles) + ' | mean of the single models | 5-fold ensemble |'.replace('5-fold', f'{args.n_folds}-fold'))
    print('|---' * (len(singles) + 3) + '|')
    for c in cases:
        one = [dice[s][c] for s in singles]
        print(f"| {c} | " + ' | '.join(f'{v:.3f}' for v in one) + f" | {mean(one):.3f} | {dice['ensemble'][c]:.3f} |")
    o = {name: ev.overall for name, ev in evs.items()}
    print(f"| **mean** | " + ' | '.join(f"{o[s]['dice']:.3f}" for s in singles) + f" | {mean([o[s]['dice'] for s in singles]):.3f} | "
          f"{o['ensemble']['dice']:.3f} |")
    sec_single = mean([sec[s] for s in singles])
    summary = dict(settings=cfg.to_dict(), n_folds=args.n_folds, n_test=n_test, threads=args.threads,
                   dice_single=[o[s]['dice'] for s in singles], dice_single_mean=mean([o[s]['dice'] for s in singles]),
                   dice_ensemble=o['ensemble']['dice'], hd95_single_mean=mean([o[s]['hd95_mm'] for s in singles]),
                   hd95_ensemble=o['ensemble']['hd95_mm'], dice_cv_oof=cv.overall['dice'], hd95_cv_oof=cv.overall['hd95_mm'],
                   s_per_volume_single=sec_single, s_per_volume_ensemble=sec['ensemble'], train_s=train_s,
                   per_case={c: {name: dice[name][c] for name in dice} for c in cases})
    print(f"\nmean per-volume Dice: one model {summary['dice_single_mean']:.3f} (folds {min(summary['dice_single']):.3f}-"
          f"{max(summary['dice_single']):.3f}), {args.n_folds}-fold ensemble {summary['dice_ensemble']:.3f}; "
          f"HD95 {summary['hd95_single_mean']:.1f} mm vs {summary['hd95_ensemble']:.1f} mm")
    print(f"cross-validated (out-of-fold, {len(cv.rows)} cases): Dice {summary['dice_cv_oof']:.3f}, HD95 {summary['hd95_cv_oof']:.1f} mm")
    print(f"seconds per volume (inference, nets loaded): one model {sec_single:.2f}, ensemble {sec['ensemble']:.2f} "
          f"({sec['ensemble'] / sec_single:.2f}x); training {sum(train_s.values()) / 60:.1f} min for {args.n_folds} folds")
    (root/'ensemble_results.json').write_text(json.dumps(summary, indent=1), encoding='utf-8')
    if tmp: tmp.cleanup()
    else: print(f"files: {root}")

if __name__ == '__main__':
    main()

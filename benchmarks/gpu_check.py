"""The CUDA paths, checked on a machine with an NVIDIA GPU (CI has none): one short script, numbers printed and saved.

    python benchmarks/gpu_check.py [--out gpu_check.json] [--cases 12] [--seconds 4]
    python benchmarks/gpu_check.py --device cpu --small --cases 6 --seconds 1 --bases 16  # a dry run of the script itself

1. training on `cuda` with `--precision fp16` (autocast + GradScaler) and `bf16`: finite losses, the loss falls,
   `last.pth` holds the scaler state (fp16), a resumed run carries on from it;
2. `torchrun --nproc_per_node 1` on `cuda`, and the distributed code path (NCCL process group, SyncBatchNorm, DDP,
   buffer broadcast, `all_gather_object`, barrier) in one process: a one-GPU machine cannot run two NCCL ranks;
3. the training step and inference in slices/s for UNet widths 16 and 64 (the published width), fp32/fp16/bf16;
4. whole-volume inference of a 448x448x160 5-phase case on `cuda` against the CPU (fp32): the same mask (Dice) and
   the seconds per stage.

Everything runs from the working tree (no install needed beyond the packages); exits non-zero when a check fails.
"""
import argparse, json, os, subprocess, sys, tempfile, time, traceback
from pathlib import Path
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault('MAMMIA_QUIET', '1')
RESULTS, FAILED = {}, []

def check(name, cond, detail=''):
    print(f"[{'ok' if cond else 'FAIL'}] {name} {detail}", flush=True)
    if not cond: FAILED.append(name)

def step(name):
    "Run a section; a crash is a failed check, and the script goes on with the next section."
    def deco(f):
        t0 = time.perf_counter()
        print(f'\n== {name}', flush=True)
        try: f()
        except Exception: traceback.print_exc(); FAILED.append(name)
        print(f'   ({time.perf_counter() - t0:.1f} s)', flush=True)
        return f
    return deco

def timed(f, seconds, sync):
    f(); sync()
    n, t0 = 0, time.perf_counter()
    while n < 3 or time.perf_counter() - t0 < seconds: f(); n += 1
    sync()
    return (time.perf_counter() - t0) / n

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out', default='gpu_check.json')
    ap.add_argument('--cases', type=int, default=12)
    ap.add_argument('--seconds', type=float, default=4.0)
    ap.add_argument('--epochs', type=int, default=6, help='epochs of each training check (then one more, resumed)')
    ap.add_argument('--device', default='cuda', help='cpu: a dry run of this script (bf16 only, gloo)')
    ap.add_argument('--bases', type=int, nargs='+', default=[16, 64], help='UNet widths timed')
    ap.add_argument('--small', action='store_true', help='small synthetic volumes (dry runs)')
    args = ap.parse_args()
    dev = torch.device(args.device)
    gpu = dev.type == 'cuda'
    assert not gpu or torch.cuda.is_available(), 'no CUDA device: nothing to check'
    RESULTS['env'] = dict(torch=torch.__version__, cuda=torch.version.cuda, python=sys.version.split()[0],
                          gpu=torch.cuda.get_device_name() if gpu else None, bf16=torch.cuda.is_bf16_supported() if gpu else None)
    precs = (['fp16'] + (['bf16'] if torch.cuda.is_bf16_supported() else [])) if gpu else ['bf16']
    print(RESULTS['env'], flush=True)
    from mammia_seg.synthetic import make_dataset
    from mammia_seg.dataset import prepare_dataset
    from mammia_seg.train import train, train_step, make_scaler, autocast
    from mammia_seg.model import build_model
    tmp = Path(tempfile.mkdtemp())
    data, h5 = tmp/'data', tmp/'slices.h5'

    @step('synthetic data + slice file')
    def _():
        make_dataset(data, n_cases=args.cases, seed=0, small=args.small, workers=min(8, os.cpu_count() or 1))
        s = prepare_dataset(data, h5, workers=min(8, os.cpu_count() or 1), quiet=True)
        RESULTS['prepare'] = {k: v for k, v in s.items() if isinstance(v, (int, float, str))}
        print(RESULTS['prepare'])

    base_kw = dict(batch_size=16, steps_per_epoch=40, quiet=True, workers=2, model=dict(base=16), lr=2e-3)
    for prec in precs:
        @step(f'train on {dev.type}, {prec}')
        def _():
            out = tmp/f'run_{prec}'
            r = train(h5, out, epochs=args.epochs, device=args.device, precision=prec, **base_kw)
            hist = r['history']
            losses = [h['train_loss'] for h in hist]
            check(f'{prec}: precision and device', r['precision'] == prec and r['device'].startswith(dev.type), str((r['precision'], r['device'])))
            check(f'{prec}: finite losses', all(np.isfinite(losses)), str(losses))
            check(f'{prec}: the loss falls', losses[-1] < losses[0], f'{losses[0]:.3f} -> {losses[-1]:.3f}')
            ck = torch.load(out/'last.pth', weights_only=True, map_location='cpu')
            sc = ck.get('scaler_state') or {}
            if prec == 'fp16': check('fp16: scaler state saved', bool(sc) and sc.get('scale', 0) > 0, str({k: sc.get(k) for k in ('scale', '_growth_tracker')}))
            r2 = train(h5, out, resume=True, epochs=args.epochs + 1)
            check(f'{prec}: resume carries on', r2['epochs_done'] == args.epochs + 1 and len(r2['history']) == args.epochs + 1, str(r2['epochs_done']))
            RESULTS[f'train_{prec}'] = dict(losses=losses, val_dice_slice=[h.get('val_dice_slice') for h in r2['history']],
                                            skipped_steps=[h.get('skipped_steps') for h in r2['history']])

    @step(f'torchrun --nproc_per_node 1 on {dev.type}')
    def _():
        out = tmp/'torchrun'
        cmd = [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '1', '-m', 'mammia_seg.train',
               '--h5_path', str(h5), '--out_dir', str(out), '--epochs', '2', '--device', args.device, '--batch_size', '16',
               '--steps_per_epoch', '10', '--quiet']
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=Path(__file__).resolve().parents[1])
        print(p.stdout[-1500:], p.stderr[-2500:])
        check('torchrun exit 0', p.returncode == 0, f'rc {p.returncode}')
        ck = torch.load(out/'last.pth', weights_only=True, map_location='cpu') if (out/'last.pth').exists() else {}
        check('torchrun wrote last.pth with plain (unwrapped) weights', bool(ck) and not any(k.startswith('module.') for k in ck['model_state']))
        RESULTS['torchrun'] = dict(rc=p.returncode)

    @step(f"the distributed code path in one process ({'nccl' if gpu else 'gloo'})")
    def _():
        import torch.distributed as dist
        import mammia_seg.train as T
        os.environ.update(RANK='0', WORLD_SIZE='1', LOCAL_RANK='0', MASTER_ADDR='127.0.0.1', MASTER_PORT='29533')
        if gpu: torch.cuda.set_device(0)
        dist.init_process_group('nccl' if gpu else 'gloo', rank=0, world_size=1)
        saved = T.DistInfo.distributed
        T.DistInfo.distributed = property(lambda self: True)   # a one-rank group taken through the multi-process code
        try:
            r = train(h5, tmp/'ddp1', epochs=2, device=args.device, **{**base_kw, 'workers': 0})
        finally:
            T.DistInfo.distributed = saved
            dist.destroy_process_group()
        losses = [h['train_loss'] for h in r['history']]
        sync_bn = any(isinstance(m, torch.nn.SyncBatchNorm) for m in r['model'].modules())
        check('DDP path: finite losses', all(np.isfinite(losses)), str(losses))
        check('DDP path: SyncBatchNorm on cuda only', sync_bn == gpu, f'SyncBatchNorm {sync_bn}')
        check('DDP path: replica digests gathered', len(r['replica_digests']) == 1 and r['replica_digests'][0], str(r['replica_digests']))
        RESULTS['ddp_one_process'] = dict(losses=losses, sync_bn=sync_bn)

    @step('speed: training step and inference, slices/s')
    def _():
        rows = []
        sync = torch.cuda.synchronize if gpu else (lambda: None)
        for base in args.bases:
            for prec in ['fp32'] + precs:
                torch.manual_seed(0)
                model = build_model(base=base).to(dev, memory_format=torch.channels_last)
                bs = 32
                x = torch.randn(bs, 6, 128, 128, device=dev).to(memory_format=torch.channels_last)
                y = (torch.rand(bs, 1, 128, 128, device=dev) > 0.95).float()
                opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
                scaler = make_scaler(dev, prec)
                t = timed(lambda: train_step(model, x, y, opt, scaler, lambda: autocast(dev, prec)), args.seconds, sync)
                model.eval()
                xb = torch.randn(128, 6, 128, 128, device=dev).to(memory_format=torch.channels_last)
                def infer():
                    with torch.inference_mode(), autocast(dev, prec): model(xb)
                ti = timed(infer, args.seconds, sync)
                rows.append(dict(base=base, precision=prec, train_slices_s=round(bs/t), infer_slices_s=round(128/ti)))
                print(rows[-1], flush=True)
        RESULTS['speed'] = rows

    @step(f'whole-volume inference: {dev.type} vs cpu fp32')
    def _():
        import SimpleITK as sitk
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from infer_speed import make_case
        from mammia_seg.model import save_checkpoint
        from mammia_seg.preprocess import PreprocessConfig
        from mammia_seg.infer import segment_folder, load_model
        from mammia_seg.metrics import dice
        best = sorted((tmp/f'run_{precs[0]}').glob('best_model_*.pth'))
        ckpt = best[-1] if best else None
        from mammia_seg.io import find_cases, load_case
        from mammia_seg.infer import predict_case
        phantom = make_case(tmp/'images'/'DUKE_001')
        files = [f for f in find_cases(data) if f.mask_path is not None][-1]
        real = load_case(files)
        probs, masks, timing = {}, {}, {}
        for device, prec in [('cpu', 'fp32')] + [(args.device, p) for p in precs]:
            model = load_model(ckpt, device)
            m, pr = predict_case(model, real, device, prec)
            masks[(device, prec)] = sitk.GetArrayFromImage(m) > 0
            probs[(device, prec)] = sitk.GetArrayFromImage(pr)
            for i in range(2):   # the first run warms up
                t = {}; t0 = time.perf_counter()
                segment_folder(phantom, model, tmp/f'out_{device}_{prec}', device=device, precision=prec, timings=t)
                t['total'] = time.perf_counter() - t0
            timing[f'{device}_{prec}'] = {k: round(v, 3) for k, v in t.items()}
            print(device, prec, '448x448x160 phantom seconds:', timing[f'{device}_{prec}'], flush=True)
        ref, expert = masks[('cpu', 'fp32')], sitk.GetArrayFromImage(real.mask) > 0
        timing['case'] = dict(case=files.case_id, expert_voxels=int(expert.sum()), cpu_fp32_dice=float(dice(ref, expert)))
        for k, m in masks.items():
            if k != ('cpu', 'fp32'):
                d = float(dice(m, ref)) if ref.any() or m.any() else 1.0
                dp = float(np.abs(probs[k] - probs[('cpu', 'fp32')]).max())
                timing['case'][f'{k[0]}_{k[1]}'] = dict(dice_vs_cpu_fp32=d, max_abs_prob_diff=dp, dice_vs_expert=float(dice(m, expert)))
                check(f'{k[0]} {k[1]} mask = cpu fp32 mask on {files.case_id}', d > 0.98,
                      f'Dice {d:.4f} ({int(m.sum())} vs {int(ref.sum())} voxels; expert {int(expert.sum())}), max |dp| {dp:.3f}')
        RESULTS['infer'] = timing

    RESULTS['failed'] = FAILED
    Path(args.out).write_text(json.dumps(RESULTS, indent=1, default=str), encoding='utf-8')
    print(f"\n{len(FAILED)} failed: {FAILED}" if FAILED else '\nall checks passed')
    sys.exit(1 if FAILED else 0)

if __name__ == '__main__': main()

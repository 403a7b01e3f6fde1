"""mammia_seg beside nnU-Net v2 on the same synthetic patients, on the same machine, in one run.

Needs the optional `peers` extra (`pip install -e ".[peers]"`, i.e. nnunetv2); without it the script says so and
exits 0. What it does:

1. writes a synthetic MAMA-MIA dataset (`--n_train` training cases of every cohort plus `--n_test` DUKE test cases
   with 5 phases, by default resampled onto the grid of DUKE_001: 448x448x160 voxels at 0.804x0.804x1.1 mm) and its
   `train_test_splits.csv`;
2. converts it to nnU-Net's raw format (`Dataset987_MammiaSynth`: `imagesTr`, `labelsTr`, `imagesTs`,
   `dataset.json`) on the same train/test patients, with **one input channel, the first post-contrast phase** (as
   the MAMA-MIA nnU-Net baseline; on the expert mask's grid, where our reading puts every phase);
3. runs nnU-Net's fingerprint extraction, experiment planning and preprocessing (`2d`, `3d_fullres`) and times them
   per training case, beside `mammia_prepare` (all phases) on the same cases;
4. saves a freshly initialised network (seeded) for each configuration as an nnU-Net checkpoint
   (`nnUNet_results/.../fold_0/checkpoint_final.pth`, with `plans.json` and `dataset.json`) and times
   `nnUNetv2_predict` files-to-mask per test volume, with and without mirroring, beside `mammia_infer` (a seeded,
   untrained default UNet; with and without `--tta`). Untrained weights do not change the work a network does;
   each command is timed as a user runs it (a fresh process: its start is included);
5. only with CUDA: trains nnU-Net `2d` for a fixed short schedule (`--nnunet_trainer`, e.g. nnUNetTrainer_10epochs)
   and our UNet for the same minutes (`max_minutes`), and reports the per-volume Dice of both on the test patients
   (`--gpu_cases` native-size cases). On a CPU this part is skipped with a message.

nnU-Net's folders (`nnUNet_raw`, `nnUNet_preprocessed`, `nnUNet_results`) are set inside the script to folders
under `--out_dir` (a temporary folder by default).

    python benchmarks/peers.py                       # the CPU timing part, one DUKE-sized test volume (~15-40 min on 2 cores)
    python benchmarks/peers.py --variants 2d 2d+mirror 3d_fullres mammia mammia+tta   # a subset of the predictions
    python benchmarks/peers.py --tiny                 # checks the script on small volumes in a few minutes
    python benchmarks/peers.py --parts gpu --threads 16   # on a GPU machine: only the Dice at equal training time

Only ratios within one run count (see benchmarks/README.md).
"""
import argparse, importlib.metadata, importlib.util, json, os, shutil, subprocess, sys, tempfile, time
from pathlib import Path

DATASET_ID, DATASET_NAME = 987, 'Dataset987_MammiaSynth'
DUKE_GRID = ((448, 448, 160), (0.804, 0.804, 1.1))
VARIANTS = ('mammia', 'mammia+tta', '2d', '2d+mirror', '3d_fullres', '3d_fullres+mirror')   # the order they run in

def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out_dir', default=None, help='keep everything here (default: a temporary folder, removed at the end)')
    ap.add_argument('--n_train', type=int, default=4, help='training cases (nnU-Net plans from these)')
    ap.add_argument('--n_test', type=int, default=1, help='test volumes to segment')
    ap.add_argument('--native_test', action='store_true', help='keep the test volumes at their synthetic size (default: DUKE-sized)')
    ap.add_argument('--small', action='store_true', help='small synthetic volumes')
    ap.add_argument('--tiny', action='store_true', help='--small, --native_test, 3 training cases: checks the script quickly')
    ap.add_argument('--variants', nargs='+', default=list(VARIANTS), choices=VARIANTS, help='which predictions to time')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--threads', type=int, default=2, help='CPU threads for every tool (and processes for nnU-Net preprocessing)')
    ap.add_argument('--gpu_cases', type=int, default=36, help='CUDA part: synthetic cases (the demo has 36)')
    ap.add_argument('--nnunet_trainer', default='nnUNetTrainer_10epochs', help='CUDA part: nnU-Net trainer with a fixed short schedule')
    ap.add_argument('--parts', nargs='+', default=['cpu', 'gpu'], choices=['cpu', 'gpu'], help='the CPU timing part, the CUDA Dice part (when CUDA is there)')
    args = ap.parse_args()
    if args.tiny: args.small, args.native_test, args.n_train = True, True, 3
    return args

def run(cmd, env, what):
    "Run a console command; its wall-clock seconds. A failure stops the benchmark with the command's last lines."
    t0 = time.perf_counter()
    r = subprocess.run([str(c) for c in cmd], env=env, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if r.returncode: sys.exit(f"{what} failed ({' '.join(map(str, cmd))}):\n{(r.stdout + r.stderr)[-3000:]}")
    return dt

def exe(name):
    "A console script of this environment."
    p = Path(sys.executable).parent/name
    return str(p) if p.exists() else (shutil.which(name) or name)

def duke_sized(img, is_mask=False):
    "`img` resampled onto a DUKE_001-sized grid (448x448x160 at 0.804x0.804x1.1 mm) around the same centre, same directions."
    import numpy as np, SimpleITK as sitk
    size, spacing = DUKE_GRID
    centre = np.array(img.TransformContinuousIndexToPhysicalPoint([(s - 1) / 2 for s in img.GetSize()]))
    D = np.array(img.GetDirection()).reshape(3, 3)
    origin = centre - D @ (np.array(spacing) * (np.array(size) - 1) / 2)
    return sitk.Resample(img, size, sitk.Transform(), sitk.sitkNearestNeighbor if is_mask else sitk.sitkLinear,
                         origin.tolist(), spacing, img.GetDirection(), 0, img.GetPixelID())

def make_data(root, n_train, n_test, small, seed, duke_test):
    "Synthetic training cases of every cohort, and DUKE test cases (5 phases, as DUKE_001), optionally on DUKE_001's grid."
    import SimpleITK as sitk
    from mammia_seg.synthetic import make_dataset, make_case, write_case
    from mammia_seg.io import find_cases
    data = make_dataset(root/'data', n_cases=n_train, seed=seed, small=small, quiet=True)
    train = [c.case_id for c in find_cases(data)]
    test = [f'DUKE_{901 + i}' for i in range(n_test)]
    for i, cid in enumerate(test):
        try: case = make_case(cid, 'DUKE', seed=seed + i, small=small, n_phases=5)
        except TypeError: case = make_case(cid, 'DUKE', seed=seed + i, small=small)   # a generator without `n_phases`
        write_case(case, data)
    (data/'train_test_splits.csv').write_text('train_split,test_split\n' + '\n'.join(
        f"{train[i] if i < len(train) else ''},{test[i] if i < len(test) else ''}" for i in range(max(len(train), len(test)))) + '\n', encoding='utf-8')
    if duke_test:
        for c in find_cases(data, test):
            for p in c.phase_paths: sitk.WriteImage(duke_sized(sitk.ReadImage(str(p))), str(p), True)
            sitk.WriteImage(duke_sized(sitk.ReadImage(str(c.mask_path)), True), str(c.mask_path), True)
    return data, train, test

def to_nnunet_raw(data, raw_root, train, test):
    "Write nnU-Net's raw dataset: the first post-contrast phase (on the expert mask's grid) as the one channel."
    import SimpleITK as sitk
    from mammia_seg.io import find_cases, load_case
    ds = raw_root/DATASET_NAME
    for sub in ('imagesTr', 'labelsTr', 'imagesTs'): (ds/sub).mkdir(parents=True, exist_ok=True)
    for ids, sub in ((train, 'imagesTr'), (test, 'imagesTs')):
        for files in find_cases(data, ids):
            case = load_case(files, float32=False)
            k = case.phase_indices.index(1) if 1 in case.phase_indices else 0
            img = sitk.Image(case.phases[k]); img.CopyInformation(case.mask)
            sitk.WriteImage(img, str(ds/sub/f'{case.case_id}_0000.nii.gz'), True)
            if sub == 'imagesTr': sitk.WriteImage(case.mask, str(ds/'labelsTr'/f'{case.case_id}.nii.gz'), True)
    (ds/'dataset.json').write_text(json.dumps(dict(
        name='MammiaSynth', description='mammia_seg synthetic DCE-MRI, first post-contrast phase',
        channel_names={'0': 'DCE_post1'}, labels={'background': 0, 'lesion': 1}, numTraining=len(train),
        file_ending='.nii.gz'), indent=1), encoding='utf-8')
    return ds

def fresh_nnunet_checkpoint(prep_root, results_root, raw_ds, configuration, seed=0):
    "Save a freshly initialised network of `configuration` as an nnU-Net checkpoint (plans.json, dataset.json, fold_0)."
    import inspect, torch
    from nnunetv2.utilities.plans_handling.plans_handler import PlansManager
    from nnunetv2.utilities.label_handling.label_handling import determine_num_input_channels
    from nnunetv2.training.nnUNetTrainer.nnUNetTrainer import nnUNetTrainer
    plans = json.loads((prep_root/DATASET_NAME/'nnUNetPlans.json').read_text())
    dataset_json = json.loads((raw_ds/'dataset.json').read_text())
    pm = PlansManager(plans); cm = pm.get_configuration(configuration)
    n_in = determine_num_input_channels(pm, cm, dataset_json)
    n_out = pm.get_label_manager(dataset_json).num_segmentation_heads
    torch.manual_seed(seed)
    if 'plans_manager' in inspect.signature(nnUNetTrainer.build_network_architecture).parameters:
        net = nnUNetTrainer.build_network_architecture(pm, cm, n_in, n_out, enable_deep_supervision=False)
    else:
        net = nnUNetTrainer.build_network_architecture(cm.network_arch_class_name, cm.network_arch_init_kwargs,
                                                       cm.network_arch_init_kwargs_req_import, n_in, n_out, enable_deep_supervision=False)
    folder = results_root/DATASET_NAME/f'nnUNetTrainer__nnUNetPlans__{configuration}'
    (folder/'fold_0').mkdir(parents=True, exist_ok=True)
    (folder/'plans.json').write_text(json.dumps(plans, indent=1)); (folder/'dataset.json').write_text(json.dumps(dataset_json, indent=1))
    mirror = (0, 1) if len(cm.patch_size) == 2 else (0, 1, 2)
    torch.save(dict(network_weights=net.state_dict(), trainer_name='nnUNetTrainer', inference_allowed_mirroring_axes=mirror,
                    init_args=dict(configuration=configuration, fold=0, plans=plans, dataset_json=dataset_json)),
               folder/'fold_0'/'checkpoint_final.pth')
    return dict(patch_size=list(cm.patch_size), spacing=list(cm.spacing), parameters=sum(p.numel() for p in net.parameters()))

def cpu_timing(args, root, env):
    import torch
    from mammia_seg.dataset import prepare_dataset
    from mammia_seg.model import build_model, save_checkpoint
    from mammia_seg.preprocess import PreprocessConfig
    res = dict(variants={}, preprocess={}, n_train=args.n_train, n_test=args.n_test)
    data, train, test = make_data(root, args.n_train, args.n_test, args.small, args.seed, not args.native_test)
    import SimpleITK as sitk
    from mammia_seg.io import find_cases
    tc = find_cases(data, test)[0]
    ref = sitk.ReadImage(str(tc.phase_paths[0]))
    res['test_volume'] = dict(size=list(ref.GetSize()), spacing=[round(s, 3) for s in ref.GetSpacing()], phases=len(tc.phase_paths))
    print(f"dataset: {len(train)} training, {len(test)} test cases; test volume {res['test_volume']}", flush=True)
    raw_ds = to_nnunet_raw(data, Path(env['nnUNet_raw']), train, test)
    np_ = str(args.threads)
    steps = [('fingerprint', [exe('nnUNetv2_extract_fingerprint'), '-d', DATASET_ID, '-np', np_, '--verify_dataset_integrity']),
             ('plan', [exe('nnUNetv2_plan_experiment'), '-d', DATASET_ID]),
             ('preprocess 2d', [exe('nnUNetv2_preprocess'), '-d', DATASET_ID, '-c', '2d', '-np', np_]),
             ('preprocess 3d_fullres', [exe('nnUNetv2_preprocess'), '-d', DATASET_ID, '-c', '3d_fullres', '-np', np_])]
    for name, cmd in steps:
        res['preprocess'][f'nnU-Net {name}'] = run(cmd, env, f'nnU-Net {name}') / len(train)
        print(f"nnU-Net {name}: {res['preprocess'][f'nnU-Net {name}']:.2f} s per training case", flush=True)
    t0 = time.perf_counter()
    prepare_dataset(data, root/'slices.h5', case_ids=train, workers=1, quiet=True)   # one worker: its threads keep both cores busy
    res['preprocess']['mammia_prepare (all phases, slices into HDF5)'] = (time.perf_counter() - t0) / len(train)
    print(f"mammia_prepare: {res['preprocess']['mammia_prepare (all phases, slices into HDF5)']:.2f} s per case", flush=True)
    res['nnunet_plans'] = {c: fresh_nnunet_checkpoint(Path(env['nnUNet_preprocessed']), Path(env['nnUNet_results']), raw_ds, c, args.seed)
                           for c in ('2d', '3d_fullres')}
    print(f"nnU-Net plans: {res['nnunet_plans']}", flush=True)
    torch.manual_seed(args.seed)
    net = build_model()
    ours = save_checkpoint(root/'mammia_untrained.pth', dict(model_state=net.state_dict(), model_config=net.cfg.to_dict(),
                                                            preprocess_config=PreprocessConfig().to_dict()))
    for v in args.variants:
        out = root/'pred'/v.replace('+', '_')
        if v.startswith('mammia'):
            cmd = [exe('mammia_infer'), '--data_dir', data, '--split', 'test', '--checkpoint_path', ours, '--out_dir', out, '--quiet'] + \
                  (['--tta'] if 'tta' in v else [])
        else:
            c = v.split('+')[0]
            cmd = [exe('nnUNetv2_predict'), '-i', raw_ds/'imagesTs', '-o', out, '-d', DATASET_ID, '-c', c, '-f', '0',
                   '-chk', 'checkpoint_final.pth', '-device', 'cpu', '-npp', '1', '-nps', '1', '--disable_progress_bar'] + \
                  ([] if 'mirror' in v else ['--disable_tta'])
        res['variants'][v] = run(cmd, env, v) / len(test)
        print(f"{v}: {res['variants'][v]:.1f} s per volume (load average {os.getloadavg()[0]:.1f})", flush=True)
        (root/'peers_results.partial.json').write_text(json.dumps(res, indent=1, default=str), encoding='utf-8')
    return res

def gpu_dice(args, root, env):
    "nnU-Net 2d for a fixed short schedule against our UNet trained for the same minutes: per-volume Dice on the test patients."
    from mammia_seg.dataset import prepare_dataset
    from mammia_seg.train import train
    from mammia_seg.infer import segment_dataset
    from mammia_seg.evaluate import evaluate_dir
    from mammia_seg.io import read_splits
    from mammia_seg.synthetic import make_dataset
    groot = root/'gpu'; groot.mkdir(exist_ok=True)
    genv = {**env, 'nnUNet_raw': str(groot/'nnUNet_raw'), 'nnUNet_preprocessed': str(groot/'nnUNet_preprocessed'),
            'nnUNet_results': str(groot/'nnUNet_results')}
    data = make_dataset(groot/'data', n_cases=args.gpu_cases, seed=args.seed, quiet=True)
    splits = read_splits(data)
    raw_ds = to_nnunet_raw(data, Path(genv['nnUNet_raw']), splits['train'], splits['test'])
    run([exe('nnUNetv2_plan_and_preprocess'), '-d', DATASET_ID, '-c', '2d', '-np', str(args.threads), '-npfp', str(args.threads),
         '--verify_dataset_integrity'], genv, 'nnU-Net plan and preprocess')
    t_wall = run([exe('nnUNetv2_train'), DATASET_ID, '2d', '0', '-tr', args.nnunet_trainer, '-device', 'cuda'], genv, 'nnU-Net training')
    # its own epoch times (the wall time adds start-up and the validation of fold 0 after training): our budget
    logs = sorted((Path(genv['nnUNet_results'])/DATASET_NAME).glob(f'{args.nnunet_trainer}__nnUNetPlans__2d/fold_0/training_log_*.txt'))
    epochs_s = [float(l.split('Epoch time:')[1].split()[0]) for f in logs for l in f.read_text().splitlines() if 'Epoch time:' in l]
    t_nn = sum(epochs_s) if epochs_s else t_wall
    run([exe('nnUNetv2_predict'), '-i', raw_ds/'imagesTs', '-o', groot/'pred_nnunet', '-d', DATASET_ID, '-c', '2d', '-f', '0',
         '-tr', args.nnunet_trainer, '-chk', 'checkpoint_final.pth', '-device', 'cuda'], genv, 'nnU-Net prediction')
    prepare_dataset(data, groot/'slices.h5', workers=args.threads, quiet=True)
    t0 = time.perf_counter()
    r = train(groot/'slices.h5', groot/'run', epochs=100000, patience=0, max_minutes=t_nn / 60, device='cuda', quiet=True)
    t_ours = time.perf_counter() - t0
    segment_dataset(data, groot/'run'/'best.pth', groot/'pred_mammia', split='test', device='cuda', quiet=True)
    ev_nn = evaluate_dir(groot/'pred_nnunet', data, split='test', overlays='none', quiet=True)
    ev_us = evaluate_dir(groot/'pred_mammia', data, split='test', overlays='none', quiet=True)
    nn_dice = {row['case_id']: row['dice'] for row in ev_nn.rows}
    return dict(nnunet_trainer=args.nnunet_trainer, nnunet_train_min=t_nn / 60, nnunet_wall_min=t_wall / 60, mammia_train_min=t_ours / 60,
                mammia_epochs=r['epochs_done'], n_test=len(ev_us.rows),
                dice_nnunet_2d=ev_nn.overall['dice'], dice_mammia=ev_us.overall['dice'],
                hd95_nnunet_2d=ev_nn.overall['hd95_mm'], hd95_mammia=ev_us.overall['hd95_mm'],
                per_case={row['case_id']: dict(nnunet_2d=nn_dice.get(row['case_id']), mammia=row['dice']) for row in ev_us.rows})

def report(res):
    if 'cpu' in res: report_cpu(res)
    g = res.get('gpu')
    if isinstance(g, dict):
        print(f"\nCUDA: nnU-Net 2d ({g['nnunet_trainer']}, {g['nnunet_train_min']:.1f} min of epochs) per-volume Dice {g['dice_nnunet_2d']:.3f}, "
              f"HD95 {g['hd95_nnunet_2d']:.1f} mm; mammia_seg for the same minutes ({g['mammia_epochs']} epochs) Dice {g['dice_mammia']:.3f}, "
              f"HD95 {g['hd95_mammia']:.1f} mm; {g['n_test']} test volumes")
    else: print(f"\n{g}")

def report_cpu(res):
    v, p = res['cpu']['variants'], res['cpu']['preprocess']
    tv = res['cpu']['test_volume']
    print(f"\n## Side by side, one machine, one run ({res['machine']})\n")
    print(f"Test volume: {'x'.join(map(str, tv['size']))} voxels at {'x'.join(map(str, tv['spacing']))} mm, {tv['phases']} phases "
          f"(nnU-Net reads the first post-contrast phase only); {res['cpu']['n_train']} training cases for nnU-Net's plans.\n")
    print('| files -> mask, per volume | seconds | / mammia_infer |\n|---|---|---|')
    base = v.get('mammia')
    names = {'2d': 'nnUNetv2_predict -c 2d --disable_tta', '2d+mirror': 'nnUNetv2_predict -c 2d (mirroring)',
             '3d_fullres': 'nnUNetv2_predict -c 3d_fullres --disable_tta', '3d_fullres+mirror': 'nnUNetv2_predict -c 3d_fullres (mirroring)',
             'mammia': 'mammia_infer', 'mammia+tta': 'mammia_infer --tta'}
    for k in VARIANTS:
        if k in v: print(f"| `{names[k]}` | {v[k]:.1f} | {v[k] / base:.1f}x |" if base else f"| `{names[k]}` | {v[k]:.1f} | – |")
    print('\n| preprocessing | seconds per case |\n|---|---|')
    for k, s in p.items(): print(f"| {k} | {s:.2f} |")

def main():
    args = parse_args()
    if importlib.util.find_spec('nnunetv2') is None:
        print("benchmarks/peers.py: nnunetv2 is not installed, so there is nothing to compare with; skipped. "
              "Install it with: pip install -e \".[peers]\"  (or pip install nnunetv2, keeping your torch)")
        return
    tmp = None if args.out_dir else tempfile.TemporaryDirectory()
    root = Path(args.out_dir or tmp.name); root.mkdir(parents=True, exist_ok=True)
    for k in ('nnUNet_raw', 'nnUNet_preprocessed', 'nnUNet_results'):
        os.environ[k] = str(root/k); (root/k).mkdir(exist_ok=True)
    os.environ.setdefault('MAMMIA_QUIET', '1')
    t = str(args.threads)
    env = {**os.environ, 'OMP_NUM_THREADS': t, 'nnUNet_def_n_proc': t, 'nnUNet_n_proc_DA': t, 'MAMMIA_QUIET': '1'}
    import platform, torch
    torch.set_num_threads(args.threads)
    import nnunetv2
    from mammia_seg.core import package_version
    res = dict(machine=f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}, "
                       f"nnunetv2 {getattr(nnunetv2, '__version__', None) or importlib.metadata.version('nnunetv2')}, "
                       f"mammia_seg {package_version()}, {args.threads} threads",
               load_before=os.getloadavg()[0] if hasattr(os, 'getloadavg') else None)
    if 'cpu' in args.parts: res['cpu'] = cpu_timing(args, root, env)
    if 'gpu' not in args.parts: res['gpu'] = 'Dice after equal training time: not asked for (--parts)'
    elif torch.cuda.is_available(): res['gpu'] = gpu_dice(args, root, env)
    else: res['gpu'] = ("Dice after equal training time: skipped, no CUDA device here (it trains nnU-Net 2d and our UNet on a "
                        "GPU; run this script on a GPU machine for it).")
    res['load_after'] = os.getloadavg()[0] if hasattr(os, 'getloadavg') else None
    report(res)
    (root/'peers_results.json').write_text(json.dumps(res, indent=1, default=str), encoding='utf-8')
    if tmp: tmp.cleanup()
    else: print(f"\nfiles: {root}")

if __name__ == '__main__':
    main()

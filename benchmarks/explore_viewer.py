"""Responsiveness of the viewers in `mammia_seg.explore`: how long a widget takes to react to a control.

A breast-MRI-like phantom of ISPY2 size (256x256x100 voxels at 0.7x0.7x2.0 mm, 6 phases, stored sagittally so that
the reorientation to LPS does real work) is loaded with `view_case`; then the case viewer's slider is moved over
10 slices, the image is switched, and an HDF5 page (12 tiles of 128x128) and a training-run plot are redrawn.
Prints milliseconds per step (median of the repeats); the goal is a redraw well under 0.5 s on a laptop CPU.

    python benchmarks/explore_viewer.py [--size 256 256 100] [--repeats 10]
"""
import argparse, tempfile, time, json
from pathlib import Path
import numpy as np, h5py
import SimpleITK as sitk
from mammia_seg.explore import view_case, CaseViewer, H5Browser, RunViewer, auto_window

def phantom(size, spacing, n_phases=6, seed=0):
    X, Y, Z = size
    rng = np.random.default_rng(seed)
    z, y, x = np.ogrid[:Z, :Y, :X]
    breasts = (((x - .3*X)/(.2*X))**2 + ((y - .3*Y)/(.5*Y))**2 + ((z - Z/2)/(.45*Z))**2 <= 1) | \
              (((x - .7*X)/(.2*X))**2 + ((y - .3*Y)/(.5*Y))**2 + ((z - Z/2)/(.45*Z))**2 <= 1)
    lesion = ((x - .3*X)/8)**2 + ((y - .3*Y)/8)**2 + ((z - Z/2)/4)**2 <= 1
    imgs = []
    for k in range(n_phases):
        a = (np.where(breasts, 400, 20) + (600*lesion if k else 0) + 25*rng.standard_normal((Z, Y, X))).astype(np.float32)
        img = sitk.GetImageFromArray(a); img.SetSpacing(spacing)
        imgs.append(sitk.DICOMOrient(img, 'PIL'))   # stored sagittally, as ISPY1 / NACT are
    m = sitk.GetImageFromArray(lesion.astype(np.uint8)); m.SetSpacing(spacing)
    return imgs, sitk.DICOMOrient(m, 'PIL')

def ms(f, repeats):
    ts = []
    for _ in range(repeats):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    return 1000*float(np.median(ts))

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--size', type=int, nargs=3, default=[256, 256, 100])
    ap.add_argument('--repeats', type=int, default=10)
    a = ap.parse_args()
    imgs, mask = phantom(a.size, (0.7, 0.7, 2.0))
    rows = []
    t = time.perf_counter(); vc = view_case(imgs, case_id='BENCH', mask=mask); rows.append(('view_case (6 phases, reorient to LPS)', 1000*(time.perf_counter()-t)))
    t = time.perf_counter(); auto_window(vc, 'sub1'); rows.append(('first window of sub1 (percentiles, then cached)', 1000*(time.perf_counter()-t)))
    v = CaseViewer(vc)
    zs = iter(list(range(a.size[2]//2 - 20, a.size[2]//2 + 20))*10)
    rows.append(('case viewer: move the slice slider', ms(lambda: setattr(v.slice_slider, 'value', next(zs)), a.repeats)))
    names = iter(['phase0', 'sub1', 'phase2', 'sub2']*10)
    rows.append(('case viewer: switch the image (window cached after first)', ms(lambda: setattr(v.image_dropdown, 'value', next(names)), a.repeats)))
    axes = iter(['coronal', 'axial']*10)
    rows.append(('case viewer: switch the view axis', ms(lambda: setattr(v.axis_buttons, 'value', next(axes)), a.repeats)))
    with tempfile.TemporaryDirectory() as d:
        d = Path(d); n = 600
        rng = np.random.default_rng(0)
        with h5py.File(d/'s.h5', 'w') as f:
            f.create_dataset('images', data=rng.normal(size=(n, 6, 128, 128)).astype(np.float16), chunks=(1, 6, 128, 128))
            f.create_dataset('masks', data=np.zeros((n, 1, 128, 128), np.uint8), chunks=(1, 1, 128, 128))
            f['case_id'] = np.array([f'C{i//30:03d}' for i in range(n)], dtype=object); f['cohort'] = np.array(['DUKE']*n, dtype=object)
            f['slice_index'], f['is_positive'], f['phase_present'] = np.arange(n) % 30, np.arange(n) % 3 == 0, np.ones((n, 6), bool)
        b = H5Browser(d/'s.h5')
        pages = iter(list(range(1, 40))*3)
        rows.append(('HDF5 browser: next page (12 tiles)', ms(lambda: setattr(b.page_slider, 'value', next(pages)), a.repeats)))
        run = d/'run'; run.mkdir()
        (run/'log.jsonl').write_text(''.join(json.dumps(dict(epoch=e, train_loss=1/e, val_loss=1.2/e, val_dice_slice=1-1/e, lr=1e-3))+'\n' for e in range(1, 201)))
        r = RunViewer(run)
        rows.append(('run viewer: refresh (200 epochs)', ms(lambda: r.refresh_button.click(), a.repeats)))
    print(f"explore viewers on a {'x'.join(map(str, a.size))} x 6-phase case (median of {a.repeats}; times include the PNG render)")
    print(f"| step | ms |\n|---|---|")
    for name, t in rows: print(f"| {name} | {t:.0f} |")

if __name__ == '__main__': main()

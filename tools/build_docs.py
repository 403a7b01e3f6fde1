"""Offline docs build: nbdev's own notebook processing, then nbconvert to HTML (Quarto is not needed).

    python tools/build_docs.py            # -> _docs_offline/*.html
    python tools/build_docs.py --readme   # only regenerate README.md from nbs/index.ipynb

Users who have Quarto can run `nbdev_docs` / `nbdev_preview` as usual; this builds the same processed
notebooks (`nbdev.quarto.proc_nbs`: hidden cells dropped, directives stripped, `show_doc` rendered) into
plain HTML pages, so CI can check that every notebook still renders.
"""
import sys, subprocess, shutil, re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def processed_notebooks(file_glob=''):
    "Run nbdev's docs processors on `nbs/` and return the processed notebooks in `_proc/`."
    import os
    os.chdir(ROOT)
    from nbdev.quarto import proc_nbs
    cache = Path(proc_nbs(n_workers=0, force=True, file_glob=file_glob))
    return sorted(p for p in cache.glob('*.ipynb') if not p.name.startswith(('_', '.')))

def build_html(out_dir=ROOT/'_docs_offline'):
    nbs = processed_notebooks()
    if out_dir.exists(): shutil.rmtree(out_dir)
    out_dir.mkdir()
    for nb in nbs:
        r = subprocess.run([sys.executable, '-m', 'nbconvert', '--to', 'html', '--log-level', 'WARN',
                            '--output-dir', str(out_dir), str(nb)], capture_output=True, text=True)
        if r.returncode: sys.exit(f"docs: {nb.name} failed to render:\n{r.stderr[-2000:]}")
    print(f"docs: {len(nbs)} pages in {out_dir.relative_to(ROOT)}/")

if __name__ == '__main__':
    if '--readme' in sys.argv:
        subprocess.run([sys.executable, str(ROOT/'tools'/'readme.py')], check=True)
    else: build_html()

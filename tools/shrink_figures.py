"""Store large notebook figures as JPEG: MRI noise makes PNGs of a few hundred pixels 100-200 KB each.

    python tools/shrink_figures.py             # every nbs/*.ipynb, in place
    python tools/shrink_figures.py --check     # exit 1 if a notebook is over the size limit (100 KB)

A PNG output over 20 KB becomes an `image/jpeg` output (quality 80, same pixels); smaller ones (line plots, tables)
stay PNG. Only stored outputs change, never code: run it after executing a notebook, before `nbdev_clean`.
"""
import base64, io, json, sys
from pathlib import Path
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
LIMIT_KB, MIN_KB = 100, 20

def shrink(nb_path:Path)->int:
    nb = json.loads(nb_path.read_text(encoding='utf-8'))
    n = 0
    for c in nb['cells']:
        for o in c.get('outputs', []):
            d = o.get('data', {})
            png = d.get('image/png')
            if not png or len(png) * 3 // 4 < MIN_KB * 1024: continue
            im = Image.open(io.BytesIO(base64.b64decode(png))).convert('RGB')
            buf = io.BytesIO(); im.save(buf, 'JPEG', quality=80, optimize=True)
            if buf.tell() >= len(png) * 3 // 4: continue
            del d['image/png']; d['image/jpeg'] = base64.b64encode(buf.getvalue()).decode('ascii'); n += 1
    if n: nb_path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n', encoding='utf-8')
    return n

if __name__ == '__main__':
    nbs = sorted((ROOT/'nbs').glob('*.ipynb'))
    if '--check' in sys.argv:
        big = [(p.name, p.stat().st_size // 1024) for p in nbs if p.stat().st_size > LIMIT_KB * 1024]
        for name, kb in big: print(f'{name}: {kb} KB (limit {LIMIT_KB} KB)')
        sys.exit(1 if big else 0)
    for p in nbs:
        k = shrink(p)
        if k: print(f'{p.name}: {k} figure(s) as JPEG, now {p.stat().st_size // 1024} KB')

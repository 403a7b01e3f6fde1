"""House rules for the notebooks (issue 13), checked in CI:

- every notebook under 100 KB (figures are JPEG at a low dpi: `python tools/shrink_figures.py`);
- every exported cell under 60 lines (split big functions; big classes with `@patch`, a method per cell).

    python tools/house.py          # a table of every notebook: size, exported cells, the longest
    python tools/house.py --check  # exit 1 and name each notebook or cell that breaks a rule
"""
import json, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_KB, MAX_LINES = 100, 60

def exported_cells(nb:dict)->list:
    "(cell index, line count, first definition line) of each `#| export` cell."
    out = []
    for i, c in enumerate(nb['cells']):
        if c['cell_type'] != 'code': continue
        src = ''.join(c['source']).split('\n')
        if not src or not src[0].replace(' ', '').startswith(('#|export', '#|exports')): continue
        name = next((l.strip() for l in src if l.startswith(('def ', 'class ', '@patch', 'async def '))), src[1] if len(src) > 1 else '')
        out.append((i, len(src), name[:60]))
    return out

def main(check=False):
    bad = []
    print(f"{'notebook':28} {'KB':>6} {'exported':>8} {'longest':>7}")
    for p in sorted((ROOT/'nbs').glob('*.ipynb')):
        nb, kb = json.loads(p.read_text()), p.stat().st_size / 1024
        cells = exported_cells(nb)
        print(f"{p.name:28} {kb:6.0f} {len(cells):8} {max((n for _, n, _ in cells), default=0):7}")
        if kb >= MAX_KB: bad.append(f"{p.name}: {kb:.0f} KB (limit {MAX_KB} KB)")
        bad += [f"{p.name}: exported cell {i} has {n} lines (limit {MAX_LINES}): {name}" for i, n, name in cells if n >= MAX_LINES]
    for b in bad: print('house:', b)
    if check and bad: sys.exit(1)

if __name__ == '__main__': main('--check' in sys.argv)

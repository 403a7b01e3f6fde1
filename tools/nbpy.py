"""Round-trip a notebook through a percent-format .py file, for editing notebooks as text.

    python tools/nbpy.py nb2py nbs/03_preprocess.ipynb /tmp/03_preprocess.py
    python tools/nbpy.py py2nb /tmp/03_preprocess.py nbs/03_preprocess.ipynb

Cells are separated by `# %%` (code), `# %% [markdown]` and `# %% [raw]` (each line prefixed with `# `).
The notebook stays the source of truth: this only helps edit it. py2nb keeps the outputs of code
cells whose source did not change; run the notebook again (`jupyter nbconvert --execute --inplace`)
to refresh figures, then `nbdev_clean`.
"""
import json, sys, hashlib
from pathlib import Path

def nb2py(nb_path, py_path):
    nb = json.loads(Path(nb_path).read_text())
    out = []
    for c in nb['cells']:
        src = ''.join(c['source'])
        if c['cell_type'] in ('markdown', 'raw'):
            out.append(f"# %% [{c['cell_type']}]\n" + '\n'.join(('# ' + l) if l else '#' for l in src.split('\n')))
        else: out.append('# %%\n' + src)
    Path(py_path).write_text('\n\n'.join(out) + '\n')

def _split(text):
    cells, cur, kind = [], None, None
    for line in text.split('\n'):
        if line.startswith('# %%'):
            if cur is not None: cells.append((kind, cur))
            kind, cur = ('markdown' if '[markdown]' in line else 'raw' if '[raw]' in line else 'code'), []
        elif cur is not None: cur.append(line)
    if cur is not None: cells.append((kind, cur))
    res = []
    for kind, lines in cells:
        while lines and not lines[-1].strip(): lines.pop()
        while lines and not lines[0].strip(): lines.pop(0)
        if kind in ('markdown', 'raw'): lines = [l[2:] if l.startswith('# ') else l.lstrip('#') for l in lines]
        res.append((kind, '\n'.join(lines)))
    return res

def py2nb(py_path, nb_path):
    old = {}
    if Path(nb_path).exists():
        for c in json.loads(Path(nb_path).read_text())['cells']:
            if c['cell_type'] == 'code': old[''.join(c['source'])] = c.get('outputs', [])
    cells, seen = [], set()
    for kind, src in _split(Path(py_path).read_text()):
        # stable cell ids (nbdev writes them into the exported modules): a hash of the source
        cid = hashlib.sha1(src.encode()).hexdigest()[:8]
        while cid in seen: cid = hashlib.sha1(cid.encode()).hexdigest()[:8]
        seen.add(cid)
        lines = src.split('\n')
        source = [l + '\n' for l in lines[:-1]] + [lines[-1]]
        if kind in ('markdown', 'raw'): cells.append(dict(cell_type=kind, id=cid, metadata={}, source=source))
        else: cells.append(dict(cell_type='code', execution_count=None, id=cid, metadata={}, outputs=old.get(src, []), source=source))
    nb = dict(cells=cells, metadata=dict(kernelspec=dict(display_name='python3', language='python', name='python3')),
              nbformat=4, nbformat_minor=5)
    Path(nb_path).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')

if __name__ == '__main__':
    cmd, a, b = sys.argv[1:4]
    {'nb2py': nb2py, 'py2nb': py2nb}[cmd](a, b)

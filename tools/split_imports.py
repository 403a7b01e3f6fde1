"""Move the top-level imports of test/demo cells into cells of their own.

nbdev's docs processing (`nbdev_docs`, `tools/build_docs.py`) executes every code cell that contains an import,
without the cells before it that are not exported: a cell that mixes `import x` with code that uses earlier
results then fails the docs build. This tool splits such cells: the imports go to a new cell just before, which
keeps the original cell's `#| hide` directive.

    python tools/split_imports.py           # fix nbs/*.ipynb in place
    python tools/split_imports.py --check   # list offending cells, exit 1 if any (CI)
"""
import ast, json, sys, hashlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_KEEP = ('export', 'exporti', 'exports', 'exec_doc')

def _directives(lines):
    return [l for l in lines if l.strip().startswith('#|')]

def split_cell(src:str):
    "Return (imports_src, rest_src) when `src` mixes top-level imports with other statements, else None."
    lines = src.split('\n')
    dirs = _directives(lines)
    names = [d.strip()[2:].strip().split(':')[0].split(' ')[0] for d in dirs]
    if any(n in _KEEP for n in names) or any(d.replace(' ', '').startswith('#|eval:false') for d in dirs): return None
    try: tree = ast.parse(src)
    except SyntaxError: return None
    imps = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    # nested imports (in `with`/`for`/`try` blocks or functions) make nbdev run the cell too: hoist them
    def _nested(node):
        for ch in ast.iter_child_nodes(node):
            if isinstance(ch, (ast.Import, ast.ImportFrom)) and node is not tree: yield ch
            yield from _nested(ch)
    nested = list(_nested(tree))
    others = [n for n in tree.body if not isinstance(n, (ast.Import, ast.ImportFrom))]
    if not (imps or nested) or not others: return None
    imp_lines, hoisted = set(), []
    for n in imps: imp_lines.update(range(n.lineno - 1, n.end_lineno))
    for n in nested:
        if n.lineno != n.end_lineno or ';' in lines[n.lineno - 1]: continue   # leave odd layouts alone
        hoisted.append(lines[n.lineno - 1].strip())
        lines[n.lineno - 1] = None   # dropped (a block left with no statement would need fixing by hand)
    if not imp_lines and not hoisted: return None
    hide = [d for d in dirs if d.strip()[2:].strip().startswith('hide')]
    imp_src = '\n'.join(hide + [lines[i] for i in sorted(imp_lines) if lines[i] is not None] + hoisted)
    rest = '\n'.join(l for i, l in enumerate(lines) if i not in imp_lines and l is not None)
    return imp_src, rest.strip('\n')

def _source(text):
    ls = text.split('\n')
    return [l + '\n' for l in ls[:-1]] + [ls[-1]]

def process(nb_path:Path, fix=True)->int:
    nb = json.loads(nb_path.read_text())
    out, n = [], 0
    for c in nb['cells']:
        if c['cell_type'] == 'code':
            r = split_cell(''.join(c['source']))
            if r:
                n += 1
                if not fix: print(f"{nb_path.name}: cell mixes imports and code: {''.join(c['source']).splitlines()[0][:60]!r}")
                else:
                    imp, rest = r
                    cid = hashlib.sha1((c.get('id', '') + imp).encode()).hexdigest()[:8]
                    out.append(dict(cell_type='code', execution_count=None, id=cid, metadata={}, outputs=[], source=_source(imp)))
                    c = {**c, 'source': _source(rest)}
        out.append(c)
    if fix and n:
        nb['cells'] = out
        nb_path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')
    return n

if __name__ == '__main__':
    check = '--check' in sys.argv
    total = sum(process(p, fix=not check) for p in sorted((ROOT/'nbs').glob('*.ipynb')))
    if check and total: sys.exit(1)
    print(f"{total} cells {'to split' if check else 'split'}")

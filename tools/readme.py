"""Keep README.md in step with nbs/index.ipynb without Quarto.

    python tools/readme.py          # rewrite README.md from nbs/index.ipynb
    python tools/readme.py --check  # exit 1 when README.md differs (CI)

The index notebook is rendered the way nbdev renders it: hidden cells and directive comments dropped,
markdown kept, code cells as Python blocks, text outputs as plain blocks, images by path.
"""
import json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def _directives(src):
    return [l.strip()[3:].strip() for l in src.splitlines() if l.strip().startswith('#|')]

def render(nb_path=ROOT/'nbs'/'index.ipynb'):
    nb = json.loads(Path(nb_path).read_text())
    out = []
    for c in nb['cells']:
        src = ''.join(c['source'])
        if c['cell_type'] == 'markdown':
            # images in the notebook are relative to nbs/; the README lives one level up
            out.append(re.sub(r'\]\((?!https?:|/|#)', '](nbs/', src)); continue
        d = _directives(src)
        if any(x.startswith(('hide', 'export', 'exporti')) for x in d): continue
        code = '\n'.join(l for l in src.splitlines() if not l.strip().startswith('#|')).strip()
        if code and not any(x.startswith('echo: false') for x in d): out.append(f"```python\n{code}\n```")
        for o in c.get('outputs', []):
            text = o.get('text') or (o.get('data', {}).get('text/plain') if 'data' in o else None)
            if 'data' in o and 'text/markdown' in o['data']: out.append(''.join(o['data']['text/markdown']))
            elif text: out.append("```\n" + ''.join(text).rstrip() + "\n```")
    return "<!-- generated from nbs/index.ipynb by tools/readme.py: edit the notebook, not this file -->\n\n" + '\n\n'.join(out).strip() + '\n'

if __name__ == '__main__':
    text, readme = render(), ROOT/'README.md'
    if '--check' in sys.argv:
        if readme.read_text() != text: sys.exit("README.md is out of step with nbs/index.ipynb: run `python tools/readme.py`")
        print('README.md in step with nbs/index.ipynb')
    else: readme.write_text(text); print('wrote README.md')

"""Check the viewers and the offline docs in a real browser: Voilà serves a notebook holding a `CaseViewer`
on one synthetic case, headless Chromium (Debian's, driven by playwright) opens it, waits for the figure,
clicks the 'coronal' view button and asserts that the figure is redrawn (a different image).
With `--docs DIR` it also opens the offline docs' explore page and checks it reads as the nbdev site would.

    python tools/browser_check.py [--out DIR] [--docs _docs]

Needs `pip install -e ".[browser]"` (playwright, voila) and a Chromium (`apt-get install chromium`);
playwright's own browser download is not used. Exits 0 when every check holds, 1 otherwise (one line each)."""
import argparse, json, os, shutil, socket, subprocess, sys, tempfile, time
from pathlib import Path

CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                 '--disable-background-networking', '--disable-component-update', '--disable-sync']

NOTEBOOK_CELLS = [
    "from mammia_seg.synthetic import make_dataset\nfrom mammia_seg.explore import CaseViewer\n",
    "data = make_dataset('{data}', n_cases=1, seed=0, small=True)\nviewer = CaseViewer(data)\nviewer",
]

def _free_port():
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def _notebook(path, data):
    cells = [dict(cell_type='code', execution_count=None, id=f'c{i}', metadata={}, outputs=[], source=src.format(data=data))
             for i, src in enumerate(NOTEBOOK_CELLS)]
    nb = dict(cells=cells, metadata=dict(kernelspec=dict(display_name='python3', language='python', name='python3')),
              nbformat=4, nbformat_minor=5)
    Path(path).write_text(json.dumps(nb))

def _chromium():
    for c in ('chromium', 'chromium-browser', 'google-chrome'):
        if shutil.which(c): return shutil.which(c)
    sys.exit("browser check: no Chromium found (apt-get install chromium)")

def _wait_http(url, proc, timeout=120):
    import urllib.request
    t0 = time.time()
    while time.time() - t0 < timeout:
        if proc.poll() is not None: sys.exit(f"browser check: voila exited with {proc.returncode}")
        try: urllib.request.urlopen(url, timeout=2); return
        except Exception: time.sleep(0.5)
    sys.exit(f"browser check: voila did not answer at {url} within {timeout} s")

def _figure_src(page, timeout_ms):
    sel = '.jp-OutputArea-output img, .widget-output img, .jupyter-widgets-output-area img'
    page.wait_for_selector(sel, timeout=timeout_ms)
    return page.eval_on_selector(sel, 'e => e.src')

def check_viewer(browser, out, timeout_s=180):
    "Serve a CaseViewer with Voilà, click its 'coronal' button, return a list of failures."
    fails = []
    with tempfile.TemporaryDirectory() as d:
        nb = Path(d)/'viewer.ipynb'; _notebook(nb, Path(d)/'data')
        port = _free_port()
        log = open(Path(out)/'voila.log', 'w')
        proc = subprocess.Popen([sys.executable, '-m', 'voila', str(nb), '--no-browser', f'--port={port}',
                                 '--Voila.ip=127.0.0.1', '--VoilaConfiguration.file_allowlist=[".*"]'],
                                stdout=log, stderr=subprocess.STDOUT, env={**os.environ, 'MAMMIA_QUIET': '1'})
        try:
            url = f'http://127.0.0.1:{port}/'
            _wait_http(url, proc)
            page = browser.new_page(viewport=dict(width=1000, height=1200))
            page.goto(url, timeout=timeout_s*1000)
            try: before = _figure_src(page, timeout_s*1000)
            except Exception as e: return [f"viewer: no figure appeared ({type(e).__name__})"]
            page.screenshot(path=str(Path(out)/'viewer_axial.png'), full_page=True)
            page.get_by_role('button', name='coronal').click()
            t0, after = time.time(), before
            while time.time() - t0 < 60 and after == before:
                time.sleep(0.5); after = _figure_src(page, 10_000)
            page.screenshot(path=str(Path(out)/'viewer_coronal.png'), full_page=True)
            if after == before: fails.append("viewer: the figure did not change after clicking 'coronal'")
            if len(before) < 2000: fails.append(f"viewer: the figure is suspiciously small ({len(before)} characters of data URL)")
        finally:
            proc.terminate()
            try: proc.wait(10)
            except subprocess.TimeoutExpired: proc.kill()
            log.close()
    return fails

def check_docs(browser, docs, out):
    "Open the offline docs' explore page; return a list of failures."
    page_path = next(iter(sorted(Path(docs).glob('**/explore.html'))), None)
    if page_path is None: return [f"docs: no explore.html under {docs}"]
    page = browser.new_page(viewport=dict(width=1000, height=1200))
    page.goto(page_path.resolve().as_uri())
    text = page.inner_text('body')
    page.screenshot(path=str(Path(out)/'docs_explore.png'))
    fails = []
    for raw in ('output-file:', '#| ', 'source{target', '---\ndescription'):
        if raw in text: fails.append(f"docs: {page_path.name} shows raw markup {raw!r}")
    if 'CaseViewer' not in text: fails.append(f"docs: {page_path.name} does not document CaseViewer")
    links = page.eval_on_selector_all('a[href]', 'es => es.map(e => e.getAttribute("href"))')
    remote = [h for h in links if 'mammia-seg.github.io' in h]
    if remote: fails.append(f"docs: {len(remote)} links point to the unpublished site, e.g. {remote[0]}")
    return fails

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default='browser_check_out', help='screenshots and the voila log go here')
    ap.add_argument('--docs', default=None, help='also check the offline docs built in this folder')
    a = ap.parse_args()
    Path(a.out).mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        fails = check_viewer(browser, a.out)
        if a.docs: fails += check_docs(browser, a.docs, a.out)
        browser.close()
    for f in fails: print('browser check FAILED:', f)
    if not fails: print(f"browser check: viewer redraws after a click{'; docs page reads clean' if a.docs else ''} (screenshots in {a.out})")
    return 1 if fails else 0

if __name__ == '__main__': sys.exit(main())

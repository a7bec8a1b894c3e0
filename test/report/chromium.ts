// Opens an HTML file in headless Chromium (Debian's package, no browser download) and reports what a
// reader would see: which images loaded, the headings, network requests, horizontal overflow. The page
// under test has no JavaScript; a copy gets a probe script that writes its findings into the DOM, which
// --dump-dom then prints once the page has loaded (--virtual-time-budget lets it finish first).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface PageProbe {
  readonly images: readonly {
    readonly alt: string;
    readonly naturalWidth: number;
    readonly complete: boolean;
  }[];
  readonly h1: readonly string[];
  readonly h2: readonly string[];
  readonly svgs: number;
  /** URLs the page requested (resource timing); a self-contained page requests none. */
  readonly requests: readonly string[];
  readonly scrollWidth: number;
  readonly clientWidth: number;
  readonly bodyText: string;
  /** Every text of every SVG: its bounding box in the SVG's own units, and the SVG's viewBox. */
  readonly svgTexts: readonly {
    readonly text: string;
    readonly box: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
    readonly viewBox: {
      readonly x: number;
      readonly y: number;
      readonly width: number;
      readonly height: number;
    };
  }[];
}

/** The Chromium binary: $CHROME_BIN, else Debian's /usr/bin/chromium; undefined when neither exists. */
export function chromiumPath(): string | undefined {
  const fromEnv = process.env['CHROME_BIN'];
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  return existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined;
}

const PROBE = `<script id="moe-probe-script">
addEventListener('load', () => {
  const q = (s) => [...document.querySelectorAll(s)].map((e) => e.textContent.trim());
  const out = {
    images: [...document.images].map((i) => ({ alt: i.alt, naturalWidth: i.naturalWidth, complete: i.complete })),
    h1: q('h1'), h2: q('h2'), svgs: document.querySelectorAll('svg').length,
    requests: performance.getEntriesByType('resource').map((e) => e.name),
    scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth,
    bodyText: document.body.innerText,
    svgTexts: [...document.querySelectorAll('svg text')].map((t) => {
      const b = t.getBBox();
      const v = t.ownerSVGElement.viewBox.baseVal;
      return { text: t.textContent, box: { x: b.x, y: b.y, width: b.width, height: b.height },
        viewBox: { x: v.x, y: v.y, width: v.width, height: v.height } };
    }),
  };
  const pre = document.createElement('pre');
  pre.id = 'moe-probe';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>`;

function baseArgs(profile: string): string[] {
  return [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--hide-scrollbars',
    `--user-data-dir=${profile}`,
  ];
}

function runChromium(args: readonly string[], timeoutMs = 60_000): Promise<string> {
  const bin = chromiumPath();
  if (bin === undefined)
    return Promise.reject(new Error('chromium is not installed (apt-get install chromium)'));
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let errText = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (errText += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`chromium exited with ${code}: ${errText.slice(-2000)}`));
    });
  });
}

/**
 * Loads `htmlPath` and returns the probe's findings. The copy keeps the page's Content-Security-Policy
 * and only adds permission for the probe's own inline script, so an image that is not a data: URI still
 * fails to load (naturalWidth 0), as it would for a reader.
 */
export async function probePage(htmlPath: string, width = 1280): Promise<PageProbe> {
  const dir = await mkdtemp(join(tmpdir(), 'moe-chromium-'));
  try {
    const html = await readFile(htmlPath, 'utf8');
    const withProbe = html
      .replace(/default-src 'none';/, "default-src 'none'; script-src 'unsafe-inline';")
      .replace('</body>', `${PROBE}</body>`);
    const page = join(dir, 'probe.html');
    await writeFile(page, withProbe);
    const dom = await runChromium([
      ...baseArgs(join(dir, 'profile')),
      `--window-size=${width},900`,
      '--virtual-time-budget=10000',
      '--dump-dom',
      pathToFileURL(page).href,
    ]);
    const m = /<pre id="moe-probe">([\s\S]*?)<\/pre>/.exec(dom);
    if (!m?.[1]) throw new Error(`the probe did not run; chromium printed:\n${dom.slice(0, 2000)}`);
    const json = m[1]
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&');
    return JSON.parse(json) as PageProbe;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A full-page PNG screenshot of `htmlPath` (for people to look at; tests only check it was written). */
export async function screenshot(
  htmlPath: string,
  outPng: string,
  width = 1280,
  height = 4000,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'moe-chromium-'));
  try {
    await runChromium([
      ...baseArgs(join(dir, 'profile')),
      `--window-size=${width},${height}`,
      '--virtual-time-budget=5000',
      `--screenshot=${outPng}`,
      pathToFileURL(htmlPath).href,
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

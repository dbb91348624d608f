import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { collectAcknowledgements } from '../../lib/compliance/acknowledge';
import { complianceGateOf } from '../../lib/compliance/compliance-gate';
import { buildComplianceReport, writeComplianceReport } from '../../lib/compliance/report';
import { buildNoncompliantApp, FIXTURE_ENVIRONMENT } from './noncompliant-fixture';

const OUT_DIR = path.join(__dirname, '..', '..', 'test-output', 'compliance-html', FIXTURE_ENVIRONMENT);

/** The headless browser: `$CHROMIUM`, else the Debian `chromium` package's binary. */
function findChromium(): string | undefined {
  const candidates = [process.env.CHROMIUM, 'chromium', 'chromium-browser', 'google-chrome'].filter((c): c is string => !!c);
  return candidates.find((c) => spawnSync(c, ['--version'], { encoding: 'utf8' }).status === 0);
}

const chromium = findChromium();
if (!chromium) {
  const message =
    'SKIPPED test/compliance/report-html.test.ts: no headless Chromium on PATH (tried $CHROMIUM, chromium, chromium-browser, google-chrome). ' +
    'Install the Debian package: apt-get install -y chromium (.ci/run does this in CI).';
  if (process.env.CI === 'true') throw new Error(`${message} CI must run this test.`);
  process.stderr.write(`\n${message}\n\n`);
}

/** Runs headless Chromium on `url` with every host unresolvable, so any external fetch shows up as an error. */
function runChromium(args: string[], url: string) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-chromium-'));
  const result = spawnSync(
    chromium as string,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      `--user-data-dir=${profile}`,
      '--host-resolver-rules=MAP * ~NOTFOUND',
      '--enable-logging=stderr',
      '--v=0',
      ...args,
      url,
    ],
    { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 * 1024 * 1024 },
  );
  fs.rmSync(profile, { recursive: true, force: true });
  return result;
}

(chromium ? describe : describe.skip)('index.html in headless Chromium', () => {
  const today = new Date();
  const app = buildNoncompliantApp(today, { controlTower: false });
  const assembly = app.synth();
  const report = writeComplianceReport(
    OUT_DIR,
    buildComplianceReport({ environment: FIXTURE_ENVIRONMENT, assembly, gate: complianceGateOf(app)!, acknowledgements: collectAcknowledgements(app), now: today }),
  );
  const url = pathToFileURL(path.join(OUT_DIR, 'index.html')).href;

  test('renders without console errors or fetches, and its summary counts equal report.json', () => {
    const result = runChromium(['--dump-dom'], url);
    expect(result.status).toBe(0);
    const consoleLines = result.stderr.split('\n').filter((line) => /CONSOLE|Failed to load resource|net::ERR_/.test(line));
    expect(consoleLines).toEqual([]);
    const shown = Object.fromEntries([...result.stdout.matchAll(/data-count="(\w+)">(\d+)</g)].map((m) => [m[1], Number(m[2])]));
    const json = JSON.parse(fs.readFileSync(path.join(OUT_DIR, 'report.json'), 'utf8'));
    expect(shown).toEqual(json.summary);
    expect(shown).toEqual(report.summary);
  });

  test('a page with a console error would be caught (the check above can fail)', () => {
    const broken = path.join(OUT_DIR, 'broken.html');
    fs.writeFileSync(broken, '<!doctype html><title>x</title><script>console.error("boom")</script>');
    const result = runChromium(['--dump-dom'], pathToFileURL(broken).href);
    expect(result.stderr).toMatch(/CONSOLE.*boom/);
  });

  test('has no external references, and saves a screenshot and a printed PDF as build artifacts', () => {
    const html = fs.readFileSync(path.join(OUT_DIR, 'index.html'), 'utf8');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    const screenshot = path.join(OUT_DIR, 'index.png');
    const pdf = path.join(OUT_DIR, 'index.pdf');
    fs.rmSync(screenshot, { force: true });
    fs.rmSync(pdf, { force: true });
    expect(runChromium([`--screenshot=${screenshot}`, '--window-size=1400,2400', '--hide-scrollbars'], url).status).toBe(0);
    expect(runChromium([`--print-to-pdf=${pdf}`, '--no-pdf-header-footer'], url).status).toBe(0);
    expect(fs.readFileSync(screenshot).subarray(1, 4).toString()).toBe('PNG');
    expect(fs.readFileSync(pdf).subarray(0, 5).toString()).toBe('%PDF-');
  });
});

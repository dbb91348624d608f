/**
 * Writes the two example traces for the scaling what-if (bench/traces/*.csv). Deterministic: run it
 * again after changing a shape, and commit the CSVs.
 *
 *   node -r ts-node/register/transpile-only bench/make-traces.ts
 */
import * as fs from 'fs';
import * as path from 'path';

const HEADER = 'timestamp,requests_per_second';
const DAY = '2026-11-20T00:00:00Z';

function iso(offsetSeconds: number): string {
  return new Date(Date.parse(DAY) + offsetSeconds * 1000).toISOString().replace('.000Z', 'Z');
}

/** 24 h, one row a minute: 40 req/s at 04:00, 300 req/s at 16:00, with a lunch bump. */
export function dailyCycle(): string {
  const rows = [HEADER];
  for (let minute = 0; minute < 24 * 60; minute++) {
    const hour = minute / 60;
    const day = (1 - Math.cos((2 * Math.PI * (hour - 4)) / 24)) / 2;
    const lunch = 0.06 * Math.exp(-(((hour - 12.5) / 0.75) ** 2));
    const rate = 40 + 260 * Math.min(1, day ** 2 + lunch);
    rows.push(`${iso(minute * 60)},${rate.toFixed(1)}`);
  }
  return `${rows.join('\n')}\n`;
}

/** 2 h, one row every 10 s: 60 req/s, a 60 s ramp at 30 min to 6x (360 req/s) for 20 min, then back. */
export function spike6x(): string {
  const rows = [HEADER];
  const base = 60;
  for (let second = 0; second < 2 * 3600; second += 10) {
    const intoSpike = second - 30 * 60;
    let factor = 1;
    if (intoSpike >= 0 && intoSpike < 60) factor = 1 + (5 * (intoSpike + 10)) / 60;
    else if (intoSpike >= 60 && intoSpike < 21 * 60) factor = 6;
    rows.push(`${iso(second)},${(base * factor).toFixed(1)}`);
  }
  return `${rows.join('\n')}\n`;
}

if (require.main === module) {
  const dir = path.join(__dirname, 'traces');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'daily-cycle.csv'), dailyCycle());
  fs.writeFileSync(path.join(dir, 'spike-6x.csv'), spike6x());
}

import { PlinthError } from '../errors';

/**
 * A scheduled action of a scalable target: from each time `cron` fires, capacity stays within
 * `minCapacity`-`maxCapacity` (Application Auto Scaling scales in or out at once to get there).
 */
export interface ScheduledCapacity {
  /** The action's name, e.g. `ScaleDownOffHours`. */
  readonly name: string;
  /** Application Auto Scaling cron, the six fields inside `cron(...)`: `0 19 ? * MON-FRI *`. */
  readonly cron: string;
  /** IANA time zone the cron is read in. @default 'UTC' */
  readonly timeZone?: string;
  readonly minCapacity: number;
  readonly maxCapacity: number;
}

/** A cron expression the simulation cannot read. */
export class ScheduleExpressionError extends PlinthError {}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** One field of a cron expression as the set of values it allows (undefined: any). */
function parseField(text: string, min: number, max: number, names: string[] | undefined, field: string, expression: string): Set<number> | undefined {
  if (text === '*' || text === '?') return undefined;
  const value = (token: string): number => {
    const index = names?.indexOf(token.toUpperCase()) ?? -1;
    const n = index >= 0 ? index + min : Number(token);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new ScheduleExpressionError(`cron(${expression}): ${field} "${token}" is not a value from ${min} to ${max}${names ? ` or ${names[0]}-${names[names.length - 1]}` : ''}; L, W and # are not simulated`);
    }
    return n;
  };
  const allowed = new Set<number>();
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new ScheduleExpressionError(`cron(${expression}): ${field} step "${stepText}" must be a positive integer`);
    const [from, to] = range === '*' ? [min, max] : range.includes('-') ? range.split('-').map(value) : [value(range), stepText === undefined ? value(range) : max];
    for (let n = from; n <= to; n += step) allowed.add(n);
  }
  return allowed;
}

/** A parsed cron expression: `matches(date)` says whether it fires in that minute. */
export class CronSchedule {
  private readonly fields: Array<Set<number> | undefined>;
  private readonly format: Intl.DateTimeFormat | undefined;

  constructor(
    public readonly expression: string,
    public readonly timeZone: string = 'UTC',
  ) {
    const parts = expression.trim().split(/\s+/);
    if (parts.length !== 6) throw new ScheduleExpressionError(`cron(${expression}) has ${parts.length} fields; Application Auto Scaling cron has 6: minutes hours day-of-month month day-of-week year`);
    this.fields = [
      parseField(parts[0], 0, 59, undefined, 'minutes', expression),
      parseField(parts[1], 0, 23, undefined, 'hours', expression),
      parseField(parts[2], 1, 31, undefined, 'day-of-month', expression),
      parseField(parts[3], 1, 12, MONTHS, 'month', expression),
      parseField(parts[4], 1, 7, DAYS, 'day-of-week', expression),
      parseField(parts[5], 1970, 2199, undefined, 'year', expression),
    ];
    if (timeZone !== 'UTC') {
      try {
        this.format = new Intl.DateTimeFormat('en-US', {
          timeZone,
          hourCycle: 'h23',
          year: 'numeric',
          month: 'numeric',
          day: 'numeric',
          hour: 'numeric',
          minute: 'numeric',
          weekday: 'short',
        });
      } catch {
        throw new ScheduleExpressionError(`time zone "${timeZone}" is not an IANA time zone (e.g. Europe/Paris)`);
      }
    }
  }

  /** Whether the schedule fires in the minute that contains `epochMs`. */
  public matches(epochMs: number): boolean {
    const [minute, hour, day, month, weekday, year] = this.localFields(epochMs);
    const [m, h, dom, mon, dow, y] = this.fields;
    const ok = (set: Set<number> | undefined, n: number) => set === undefined || set.has(n);
    return ok(m, minute) && ok(h, hour) && ok(dom, day) && ok(mon, month) && ok(dow, weekday) && ok(y, year);
  }

  /** minute, hour, day of month, month (1-12), day of week (1 = Sunday), year in the schedule's time zone. */
  private localFields(epochMs: number): [number, number, number, number, number, number] {
    const d = new Date(epochMs);
    if (!this.format) return [d.getUTCMinutes(), d.getUTCHours(), d.getUTCDate(), d.getUTCMonth() + 1, d.getUTCDay() + 1, d.getUTCFullYear()];
    const parts = Object.fromEntries(this.format.formatToParts(d).map((p) => [p.type, p.value]));
    return [Number(parts.minute), Number(parts.hour), Number(parts.day), Number(parts.month), DAYS.indexOf(parts.weekday.toUpperCase().slice(0, 3)) + 1, Number(parts.year)];
  }
}

/**
 * The action in effect at `epochMs`: the one that fired most recently within the `lookBackDays`
 * before it (the latest wins when two fire in the same minute), or undefined when none did.
 */
export function scheduledActionInEffect(actions: readonly ScheduledCapacity[], epochMs: number, lookBackDays = 8): ScheduledCapacity | undefined {
  const schedules = actions.map((a) => ({ action: a, cron: new CronSchedule(a.cron, a.timeZone ?? 'UTC') }));
  const minuteStart = Math.floor(epochMs / 60_000) * 60_000;
  for (let t = minuteStart; t > minuteStart - lookBackDays * 86_400_000; t -= 60_000) {
    const fired = schedules.filter((s) => s.cron.matches(t));
    if (fired.length > 0) return fired[fired.length - 1].action;
  }
  return undefined;
}

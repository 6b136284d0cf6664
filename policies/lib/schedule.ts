/**
 * How often a 5-field cron expression (UTC, as GitHub Actions and the backup
 * job read it) fires, as the longest gap between two runs over a whole year.
 * "At least daily" is then `longestGapHours(cron) <= 24`, which also catches
 * schedules that look daily but skip weekends or months.
 */

const FIELDS = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  {
    name: "month",
    min: 1,
    max: 12,
    names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
  },
  { name: "day of week", min: 0, max: 7, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] },
] as const;

function value(text: string, field: (typeof FIELDS)[number]): number {
  const names = "names" in field ? (field.names as readonly string[]) : undefined;
  const named = names?.indexOf(text.toLowerCase()) ?? -1;
  const n = named >= 0 ? named + field.min : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < field.min || n > field.max)
    throw new Error(`'${text}' is not a valid ${field.name} (${field.min}-${field.max})`);
  return n;
}

function parseField(
  text: string,
  field: (typeof FIELDS)[number],
): { set: Set<number>; any: boolean } {
  const set = new Set<number>();
  for (const part of text.split(",")) {
    const [range, stepText] = part.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`'${part}' has an invalid step`);
    let from: number;
    let to: number;
    if (range === "*") [from, to] = [field.min, field.max];
    else if (range!.includes("-")) {
      const [a, b] = range!.split("-");
      [from, to] = [value(a!, field), value(b!, field)];
    } else {
      from = value(range!, field);
      to = stepText === undefined ? from : field.max;
    }
    if (from > to) throw new Error(`'${part}' is an empty range`);
    for (let v = from; v <= to; v += step) set.add(field.name === "day of week" && v === 7 ? 0 : v);
  }
  return { set, any: text === "*" };
}

/** The longest time between two consecutive runs, in hours; Infinity when it never runs. */
export function longestGapHours(cron: string): number {
  const parts = cron.trim().split(/\s+/);
  if (parts.length !== 5) throw new Error(`'${cron}' is not a 5-field cron expression`);
  const [minute, hour, dom, month, dow] = parts.map((p, i) => parseField(p, FIELDS[i]!));
  // 2025 (not a leap year) plus the first day of 2026, so a gap across New Year counts.
  const start = Date.UTC(2025, 0, 1);
  const end = Date.UTC(2026, 0, 2);
  let first: number | undefined;
  let previous: number | undefined;
  let longest = 0;
  for (let day = start; day < end; day += 86_400_000) {
    const d = new Date(day);
    if (!month!.set.has(d.getUTCMonth() + 1)) continue;
    const domOk = dom!.set.has(d.getUTCDate());
    const dowOk = dow!.set.has(d.getUTCDay());
    // cron: when both day fields are restricted, either one matching is enough.
    const dayOk = dom!.any || dow!.any ? domOk && dowOk : domOk || dowOk;
    if (!dayOk) continue;
    for (const h of [...hour!.set].sort((a, b) => a - b)) {
      for (const m of [...minute!.set].sort((a, b) => a - b)) {
        const at = day + (h * 60 + m) * 60_000;
        if (previous !== undefined) longest = Math.max(longest, at - previous);
        first ??= at;
        previous = at;
      }
    }
  }
  if (first === undefined || previous === undefined || first === previous) return Infinity;
  return longest / 3_600_000;
}

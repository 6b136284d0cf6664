/**
 * Spend of one provider for its current billing period, in one shape for
 * both sources (Cost Explorer, Vercel's FOCUS charges), so the budget
 * comparison does not care where the numbers came from.
 */

export type CostProvider = "aws" | "vercel";

export interface SpendLine {
  name: string;
  amount: number;
}

export interface ProviderSpend {
  provider: CostProvider;
  /** The billing period so far: [start, end) as ISO dates; `end` is when the period closes. */
  period: { start: string; end: string };
  currency: string;
  /** Spend from the period's start until now. */
  toDate: number;
  /** Expected spend for the whole period, when one could be made. */
  forecast?: number;
  /** How the forecast was made, or why there is none. */
  forecastBasis: string;
  /** Largest first. */
  topServices: SpendLine[];
  /** Vercel only: largest projects first (from the charges' project tag). */
  topProjects?: SpendLine[];
  /** Things the reader should know: estimated figures, a closed cycle left out. */
  notes: string[];
}

/** Amounts as money: 2 decimals, thousands separated, currency after. */
export function money(amount: number, currency: string): string {
  const fixed = Math.abs(amount).toFixed(2);
  const [whole, cents] = fixed.split(".") as [string, string];
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${amount < 0 ? "-" : ""}${grouped}.${cents} ${currency}`;
}

/** Name → amount, largest first, the rest folded into "others". */
export function topOf(totals: Map<string, number>, n: number): SpendLine[] {
  const sorted = [...totals.entries()]
    .map(([name, amount]) => ({ name, amount }))
    .filter((l) => Math.abs(l.amount) >= 0.005)
    .sort((a, b) => b.amount - a.amount || a.name.localeCompare(b.name));
  if (sorted.length <= n) return sorted;
  const rest = sorted.slice(n).reduce((sum, l) => sum + l.amount, 0);
  return [...sorted.slice(0, n), { name: `${sorted.length - n} others`, amount: rest }];
}

export const DAY_MS = 86_400_000;

/** YYYY-MM-DD of a UTC instant. */
export const ymd = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Midnight UTC of the day `ms` falls in. */
export const startOfDay = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;

// The period picker's rules: dates as YYYY-MM-DD, both days included on screen; the participation
// API takes [from, to) with `to` exclusive, so one day is added on the way out. Unit-tested in period.test.ts.

export const MAX_YEARS = 5;
const EARLIEST = "2000-01-01";

export interface Period {
  from: string;
  to: string;
}

export type PeriodErrors = Partial<Record<keyof Period, string>>;

const ISO = /^\d{4}-\d{2}-\d{2}$/;

function parse(day: string): Date | null {
  if (!ISO.test(day)) return null;
  const d = new Date(`${day}T00:00:00Z`);
  return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== day ? null : d;
}

/** Today in the browser's time zone. */
export function todayIso(now: Date = new Date()): string {
  const y = now.getFullYear();
  const m = String(now.getMonth() + 1).padStart(2, "0");
  const d = String(now.getDate()).padStart(2, "0");
  return `${y}-${m}-${d}`;
}

export function addDays(day: string, days: number): string {
  const d = parse(day);
  if (!d) return day;
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** The same calendar day `years` later (or earlier); 29 February becomes 28 February. */
export function addYears(day: string, years: number): string {
  const d = parse(day);
  if (!d) return day;
  const y = d.getUTCFullYear() + years;
  const m = d.getUTCMonth();
  const target = new Date(Date.UTC(y, m, d.getUTCDate()));
  if (target.getUTCMonth() !== m) return new Date(Date.UTC(y, m, 28)).toISOString().slice(0, 10);
  return target.toISOString().slice(0, 10);
}

/** The last 12 months, today included (the report's own default). */
export function lastTwelveMonths(today: string = todayIso()): Period {
  return { from: addYears(addDays(today, 1), -1), to: today };
}

export function validatePeriod(period: Period, today: string = todayIso()): PeriodErrors {
  const errors: PeriodErrors = {};
  const from = parse(period.from);
  const to = parse(period.to);
  if (!period.from) errors.from = "Enter the first day of the period.";
  else if (!from) errors.from = "Enter a date as year-month-day, e.g. 2026-01-31.";
  else if (period.from < EARLIEST) errors.from = "Choose a date from 2000 on.";
  else if (period.from > today) errors.from = "The period cannot start in the future.";
  if (!period.to) errors.to = "Enter the last day of the period.";
  else if (!to) errors.to = "Enter a date as year-month-day, e.g. 2026-12-31.";
  if (from && to && !errors.from && !errors.to) {
    if (period.to <= period.from) errors.to = "The last day must be after the first day.";
    else if (addDays(period.to, 1) > addYears(period.from, MAX_YEARS)) errors.to = `A period of at most ${MAX_YEARS} years.`;
  }
  return errors;
}

/** The API's query: `to` is the day after the last day. */
export function periodQuery(period: Period): { from: string; to: string } {
  return { from: period.from, to: addDays(period.to, 1) };
}

/** The API's answer back on screen: [from, to) → first day, last day. */
export function periodFromAnswer(answer: { from?: string; to?: string } | undefined): Period | null {
  if (!answer?.from || !answer.to) return null;
  return { from: answer.from, to: addDays(answer.to, -1) };
}

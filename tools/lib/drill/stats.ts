/** Summaries of repeated measurements. */

export interface Spread {
  min: number;
  median: number;
  max: number;
}

/** min/median/max of the values, or null when there are none. */
export function spread(values: readonly number[]): Spread | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle] : Math.round((sorted[middle - 1] + sorted[middle]) / 2);
  return { min: sorted[0], median, max: sorted[sorted.length - 1] };
}

/** `baseline / measured` of the medians, rounded to one decimal; null when either is missing. */
export function medianRatio(baseline: Spread | null, measured: Spread | null): number | null {
  if (!baseline || !measured || measured.median === 0) return null;
  return Math.round((baseline.median / measured.median) * 10) / 10;
}

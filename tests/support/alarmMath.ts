/**
 * The monitoring drill's view of CloudWatch's alarm evaluation (policies/rules/alarmMath.ts): samples scraped from
 * the local masters by slot, each metric query reading the samples of the slot its `Slot` dimension names.
 */
import { DIMENSION_LABELS } from "../../infra/aws/monitoring/cloudwatch";
import { AlarmMath, evaluateAlarm as replay, Evaluation } from "../../policies/rules/alarmMath";

export type { Evaluation };

/** One scraped value of one master. */
export interface Sample {
  t: number;
  slot: number;
  metric: string;
  value: number;
}

export type RenderedAlarm = AlarmMath;

/** Replays `alarm` over `periods` periods of `periodMs` starting at `start`, on the masters' scraped samples. */
export function evaluateAlarm(alarm: RenderedAlarm, samples: readonly Sample[], start: number, periodMs: number, periods: number): Evaluation {
  const read = (metric: { metricName: string; dimensions?: Record<string, string> }) =>
    samples.filter((s) => s.metric === metric.metricName && String(s.slot) === metric.dimensions?.[DIMENSION_LABELS.slot]);
  return replay(alarm, read, start, periodMs, periods);
}

/**
 * CloudWatch's evaluation of a metric-math alarm, replayed offline on scraped samples: each metric query reduces its
 * slot's samples per period with its statistic, the expressions of the rendered alarm are evaluated per period, and
 * the returned series is judged with the alarm's comparison, threshold, M-of-N window and missing-data rule.
 * Written from the CloudWatch documentation, not from the program's alarm code, so the alarm that code renders can
 * be checked against what the real masters report. Only the expression forms alarms use are understood (SUM([ids]),
 * ABS(x), + and - with numbers, ids); anything else throws.
 */
import { DIMENSION_LABELS } from "../../infra/aws/monitoring/cloudwatch";
import type { RecordedQuery } from "./monitoringGraph";

/** One scraped value of one master. */
export interface Sample {
  t: number;
  slot: number;
  metric: string;
  value: number;
}

export interface RenderedAlarm {
  metricQueries: RecordedQuery[];
  comparisonOperator: string;
  threshold: number;
  evaluationPeriods: number;
  datapointsToAlarm?: number;
  treatMissingData?: string;
}

export interface Evaluation {
  /** The alarm's returned series, one value per period (undefined: no datapoint). */
  values: (number | undefined)[];
  /** Whether each period's datapoint breaches (missing data per treatMissingData). */
  breaching: boolean[];
  /** The first period at whose end the alarm is in ALARM, or -1. */
  firstAlarmPeriod: number;
}

function reduce(stat: string, values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  if (stat === "Maximum") return Math.max(...values);
  if (stat === "Minimum") return Math.min(...values);
  if (stat === "Sum") return values.reduce((a, b) => a + b, 0);
  if (stat === "Average") return values.reduce((a, b) => a + b, 0) / values.length;
  if (stat === "SampleCount") return values.length;
  throw new Error(`statistic ${stat} is not modelled`);
}

type Value = number | undefined;

/** Evaluates one expression for one period, given the already computed query values. */
function evaluate(expression: string, values: Map<string, Value>): Value {
  const tokens = expression.match(/[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?|[()[\],+-]/g) ?? [];
  let at = 0;
  const next = () => tokens[at++];
  const primary = (): Value | Value[] => {
    const token = next();
    if (token === "(") {
      const inner = sum();
      if (next() !== ")") throw new Error(`unbalanced ( in ${expression}`);
      return inner;
    }
    if (token === "[") {
      const items: Value[] = [];
      while (tokens[at] !== "]") {
        items.push(sum() as Value);
        if (tokens[at] === ",") at++;
      }
      at++;
      return items;
    }
    if (/^\d/.test(token)) return Number(token);
    if (token === "SUM" || token === "ABS") {
      if (next() !== "(") throw new Error(`${token} without ( in ${expression}`);
      const argument = sum();
      if (next() !== ")") throw new Error(`unbalanced ${token}( in ${expression}`);
      if (token === "SUM") {
        // SUM over series: the sum of the values present; no value at all is no datapoint.
        const present = (Array.isArray(argument) ? argument : [argument]).filter((v): v is number => v !== undefined);
        return present.length === 0 ? undefined : present.reduce((a, b) => a + b, 0);
      }
      return argument === undefined ? undefined : Math.abs(argument as number);
    }
    if (values.has(token)) return values.get(token);
    throw new Error(`${token} in ${expression} is neither a query id nor a modelled function`);
  };
  const sum = (): Value | Value[] => {
    let left = primary();
    while (tokens[at] === "+" || tokens[at] === "-") {
      const op = next();
      const right = primary();
      if (Array.isArray(left) || Array.isArray(right)) throw new Error(`arithmetic on a list in ${expression}`);
      left = left === undefined || right === undefined ? undefined : op === "+" ? left + right : left - right;
    }
    return left;
  };
  const result = sum();
  if (at !== tokens.length || Array.isArray(result)) throw new Error(`cannot evaluate ${expression}`);
  return result;
}

function breaches(operator: string, value: number, threshold: number): boolean {
  if (operator === "GreaterThanThreshold") return value > threshold;
  if (operator === "GreaterThanOrEqualToThreshold") return value >= threshold;
  if (operator === "LessThanThreshold") return value < threshold;
  if (operator === "LessThanOrEqualToThreshold") return value <= threshold;
  throw new Error(`comparison ${operator} is not modelled`);
}

/** Replays `alarm` over `periods` periods of `periodMs` starting at `start`. */
export function evaluateAlarm(alarm: RenderedAlarm, samples: readonly Sample[], start: number, periodMs: number, periods: number): Evaluation {
  const values: Value[] = [];
  for (let p = 0; p < periods; p++) {
    const from = start + p * periodMs;
    const inPeriod = samples.filter((s) => s.t >= from && s.t < from + periodMs);
    const computed = new Map<string, Value>();
    let returned: Value;
    for (const q of alarm.metricQueries) {
      let value: Value;
      if (q.metric) {
        const slot = Number(q.metric.dimensions?.[DIMENSION_LABELS.slot]);
        value = reduce(q.metric.stat, inPeriod.filter((s) => s.slot === slot && s.metric === q.metric!.metricName).map((s) => s.value));
      } else value = evaluate(q.expression ?? "", computed);
      computed.set(q.id, value);
      if (q.returnData) returned = value;
    }
    values.push(returned);
  }
  const missingBreaches = alarm.treatMissingData === "breaching";
  const breaching = values.map((v) => (v === undefined ? missingBreaches : breaches(alarm.comparisonOperator, v, alarm.threshold)));
  const needed = alarm.datapointsToAlarm ?? alarm.evaluationPeriods;
  let firstAlarmPeriod = -1;
  for (let end = alarm.evaluationPeriods - 1; end < periods && firstAlarmPeriod < 0; end++) {
    const window = breaching.slice(end - alarm.evaluationPeriods + 1, end + 1);
    if (window.filter(Boolean).length >= needed) firstAlarmPeriod = end;
  }
  return { values, breaching, firstAlarmPeriod };
}

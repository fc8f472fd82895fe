/**
 * CloudWatch's evaluation of a metric alarm, replayed offline on samples: each metric query reduces the samples of
 * the series it names per period with its statistic, the alarm's expressions are evaluated per period, and the
 * returned series is judged with the alarm's comparison, threshold, M-of-N window and missing-data rule.
 * Written from the CloudWatch documentation, not from the program's alarm code, so that the alarms the program
 * renders can be judged by it: policy seaweedfs-required-alarms replays the leader alarm on made-up leader counts,
 * the monitoring drill (tests/support/alarmMath.ts) on what real masters reported. Only the expression forms alarms
 * use are understood (SUM([ids]), ABS(x), + and - with numbers, ids); anything else throws.
 */

/** A metric query's metric: one series (namespace, name, exact dimension set), reduced per period by `stat`. */
export interface MetricStat {
  namespace?: string;
  metricName: string;
  dimensions?: Record<string, string>;
  period: number;
  stat: string;
}

export interface MetricQuery {
  id: string;
  expression?: string;
  returnData?: boolean;
  metric?: MetricStat;
}

/** What CloudWatch evaluates of an alarm. */
export interface AlarmMath {
  metricQueries: MetricQuery[];
  comparisonOperator: string;
  threshold: number;
  evaluationPeriods: number;
  datapointsToAlarm?: number;
  /** breaching, notBreaching, ignore or missing (CloudWatch's default). */
  treatMissingData?: string;
}

/** One value of a series at `t` (ms). */
export interface Datapoint {
  t: number;
  value: number;
}

/** The datapoints of the series a metric query names (none when nothing publishes it). */
export type SeriesReader = (metric: MetricStat) => readonly Datapoint[];

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
    if (token === undefined) throw new Error(`${expression} ends early`);
    if (token === "(") {
      const inner = sum();
      if (next() !== ")") throw new Error(`unbalanced ( in ${expression}`);
      return inner;
    }
    if (token === "[") {
      const items: Value[] = [];
      while (tokens[at] !== "]") {
        if (at >= tokens.length) throw new Error(`unbalanced [ in ${expression}`);
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

/**
 * Replays `alarm` over `periods` periods of `periodMs` starting at `start`, reading each metric query's samples
 * through `read`. CloudWatch requires exactly one query returning data: anything else throws.
 */
export function evaluateAlarm(alarm: AlarmMath, read: SeriesReader, start: number, periodMs: number, periods: number): Evaluation {
  const returning = alarm.metricQueries.filter((q) => q.returnData === true);
  if (returning.length !== 1) throw new Error(`${returning.length} metric queries return data; CloudWatch needs exactly one`);
  const values: Value[] = [];
  for (let p = 0; p < periods; p++) {
    const from = start + p * periodMs;
    const computed = new Map<string, Value>();
    for (const q of alarm.metricQueries) {
      const value = q.metric
        ? reduce(q.metric.stat, read(q.metric).filter((s) => s.t >= from && s.t < from + periodMs).map((s) => s.value))
        : evaluate(q.expression ?? "", computed);
      computed.set(q.id, value);
    }
    values.push(computed.get(returning[0].id));
  }
  // "missing" and "ignore" keep the alarm's state: a window without data never moves it to ALARM.
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

/**
 * The math of a `aws.cloudwatch.MetricAlarm`'s properties: its metric queries, or its single metric as the one
 * query returning data. Throws when a property CloudWatch needs is absent or of the wrong kind.
 */
export function alarmMathOf(props: Record<string, unknown>): AlarmMath {
  const number = (value: unknown, name: string): number => {
    const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
    if (typeof n !== "number" || !Number.isFinite(n)) throw new Error(`${name} is ${JSON.stringify(value)}, not a number`);
    return n;
  };
  const record = (value: unknown): Record<string, string> | undefined =>
    value && typeof value === "object" && !Array.isArray(value) ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)])) : undefined;
  const statOf = (source: Record<string, unknown>, key: string): MetricStat => ({
    namespace: typeof source.namespace === "string" ? source.namespace : undefined,
    metricName: String(source.metricName),
    dimensions: record(source.dimensions),
    period: number(source.period, `${key}.period`),
    stat: String(source[key] ?? ""),
  });
  const queries = Array.isArray(props.metricQueries) && props.metricQueries.length > 0
    ? props.metricQueries.map((raw): MetricQuery => {
      const q = raw as Record<string, unknown>;
      const metric = q.metric && typeof q.metric === "object" ? statOf(q.metric as Record<string, unknown>, "stat") : undefined;
      return { id: String(q.id), expression: typeof q.expression === "string" ? q.expression : undefined, returnData: q.returnData === true || q.returnData === "true", metric };
    })
    : [{ id: "m", returnData: true, metric: { ...statOf(props, "statistic"), stat: String(props.statistic ?? props.extendedStatistic ?? "") } }];
  return {
    metricQueries: queries,
    comparisonOperator: String(props.comparisonOperator),
    threshold: number(props.threshold, "threshold"),
    evaluationPeriods: number(props.evaluationPeriods, "evaluationPeriods"),
    datapointsToAlarm: props.datapointsToAlarm === undefined || props.datapointsToAlarm === null ? undefined : number(props.datapointsToAlarm, "datapointsToAlarm"),
    treatMissingData: typeof props.treatMissingData === "string" ? props.treatMissingData : undefined,
  };
}

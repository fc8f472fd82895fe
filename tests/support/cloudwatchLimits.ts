/**
 * CloudWatch's documented request limits, checked offline: what PutMetricAlarm, PutCompositeAlarm and PutDashboard
 * would refuse, for requests built from the program's recorded resources. moto checks almost none of this, and no
 * real account is reachable here, so this is the project's own reading of the API reference (linked per rule):
 * - PutMetricAlarm: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
 * - MetricDataQuery: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDataQuery.html
 * - PutCompositeAlarm: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutCompositeAlarm.html
 * - Dashboard body: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
 * - Quotas: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_limits.html
 * Each function returns the problems found (empty: the request is within every checked limit).
 */
import type { PutCompositeAlarmCommandInput, PutMetricAlarmCommandInput } from "@aws-sdk/client-cloudwatch";
import type { RecordedQuery } from "./monitoringGraph";

const dimensionsOf = (d?: Record<string, string>) => (d ? Object.entries(d).map(([Name, Value]) => ({ Name, Value })) : undefined);

/** A recorded aws.cloudwatch.MetricAlarm's inputs as the PutMetricAlarm request the provider sends. */
export function putMetricAlarmRequest(inputs: Record<string, unknown>): PutMetricAlarmCommandInput {
  const queries = inputs.metricQueries as RecordedQuery[] | undefined;
  return {
    AlarmName: String(inputs.name),
    AlarmDescription: inputs.alarmDescription as string,
    ComparisonOperator: inputs.comparisonOperator as PutMetricAlarmCommandInput["ComparisonOperator"],
    EvaluationPeriods: inputs.evaluationPeriods as number,
    DatapointsToAlarm: inputs.datapointsToAlarm as number,
    Threshold: inputs.threshold as number,
    ThresholdMetricId: inputs.thresholdMetricId as string | undefined,
    TreatMissingData: inputs.treatMissingData as string,
    AlarmActions: inputs.alarmActions as string[],
    OKActions: inputs.okActions as string[],
    Namespace: inputs.namespace as string | undefined,
    MetricName: inputs.metricName as string | undefined,
    Statistic: inputs.statistic as PutMetricAlarmCommandInput["Statistic"],
    ExtendedStatistic: inputs.extendedStatistic as string | undefined,
    Period: inputs.period as number | undefined,
    Dimensions: dimensionsOf(inputs.dimensions as Record<string, string> | undefined),
    Metrics: queries?.map((q) => ({
      Id: q.id,
      Expression: q.expression,
      // The provider (terraform-provider-aws) sends false for an unset return_data.
      ReturnData: q.returnData ?? false,
      MetricStat: q.metric
        ? { Metric: { Namespace: q.metric.namespace, MetricName: q.metric.metricName, Dimensions: dimensionsOf(q.metric.dimensions) }, Period: q.metric.period, Stat: q.metric.stat }
        : undefined,
    })),
    Tags: Object.entries((inputs.tags ?? {}) as Record<string, string>).map(([Key, Value]) => ({ Key, Value })),
  };
}

/** A recorded aws.cloudwatch.CompositeAlarm's inputs as the PutCompositeAlarm request. */
export function putCompositeAlarmRequest(inputs: Record<string, unknown>): PutCompositeAlarmCommandInput {
  return {
    AlarmName: String(inputs.alarmName),
    AlarmRule: String(inputs.alarmRule),
    AlarmDescription: inputs.alarmDescription as string | undefined,
    AlarmActions: inputs.alarmActions as string[] | undefined,
    OKActions: inputs.okActions as string[] | undefined,
  };
}

const COMPARISONS = ["GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold", "LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold", "GreaterThanUpperThreshold"];
const STATISTICS = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"];
const MISSING_DATA = ["breaching", "notBreaching", "ignore", "missing"];
const QUERY_ID = /^[a-z][a-zA-Z0-9_]*$/;
const ONE_DAY_SECONDS = 86_400;
/**
 * PutMetricAlarm `Period`: "An alarm's total current evaluation period can be no longer than seven days ... For
 * alarms with a period of less than one hour (3,600 seconds), the total evaluation period can't be longer than one
 * day (86,400 seconds)."
 */
const SEVEN_DAYS_SECONDS = 7 * ONE_DAY_SECONDS;

/** 10, 20 or 30 (high resolution) or any multiple of 60. */
const validPeriod = (p: unknown): boolean => typeof p === "number" && Number.isInteger(p) && p > 0 && ([10, 20, 30].includes(p) || p % 60 === 0);

const tooMany = (what: string, list: unknown[] | undefined, max: number) => ((list?.length ?? 0) > max ? [`${list!.length} ${what}, at most ${max}`] : []);

/** Problems CloudWatch would refuse a PutMetricAlarm request for. */
export function metricAlarmProblems(a: PutMetricAlarmCommandInput): string[] {
  const p: string[] = [];
  if (!a.AlarmName || a.AlarmName.length > 255) p.push(`AlarmName must have 1-255 characters (has ${a.AlarmName?.length ?? 0})`);
  if ((a.AlarmDescription?.length ?? 0) > 1024) p.push(`AlarmDescription has ${a.AlarmDescription!.length} characters, at most 1024`);
  p.push(...tooMany("AlarmActions", a.AlarmActions, 5), ...tooMany("OKActions", a.OKActions, 5), ...tooMany("InsufficientDataActions", a.InsufficientDataActions, 5));
  if (!COMPARISONS.includes(String(a.ComparisonOperator))) p.push(`ComparisonOperator ${String(a.ComparisonOperator)} is not one of CloudWatch's`);
  if (a.TreatMissingData !== undefined && !MISSING_DATA.includes(a.TreatMissingData)) p.push(`TreatMissingData ${a.TreatMissingData} is not one of ${MISSING_DATA.join(", ")}`);
  const evaluation = a.EvaluationPeriods;
  if (typeof evaluation !== "number" || !Number.isInteger(evaluation) || evaluation < 1) p.push(`EvaluationPeriods ${String(evaluation)} must be a whole number >= 1`);
  if (a.DatapointsToAlarm !== undefined && (a.DatapointsToAlarm < 1 || (typeof evaluation === "number" && a.DatapointsToAlarm > evaluation))) {
    p.push(`DatapointsToAlarm ${a.DatapointsToAlarm} must be between 1 and EvaluationPeriods ${String(evaluation)}`);
  }
  if (a.ThresholdMetricId === undefined && typeof a.Threshold !== "number") p.push("Threshold is required unless ThresholdMetricId names an anomaly-detection band");
  if (a.ThresholdMetricId !== undefined && a.Threshold !== undefined) p.push("Threshold and ThresholdMetricId are mutually exclusive");

  const single = a.MetricName !== undefined;
  const math = a.Metrics !== undefined;
  if (single === math) p.push("exactly one of MetricName (one metric) and Metrics (metric math) must be given");
  let period: number | undefined;
  if (single) {
    if (!a.Namespace) p.push("Namespace is required with MetricName");
    if ((a.Statistic === undefined) === (a.ExtendedStatistic === undefined)) p.push("exactly one of Statistic and ExtendedStatistic is required with MetricName");
    if (a.Statistic !== undefined && !STATISTICS.includes(a.Statistic)) p.push(`Statistic ${a.Statistic} is not one of ${STATISTICS.join(", ")}`);
    if (!validPeriod(a.Period)) p.push(`Period ${String(a.Period)} must be 10, 20, 30 or a multiple of 60 seconds`);
    p.push(...tooMany("Dimensions", a.Dimensions, 30));
    period = a.Period;
  }
  if (math) {
    for (const key of ["Namespace", "Statistic", "ExtendedStatistic", "Period", "Dimensions"] as const) {
      if (a[key] !== undefined) p.push(`${key} must not be set with Metrics (it belongs in each query's MetricStat)`);
    }
    const queries = a.Metrics ?? [];
    const metrics = queries.filter((q) => q.MetricStat);
    const expressions = queries.filter((q) => q.Expression !== undefined);
    if (metrics.length > 10) p.push(`${metrics.length} metrics in Metrics, at most 10`);
    if (expressions.length > 10) p.push(`${expressions.length} expressions in Metrics, at most 10`);
    const returned = queries.filter((q) => q.ReturnData === true);
    if (returned.length !== 1) p.push(`${returned.length} queries with ReturnData true; exactly one must be (the series the alarm watches)`);
    const ids = queries.map((q) => q.Id ?? "");
    for (const id of ids) if (!QUERY_ID.test(id)) p.push(`query Id "${id}" must start with a lower-case letter and hold only letters, digits and _`);
    for (const id of new Set(ids.filter((id, i) => ids.indexOf(id) !== i))) p.push(`query Id "${id}" is used twice`);
    for (const q of queries) {
      if (Boolean(q.MetricStat) === (q.Expression !== undefined)) p.push(`query ${q.Id}: exactly one of MetricStat and Expression`);
      if (q.MetricStat) {
        if (!validPeriod(q.MetricStat.Period)) p.push(`query ${q.Id}: Period ${String(q.MetricStat.Period)} must be 10, 20, 30 or a multiple of 60 seconds`);
        if (!q.MetricStat.Stat) p.push(`query ${q.Id}: Stat is required`);
        if (!q.MetricStat.Metric?.MetricName || !q.MetricStat.Metric.Namespace) p.push(`query ${q.Id}: Metric needs Namespace and MetricName`);
        p.push(...tooMany(`Dimensions in query ${q.Id}`, q.MetricStat.Metric?.Dimensions, 30));
      }
      if (q.Expression !== undefined && (q.Expression.length === 0 || q.Expression.length > 2048)) p.push(`query ${q.Id}: Expression must have 1-2048 characters`);
      // Functions are upper case (SUM, ABS); a lower-case name is a query id.
      for (const ref of (q.Expression ?? "").match(/\b[a-z][a-zA-Z0-9_]*\b/g) ?? []) {
        if (!ids.includes(ref)) p.push(`query ${q.Id}: Expression names ${ref}, which is no query of the alarm`);
      }
    }
    period = Math.max(0, ...metrics.map((q) => q.MetricStat?.Period ?? 0));
  }
  if (typeof evaluation === "number" && period && period < 3600 && evaluation * period > ONE_DAY_SECONDS) {
    p.push(`EvaluationPeriods x Period = ${evaluation} x ${period} s exceeds one day (periods under an hour)`);
  }
  if (typeof evaluation === "number" && period && evaluation * period > SEVEN_DAYS_SECONDS) {
    p.push(`EvaluationPeriods x Period = ${evaluation} x ${period} s exceeds seven days`);
  }
  return p;
}

/**
 * CloudWatch's composite rule grammar: ALARM/OK/INSUFFICIENT_DATA("name" or ARN), TRUE, FALSE, combined with AND, OR,
 * NOT and parentheses. Returns the alarm names the rule references, or throws on a malformed rule.
 */
export function alarmRuleReferences(rule: string): string[] {
  const tokens = (rule.match(/\s+|\(|\)|AND|OR|NOT|TRUE|FALSE|(?:ALARM|OK|INSUFFICIENT_DATA)\("[^"]+"\)|./g) ?? []).filter((t) => t.trim());
  const names: string[] = [];
  let at = 0;
  const fail = (why: string): never => {
    throw new Error(`${why} in ${rule}`);
  };
  const operand = (): void => {
    const token = tokens[at++];
    if (token === "NOT") return operand();
    if (token === "(") {
      expression();
      if (tokens[at++] !== ")") fail("unbalanced parenthesis");
      return;
    }
    const call = /^(?:ALARM|OK|INSUFFICIENT_DATA)\("([^"]+)"\)$/.exec(token ?? "");
    if (!call && token !== "TRUE" && token !== "FALSE") fail(`unexpected ${token ?? "end"}`);
    if (call) names.push(call[1]);
  };
  const expression = (): void => {
    operand();
    while (tokens[at] === "AND" || tokens[at] === "OR") {
      at++;
      operand();
    }
  };
  expression();
  if (at !== tokens.length) fail("trailing tokens");
  return names;
}

/** Problems CloudWatch would refuse a PutCompositeAlarm request for; `known` are the alarm names that exist. */
export function compositeAlarmProblems(c: PutCompositeAlarmCommandInput, known: ReadonlySet<string>): string[] {
  const p: string[] = [];
  if (!c.AlarmName || c.AlarmName.length > 255) p.push(`AlarmName must have 1-255 characters (has ${c.AlarmName?.length ?? 0})`);
  if ((c.AlarmDescription?.length ?? 0) > 1024) p.push(`AlarmDescription has ${c.AlarmDescription!.length} characters, at most 1024`);
  p.push(...tooMany("AlarmActions", c.AlarmActions, 5), ...tooMany("OKActions", c.OKActions, 5));
  const rule = c.AlarmRule ?? "";
  if (rule.length === 0 || rule.length > 10_240) p.push(`AlarmRule has ${rule.length} characters, 1-10240 allowed`);
  let names: string[] = [];
  try {
    names = alarmRuleReferences(rule);
  } catch (error) {
    p.push(`AlarmRule does not parse: ${(error as Error).message}`);
  }
  if (new Set(names).size > 100) p.push(`AlarmRule references ${new Set(names).size} alarms, at most 100`);
  for (const name of names) if (!known.has(name)) p.push(`AlarmRule names ${name}, which is no alarm of the stack`);
  if (names.includes(c.AlarmName ?? "")) p.push("AlarmRule references the composite itself");
  return p;
}

const WIDGET_TYPES = ["metric", "text", "log", "alarm", "explorer", "custom"];

/** Problems CloudWatch would refuse a PutDashboard body for (or report in DashboardValidationMessages). */
export function dashboardProblems(body: string): string[] {
  const p: string[] = [];
  if (Buffer.byteLength(body) > 1_048_576) p.push("the dashboard body is larger than 1 MB");
  let doc: { widgets?: unknown; periodOverride?: unknown };
  try {
    doc = JSON.parse(body);
  } catch (error) {
    return [`the dashboard body is not JSON: ${(error as Error).message}`];
  }
  if (doc.periodOverride !== undefined && !["auto", "inherit"].includes(String(doc.periodOverride))) p.push(`periodOverride ${String(doc.periodOverride)} is neither auto nor inherit`);
  if (!Array.isArray(doc.widgets)) return [...p, "the dashboard body has no widgets array"];
  if (doc.widgets.length > 500) p.push(`${doc.widgets.length} widgets, at most 500`);
  let metricRows = 0;
  doc.widgets.forEach((raw, i) => {
    const w = (raw ?? {}) as { type?: string; x?: number; y?: number; width?: number; height?: number; properties?: Record<string, unknown> };
    const at = `widget ${i}`;
    if (!WIDGET_TYPES.includes(String(w.type))) p.push(`${at}: type ${String(w.type)} is not one of ${WIDGET_TYPES.join(", ")}`);
    const int = (v: unknown, min: number, max: number) => v === undefined || (Number.isInteger(v) && (v as number) >= min && (v as number) <= max);
    if (!int(w.x, 0, 23)) p.push(`${at}: x ${String(w.x)} must be 0-23`);
    if (!int(w.y, 0, Number.MAX_SAFE_INTEGER)) p.push(`${at}: y ${String(w.y)} must be a whole number >= 0`);
    if (!int(w.width, 1, 24)) p.push(`${at}: width ${String(w.width)} must be 1-24`);
    if (!int(w.height, 1, 1000)) p.push(`${at}: height ${String(w.height)} must be 1-1000`);
    if ((w.x ?? 0) + (w.width ?? 6) > 24) p.push(`${at}: x + width = ${(w.x ?? 0) + (w.width ?? 6)} runs past the 24-column grid`);
    const props = w.properties;
    if (!props || typeof props !== "object") {
      p.push(`${at}: properties are required`);
      return;
    }
    if (w.type === "metric") {
      const rows = props.metrics;
      if (!Array.isArray(rows) || rows.length === 0) p.push(`${at}: a metric widget needs a non-empty metrics array`);
      if (typeof props.region !== "string" || props.region === "") p.push(`${at}: a metric widget needs its region`);
      if (props.period !== undefined && !validPeriod(props.period)) p.push(`${at}: period ${String(props.period)} must be 10, 20, 30 or a multiple of 60`);
      for (const [r, row] of (Array.isArray(rows) ? rows : []).entries()) {
        metricRows++;
        p.push(...metricRowProblems(`${at} metrics[${r}]`, row));
      }
    } else if (w.type === "alarm") {
      if (!Array.isArray(props.alarms) || props.alarms.length === 0) p.push(`${at}: an alarm widget needs a non-empty alarms array`);
      else if (props.alarms.length > 100) p.push(`${at}: ${props.alarms.length} alarms, at most 100`);
    } else if (w.type === "text" && typeof props.markdown !== "string") p.push(`${at}: a text widget needs markdown`);
  });
  if (metricRows > 2500) p.push(`${metricRows} metric rows, at most 2500 per dashboard`);
  return p;
}

/** A metric row: [namespace, name, (dimension name, value)*, options?] or [{ expression, id?, label? }]. */
function metricRowProblems(at: string, row: unknown): string[] {
  if (!Array.isArray(row) || row.length === 0) return [`${at}: a metric row is a non-empty array`];
  const last = row[row.length - 1];
  const options = last && typeof last === "object" && !Array.isArray(last) ? (last as Record<string, unknown>) : undefined;
  const fields = options ? row.slice(0, -1) : row;
  const p: string[] = [];
  if (fields.length === 0) {
    if (typeof options?.expression !== "string") p.push(`${at}: an options-only row must carry an expression`);
  } else {
    if (fields.some((f) => typeof f !== "string")) p.push(`${at}: namespace, metric name and dimensions must be strings`);
    if (fields.length < 2 || fields.length % 2 !== 0) p.push(`${at}: expected namespace, metric name and dimension name/value pairs, got ${fields.length} fields`);
    if ((fields.length - 2) / 2 > 30) p.push(`${at}: more than 30 dimensions`);
  }
  if (options?.id !== undefined && !QUERY_ID.test(String(options.id))) p.push(`${at}: id ${String(options.id)} must start with a lower-case letter`);
  if (options?.period !== undefined && !validPeriod(options.period)) p.push(`${at}: period ${String(options.period)} must be 10, 20, 30 or a multiple of 60`);
  if (options?.stat !== undefined && typeof options.stat !== "string") p.push(`${at}: stat must be a string`);
  return p;
}

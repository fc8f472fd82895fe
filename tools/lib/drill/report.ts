/**
 * The drill's report: the text `npm run drill` prints, and `--report <file.html>`, one self-contained HTML page
 * (inline SVG and CSS, no script, no network) with the verdict table and a timeline per scenario run: each master's
 * role over time, the faults and healings, every write attempt as a green (worked) or red (failed) tick, and the
 * measured intervals labelled. Baselines (watchdog off, SeaweedFS defaults) are comparisons: what they miss is
 * labelled as a baseline's, never as a failure, and a ratio that cannot be formed says why.
 */
import { formatTable } from "../table";
import { seaweedfsRun, type DrillReport, type ScenarioReport, type SeriesReport } from "./runner";
import type { Spread } from "./stats";
import type { Role, ScenarioTimeline } from "./timeline";

const ROLE_COLORS: Record<Role, string> = {
  leader: "#1b7f3b",
  follower: "#8ab9dd",
  "no-leader": "#f0ad4e",
  down: "#444444",
  frozen: "#7b4fc9",
  unreachable: "#d9534f",
};

const WIDTH = 1100;
const LABEL = 120;
const ROW = 22;
const TOP = 46;

function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** One timeline as an SVG element. */
export function timelineSvg(tl: ScenarioTimeline, index: number): string {
  const hatch = `cut-${index}`;
  const span = Math.max(tl.durationMs, 1000);
  const x = (t: number) => LABEL + ((WIDTH - LABEL - 10) * Math.min(Math.max(t, 0), span)) / span;
  const rows = tl.slots.length;
  const writesY = TOP + rows * ROW + 8;
  const intervalsY = writesY + 26;
  const height = intervalsY + tl.intervals.length * 20 + 24;
  const parts: string[] = [];
  parts.push(`<defs><pattern id="${hatch}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="3" height="6" fill="#000" opacity="0.35"/></pattern></defs>`);
  const step = span > 60_000 ? 10_000 : span > 20_000 ? 5_000 : 1_000;
  for (let t = 0; t <= span; t += step) {
    parts.push(`<line x1="${x(t)}" y1="${TOP - 4}" x2="${x(t)}" y2="${writesY + 12}" stroke="#ddd"/><text x="${x(t)}" y="${height - 6}" font-size="10" text-anchor="middle" fill="#666">${t / 1000}s</text>`);
  }
  tl.slots.forEach((slot, i) => {
    const y = TOP + i * ROW;
    parts.push(`<text x="4" y="${y + 15}" font-size="12">master-${slot}</text>`);
    // One rectangle per stretch of samples with the same role and partition state.
    for (let k = 0; k < tl.samples.length; ) {
      const role = tl.samples[k].roles[slot];
      const cut = tl.samples[k].partitioned.includes(slot);
      let next = k + 1;
      while (next < tl.samples.length && tl.samples[next].roles[slot] === role && tl.samples[next].partitioned.includes(slot) === cut) next++;
      const from = tl.samples[k].t;
      const end = next < tl.samples.length ? tl.samples[next].t : tl.durationMs;
      const w = Math.max(x(end) - x(from), 0.5);
      const box = `x="${x(from).toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${ROW - 4}"`;
      if (role) parts.push(`<rect class="role" data-slot="${slot}" data-role="${role}" ${box} fill="${ROLE_COLORS[role]}"><title>master-${slot} ${role}${cut ? ", partitioned" : ""}: ${seconds(from)} to ${seconds(end)}</title></rect>`);
      if (role && cut) parts.push(`<rect class="partitioned" data-slot="${slot}" ${box} fill="url(#${hatch})"/>`);
      k = next;
    }
  });
  parts.push(`<text x="4" y="${writesY + 10}" font-size="12">writes</text>`);
  for (const w of tl.writes) {
    parts.push(`<rect class="write" data-ok="${w.ok}" x="${x(w.t) - 1}" y="${writesY}" width="2" height="12" fill="${w.ok ? "#1b7f3b" : "#d9534f"}"><title>${seconds(w.t)} via master-${w.via}: ${w.ok ? "stored and read back" : "failed"}</title></rect>`);
  }
  tl.events.forEach((e, i) => {
    const color = e.kind === "fault" ? "#d9534f" : e.kind === "heal" ? "#1b7f3b" : "#666";
    parts.push(`<g class="event" data-kind="${e.kind}"><line x1="${x(e.t)}" y1="${14}" x2="${x(e.t)}" y2="${writesY + 12}" stroke="${color}" stroke-width="2" stroke-dasharray="4 2"/><text x="${x(e.t) + (x(e.t) > WIDTH * 0.7 ? -3 : 3)}" y="${12 + (i % 2) * 14}" text-anchor="${x(e.t) > WIDTH * 0.7 ? "end" : "start"}" font-size="11" fill="${color}">${esc(e.label)} (${seconds(e.t)})</text></g>`);
  });
  tl.intervals.forEach((iv, i) => {
    const y = intervalsY + i * 20;
    parts.push(`<g class="interval" data-label="${esc(iv.label)}" data-ms="${iv.to - iv.from}"><line x1="${x(iv.from)}" y1="${y}" x2="${x(iv.to)}" y2="${y}" stroke="#222" stroke-width="2"/><line x1="${x(iv.from)}" y1="${y - 5}" x2="${x(iv.from)}" y2="${y + 5}" stroke="#222"/><line x1="${x(iv.to)}" y1="${y - 5}" x2="${x(iv.to)}" y2="${y + 5}" stroke="#222"/><text x="${x(iv.to) + (x(iv.to) > WIDTH * 0.8 ? -4 : 4)}" y="${y + 4}" text-anchor="${x(iv.to) > WIDTH * 0.8 ? "end" : "start"}" font-size="11">${esc(iv.label)}: ${seconds(iv.to - iv.from)}</text></g>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${esc(tl.scenario)} timeline">${parts.join("")}</svg>`;
}

/** A verdict in words: the stack's own `passed` / `FAILED`; a baseline's `baseline: passed` / `baseline: missed (not fatal)`. */
export function verdictText(passed: boolean, baseline: boolean): string {
  if (baseline) return passed ? "baseline: passed" : "baseline: missed (not fatal)";
  return passed ? "passed" : "FAILED";
}

/** The writes-back figure of a scenario, "no write outage" where writes never stopped, "-" where nothing was timed. */
function writesBackText(s: ScenarioReport, format: (value: Spread) => string): string {
  if (s.writesBackMs) return format(s.writesBackMs);
  return s.noWriteOutage ? "no write outage" : "-";
}

/** Why one side has no figure to divide by, or undefined when it has one. */
function noFigure(s: ScenarioReport | undefined, value: (s: ScenarioReport) => Spread | null, none: (s: ScenarioReport) => string): string | undefined {
  if (!s) return "not run";
  const spread = value(s);
  if (spread) return spread.median === 0 ? "0 ms" : undefined;
  return s.passed ? none(s) : "failed before it was timed";
}

const WRITES = { value: (s: ScenarioReport) => s.writesBackMs, none: (s: ScenarioReport) => (s.noWriteOutage ? "no write outage" : "no outage timed") };

/** The measured intervals a comparison divides (the writes-back one under two names), and where each one's figure is. */
const MEASURED = {
  "new leader": { value: (s: ScenarioReport) => s.newLeaderMs, none: () => "no new leader timed" },
  "write outage": WRITES,
  "writes back": WRITES,
} as const;

/**
 * A ratio of another series (`other`, labelled `otherLabel`) to the stack, as readers should see it: `write outage
 * ×5.2`; "no write outage" when writes never stopped on either side; else "no ratio" and why.
 */
export function ratioText(ratio: number | null, what: keyof typeof MEASURED, stack: ScenarioReport, other: ScenarioReport | undefined, otherLabel: string): string {
  if (ratio !== null) return `${what} ×${ratio}`;
  if (what !== "new leader" && stack.noWriteOutage && other?.noWriteOutage) return "no write outage";
  const why = ([["this stack", stack], [otherLabel, other]] as const).flatMap(([who, s]) => {
    const reason = noFigure(s, MEASURED[what].value, MEASURED[what].none);
    return reason ? [`${who}: ${reason}`] : [];
  });
  return `${what}: no ratio (${why.join("; ")})`;
}

interface Baseline {
  label: string;
  series: SeriesReport;
  /** Its medians divided by the stack's, per scenario. */
  ratios: DrillReport["comparison"];
  /** What the ratios mean. */
  heading: string;
  /** The name of the writes-back ratio in that comparison. */
  outage: "write outage" | "writes back";
}

/** The baselines a report holds, in the order the drill runs them (the HTML page and the text list them alike). */
function baselinesOf(report: DrillReport): Baseline[] {
  const watchdogOff: Baseline[] = report.withoutWatchdog
    ? [{ label: "watchdog off", series: report.withoutWatchdog, ratios: report.watchdogComparison, heading: "Watchdog off vs on (median, how many times longer the write outage is without it):", outage: "write outage" }]
    : [];
  const defaults: Baseline[] = report.baseline
    ? [{ label: "SeaweedFS defaults", series: report.baseline, ratios: report.comparison, heading: "Defaults vs this stack (median, how many times slower the defaults are):", outage: "writes back" }]
    : [];
  return [...watchdogOff, ...defaults];
}

/** Per scenario of a baseline: its id and its ratios to the stack, in words. */
function ratioLines(report: DrillReport, { label, series, ratios, outage }: Baseline): [string, string][] {
  return ratios.map((c) => {
    const [stack, other] = [report.scenarios.find((s) => s.id === c.id)!, series.scenarios.find((s) => s.id === c.id)];
    return [c.id, `${c.id}: ${ratioText(c.newLeaderRatio, "new leader", stack, other, label)}, ${ratioText(c.writesBackRatio, outage, stack, other, label)}`];
  });
}

function verdictRows(series: SeriesReport, label: string, baseline: boolean): string {
  const cell = (s: ScenarioReport) => {
    const f = (v: { median: number } | null) => (v ? seconds(v.median) : "-");
    const verdict = `<td class="verdict ${baseline ? "baseline" : s.passed ? "ok" : "bad"}">${esc(verdictText(s.passed, baseline))}</td>`;
    return `<tr data-series="${esc(label)}" data-scenario="${esc(s.id)}"><td>${esc(label)}</td><td>${esc(s.id)}</td>${verdict}<td>${f(s.newLeaderMs)}</td><td class="writes-back">${esc(writesBackText(s, (v) => seconds(v.median)))}</td><td>${esc(s.failures.concat(s.notes).join("; "))}</td></tr>`;
  };
  return series.scenarios.map(cell).join("");
}

export function renderDrillReportHtml(report: DrillReport): string {
  const legend = Object.entries(ROLE_COLORS)
    .map(([role, color]) => `<span><i style="background:${color}"></i>${role}</span>`)
    .concat(['<span><i class="hatch"></i>partitioned</span>', '<span><i style="background:#1b7f3b;width:3px"></i>write stored</span>', '<span><i style="background:#d9534f;width:3px"></i>write failed</span>'])
    .join("");
  const baselines = baselinesOf(report);
  const ratios = baselines
    .map((b) => {
      const items = ratioLines(report, b).map(([id, line]) => `<li class="ratio" data-scenario="${esc(id)}">${esc(line)}</li>`);
      return `<p>${esc(b.heading)}</p><ul data-series="${esc(b.label)}">${items.join("")}</ul>`;
    })
    .join("\n");
  const sections = (report.timelines ?? [])
    .map((tl, i) => {
      const baseline = tl.series !== report.stack;
      const verdict = `<span class="${baseline ? "baseline" : tl.passed ? "ok" : "bad"}">${esc(verdictText(tl.passed, baseline))}</span>`;
      return `<section class="timeline" data-scenario="${esc(tl.scenario)}" data-series="${esc(tl.series)}" data-run="${tl.run}"><h3>${esc(tl.scenario)} — ${esc(tl.series)}, run ${tl.run}: ${verdict}</h3>${timelineSvg(tl, i)}</section>`;
    })
    .join("\n");
  const baselineNote = baselines.length
    ? `<p class="note">Baselines (${baselines.map((b) => b.label).join(", ")}) run the same scenarios without what this stack adds, to measure its gain side by side. A baseline that misses a bound is reported, never fatal.</p>`
    : "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Drill of stack ${esc(report.stack)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:16px;color:#222}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px;text-align:left}
.ok{color:#1b7f3b;font-weight:600}.bad{color:#c9302c;font-weight:600}.baseline{color:#666;font-style:italic}
.legend span{margin-right:14px;font-size:12px}.legend i{display:inline-block;width:14px;height:10px;margin-right:4px;vertical-align:middle}
.legend i.hatch{background:repeating-linear-gradient(45deg,#999 0 2px,#fff 2px 5px)}
section.timeline{margin:18px 0}h3{font-size:14px;margin:4px 0}p.note{font-size:13px;color:#444}
</style></head><body>
<h1>Drill of stack ${esc(report.stack)}: <span class="${report.passed ? "ok" : "bad"}">${report.passed ? "PASSED" : "FAILED"}</span></h1>
<p>${esc(seaweedfsRun(report))}, ${report.runs} run(s), ${report.configuration.masters} masters; file ids assigned ${report.fileIdsAssigned}, duplicates ${report.duplicateFileIds}, MaxVolumeId regressions ${report.maxVolumeIdRegressions}. Times are from the fault; median over runs.</p>
<table><tr><th>series</th><th>scenario</th><th>verdict</th><th>new leader</th><th>writes back</th><th>failures and notes</th></tr>
${verdictRows(report, report.stack, false)}${baselines.map((b) => verdictRows(b.series, b.label, true)).join("")}
</table>
${baselineNote}
${ratios}
<p class="legend">${legend}</p>
${sections}
</body></html>
`;
}

function secondsSpread(value: Spread | null): string {
  if (!value) return "-";
  const s = (ms: number) => (ms / 1000).toFixed(2);
  return `${s(value.min)} / ${s(value.median)} / ${s(value.max)}`;
}

/** A median of an `extra` figure: `...Ms` keys in seconds, others as they are. */
function extraValue(key: string, value: Spread | null): string {
  if (!value) return "-";
  return key.endsWith("Ms") ? `${(value.median / 1000).toFixed(2)}s` : String(value.median);
}

function scenarioTable(reports: ScenarioReport[], baseline: boolean): string {
  return formatTable(
    ["", "scenario", "verdict", "new leader s (min/med/max)", "writes back s (min/med/max)", "other (median)"],
    reports.map((r) => [
      r.letter ?? "-",
      r.id,
      verdictText(r.passed, baseline),
      secondsSpread(r.newLeaderMs),
      writesBackText(r, secondsSpread),
      Object.entries(r.extra).map(([k, v]) => `${k} ${extraValue(k, v)}`).join(", "),
    ]),
  );
}

function describeSeries(series: SeriesReport): string {
  const c = series.configuration;
  return `${c.masters} masters, ${c.raftImplementation} raft, heartbeatInterval ${c.heartbeatInterval}, electionTimeout ${c.electionTimeout}, watchdog ${c.watchdog ? "on" : "off"}`;
}

/** What `npm run drill` prints without `--json`: a table per series, failures, ratios and the verdict. */
export function renderDrillReportText(report: DrillReport): string {
  const out: string[] = [];
  out.push("", `Drill of stack ${report.stack} (${seaweedfsRun(report)}, ${report.runs} run(s)): ${describeSeries(report)}`);
  out.push(scenarioTable(report.scenarios, false));
  for (const r of report.scenarios.filter((s) => !s.passed)) out.push(`  ${r.id} failures:`, ...r.failures.map((f) => `    - ${f}`));
  for (const r of report.scenarios.filter((s) => s.notes.length > 0)) out.push(`  ${r.id}: ${r.notes.join("; ")}`);
  out.push(`  file ids assigned: ${report.fileIdsAssigned}, duplicates: ${report.duplicateFileIds}; MaxVolumeId regressions: ${report.maxVolumeIdRegressions}`);
  for (const baseline of baselinesOf(report)) {
    const { label, series, heading } = baseline;
    out.push("", `Baseline, ${label} (${describeSeries(series)}; what it misses is reported, not fatal):`, scenarioTable(series.scenarios, true));
    for (const r of series.scenarios.filter((s) => !s.passed)) out.push(`  ${r.id} missed (baseline):`, ...r.failures.map((f) => `    - ${f}`));
    out.push("", heading, ...ratioLines(report, baseline).map(([, line]) => `  ${line}`));
  }
  for (const s of report.skippedScenarios) out.push(`  skipped ${s.id}: ${s.reason}`);
  if (report.security) {
    out.push("", `Transport security (mutual TLS on ${report.security.tls.channels.map((c) => c.id).join(", ")}; each attack with TLS off, then on):`);
    out.push(
      formatTable(
        ["control", "TLS off", "TLS on", "passed"],
        report.security.controls.map((c) => [c.id, `${c.tlsOff.outcome}${c.tlsOff.ms !== null ? ` (${(c.tlsOff.ms / 1000).toFixed(1)} s)` : ""}`, `${c.tlsOn.outcome} (window ${(c.tlsOn.windowMs / 1000).toFixed(0)} s)`, c.passed ? "yes" : "NO"]),
      ),
    );
    for (const c of report.security.controls.filter((x) => !x.passed)) out.push(`  ${c.id}: TLS off: ${c.tlsOff.evidence}; TLS on: ${c.tlsOn.evidence}`);
  }
  out.push("", report.passed ? "PASSED" : "FAILED");
  return out.join("\n");
}

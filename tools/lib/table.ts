/** Plain-text tables for the command-line tools. */
export function formatTable(headers: string[], rows: unknown[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => String(c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells.map((r) => "  " + r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd()).join("\n");
}

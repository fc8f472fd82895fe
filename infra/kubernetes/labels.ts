/** Label and annotation lists of the config (`key=value` terms) as the maps Kubernetes objects carry. */

/** `key=value` terms as a map; the value may be empty or contain `=`. */
export function labelMap(terms: readonly string[]): Record<string, string> {
  return Object.fromEntries(terms.map((t) => [t.slice(0, t.indexOf("=")), t.slice(t.indexOf("=") + 1)]));
}

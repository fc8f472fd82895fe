/** Asserting that a stack config is refused, for the config tests of every area. */
import * as assert from "node:assert/strict";
import { ConfigError, projectKeys } from "../../infra/config";
import { parseStackConfig } from "../../infra/platforms";
import { readStackConfig } from "../../tools/lib/stackFiles";

/**
 * The ConfigError of `overrides` laid over a base config; fails the test when the config is accepted.
 *
 * @param overrides keys in their engine string form; `undefined` removes a key from the base.
 * @param base a stack file's name, or a config of its own (key -> string form).
 */
export function refusal(overrides: Record<string, string | undefined>, base: string | Record<string, string> = "prod"): ConfigError {
  const stack = typeof base === "string" ? base : "test";
  const merged: Record<string, string | undefined> = { ...(typeof base === "string" ? projectKeys(readStackConfig(base).config) : base), ...overrides };
  const raw = Object.fromEntries(Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined));
  try {
    parseStackConfig(raw, { stack });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail(`config ${JSON.stringify(overrides)} was accepted`);
}

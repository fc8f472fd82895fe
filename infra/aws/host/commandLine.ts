/**
 * Reading a rendered master command line back: the policy pack decodes a launch template's boot script and checks
 * the `weed master` flags it would run (flag names from infra/seaweed/flags.ts).
 */
import { flagMap } from "../../seaweed/flags";
import { execStart } from "./systemd";

/** One `weed master` command line found in a script: its flags, `-name` -> value (`true` for bare flags). */
export interface ParsedMasterCommand {
  line: string;
  flags: Map<string, string | true>;
}

function unquote(word: string): string {
  return word.startsWith('"') && word.endsWith('"') ? word.slice(1, -1).replace(/\\(["\\])/g, "$1") : word;
}

/** Every `ExecStart=<weed> master ...` line of a boot script or unit file, parsed. */
export function parseMasterCommands(script: string): ParsedMasterCommand[] {
  const prefix = `ExecStart=${execStart(["master"])}`;
  return script
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line === prefix || line.startsWith(`${prefix} `))
    .map((line) => {
      const words = line.slice(prefix.length).match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? [];
      return { line, flags: flagMap(words.map(unquote)) };
    });
}

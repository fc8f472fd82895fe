/**
 * The deployed masters of an AWS stack as the fleet a quorum recovery acts on, from an operator's machine: every
 * step is a command on the slot's instance through SSM Run Command (tools/lib/restore/ssmFleet.ts), using what the
 * boot installed there: the backup agent with `--survivor` for the export, the host restore script's phases for the
 * rest (infra/aws/host/backupAgent.ts, backupRestore.ts).
 */
import { BACKUP_UNITS } from "../../../infra/aws/host/backupNames";
import { ssmHosts, SsmHostsOptions } from "../restore/ssmFleet";
import type { QuorumFleet } from "./recoverQuorum";

/** The agent as systemd runs it (its environment file names the slot and its address), exporting a survivor. */
export const SURVIVOR_EXPORT_COMMAND = `set -a; . ${BACKUP_UNITS.envFile}; set +a; ${BACKUP_UNITS.script} --survivor`;

export function ssmQuorumFleet(options: SsmHostsOptions): QuorumFleet {
  const hosts = ssmHosts(options);
  const restore = hosts.restorePhase;
  return {
    slots: options.slots.map((s) => s.slot),
    url: hosts.url,
    stop: (slot) => restore(slot, "stop"),
    start: (slot) => restore(slot, "start"),
    async exportSurvivor(slot) {
      // The agent prints the uploaded prefix as its last line (its log goes to stderr).
      const prefix = (await hosts.onHost(slot, SURVIVOR_EXPORT_COMMAND)).trim().split("\n").pop() ?? "";
      if (!prefix) throw new Error(`the agent on survivor ${slot} exported nothing (it knows a leader, or is one)`);
      return prefix;
    },
    async seed(slot, prefix) {
      await restore(slot, `fetch ${prefix}`);
      await restore(slot, "install");
    },
    setAside: (slot) => restore(slot, "set-aside"),
  };
}

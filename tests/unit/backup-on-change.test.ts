/**
 * The change check both platforms run between timer backups (infra/seaweed/backup.ts, BACKUP_CHANGE_CHECK), as
 * rendered bash against a fake master on loopback whose answers the test sets: it runs the backup only on the leader
 * and only when TopologyId, MaxVolumeId or the raft membership differ from what the last upload recorded; a new leader
 * of the same members is no change, and a master that does not answer is skipped, not fatal. The watcher script and
 * service of a host and the Kubernetes loop that carry it pass shellcheck; the watcher asks nothing of AWS per check.
 */
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { BACKUP_CHANGE_CHECK, PROTECTED_STATE_FILE } from "../../infra/seaweed/backup";
import { renderBackupWatchScript } from "../../infra/aws/host/backupWatch";
import { renderBackupBootStep, renderBackupService, renderBackupWatchService } from "../../infra/aws/host/backupAgent";
import { BACKUP_UNITS } from "../../infra/aws/host/backupNames";
import { renderBackupLoop } from "../../infra/kubernetes/backup";
import { REPO_ROOT } from "../../tools/lib/stackFiles";

const run = promisify(execFile);

/** What the fake master answers; `down` closes every connection unanswered. */
const master = {
  down: false,
  status: { IsLeader: true, Leader: "10.0.1.10:9333.19333", Peers: ["10.0.2.10:9333", "10.0.3.10:9333"], MaxVolumeId: 7 } as Record<string, unknown>,
  dir: { TopologyId: "t-1", Version: "30GB 4.44" } as Record<string, unknown>,
};

describe("the change check between timer backups", () => {
  let server: http.Server;
  let url: string;
  let stateDir: string;
  before(async () => {
    server = http.createServer((req, res) => {
      if (master.down) {
        req.socket.destroy();
        return;
      }
      res.setHeader("Content-Type", "application/json");
      res.end(JSON.stringify(req.url === "/cluster/status" ? master.status : req.url === "/dir/status" ? master.dir : {}));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "backup-on-change-"));
  });
  after(() => {
    server.close();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  /** One check; the "backup" prints BACKED-UP and records the state as the agent does after an upload. */
  const check = async () => {
    const script = `set -euo pipefail\n${BACKUP_CHANGE_CHECK.functions}\nbackup() { echo BACKED-UP; record_protected_state "$(leader_protected_state)"; }\nbackup_if_changed backup\n`;
    const { stdout, stderr } = await run("bash", ["-c", script], { env: { ...process.env, MASTER_URL: url, BACKUP_STATE_DIR: stateDir } });
    return { backedUp: stdout.includes("BACKED-UP"), stderr };
  };

  it("backs up on the leader when nothing was recorded yet, then not again while nothing changes", async () => {
    assert.equal((await check()).backedUp, true);
    assert.match(fs.readFileSync(path.join(stateDir, PROTECTED_STATE_FILE), "utf8"), /^topology=t-1 maxVolumeId=7 members=10\.0\.1\.10:9333,10\.0\.2\.10:9333,10\.0\.3\.10:9333\n$/);
    assert.equal((await check()).backedUp, false);
  });

  it("backs up again after a volume grow, a membership change or a new TopologyId", async () => {
    master.status.MaxVolumeId = 8;
    assert.equal((await check()).backedUp, true);
    assert.equal((await check()).backedUp, false);
    master.status.Peers = ["10.0.2.10:9333", "10.0.3.10:9333", "10.0.4.10:9333"];
    assert.equal((await check()).backedUp, true);
    master.dir.TopologyId = "t-2";
    assert.equal((await check()).backedUp, true);
    assert.equal((await check()).backedUp, false);
  });

  it("treats a new leader of the same members as no change", async () => {
    master.status = { ...master.status, Leader: "10.0.2.10:9333.19333", Peers: ["10.0.1.10:9333", "10.0.3.10:9333", "10.0.4.10:9333"] };
    assert.equal((await check()).backedUp, false);
  });

  it("leaves a changed cluster to the leader: a follower never backs up", async () => {
    master.status = { ...master.status, IsLeader: false, MaxVolumeId: 9 };
    assert.equal((await check()).backedUp, false);
    master.status.IsLeader = true;
    assert.equal((await check()).backedUp, true);
  });

  it("skips a check, with a log line, when its master does not answer", async () => {
    master.down = true;
    try {
      const result = await check();
      assert.equal(result.backedUp, false);
      assert.match(result.stderr, /this master does not answer; no change check this time/);
    } finally {
      master.down = false;
    }
  });
});

describe("the change watcher of a host and the Kubernetes loop", () => {
  it("pass shellcheck, with a boot step that installs the watcher and one that does not", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "backup-watch-"));
    const boot = (onChangeSeconds: number) => `#!/usr/bin/env bash\nset -euo pipefail\n${renderBackupBootStep({ slot: 0, ip: "10.0.1.10", port: 9333, ssmPrefix: "/seaweed-infra/c", region: "us-east-1", intervalMinutes: 15, onChangeSeconds })}`;
    try {
      const texts = [renderBackupWatchScript(15), boot(15), boot(0), renderBackupLoop({ backupIntervalMinutes: 15, backupOnChangeSeconds: 15, httpPort: 9333 }), renderBackupLoop({ backupIntervalMinutes: 15, backupOnChangeSeconds: 0, httpPort: 9333 })];
      const files = texts.map((text, i) => {
        const file = path.join(dir, `watch-${i}.sh`);
        fs.writeFileSync(file, text);
        return file;
      });
      await run(path.join(REPO_ROOT, ".venv", "bin", "shellcheck"), files);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("asks only its own master per check: the AWS CLI runs in the launcher (once per start) and the agent (once per upload)", () => {
    const script = renderBackupWatchScript(15);
    const code = script.split("\n").filter((line) => !line.trimStart().startsWith("#")).join("\n");
    assert.doesNotMatch(code, /\baws\b|\bssm\b|SEAWEEDFS_BACKUP_AWS/i);
    assert.match(script, /^ {2}sleep 15$/m);
  });

  it("runs in the backup service's sandbox with the StateDirectory the agent records in, and only when enabled", () => {
    const sandbox = (unit: string) => unit.split("\n").filter((l) => /^(User|Group|EnvironmentFile|StateDirectory|NoNewPrivileges|Protect\w+|ReadOnlyPaths|Private\w+|Restrict\w+|LockPersonality)=/.test(l));
    const watch = renderBackupWatchService();
    assert.deepEqual(sandbox(watch), sandbox(renderBackupService()));
    assert.ok(sandbox(watch).includes(`StateDirectory=${BACKUP_UNITS.stateDirectory}`));
    assert.match(watch, /^Restart=always$/m);
    const step = (onChangeSeconds: number) => renderBackupBootStep({ slot: 0, ip: "10.0.1.10", port: 9333, ssmPrefix: "/p", region: "us-east-1", intervalMinutes: 15, onChangeSeconds });
    assert.match(step(15), new RegExp(`^systemctl enable --now ${BACKUP_UNITS.watchService}$`, "m"));
    assert.doesNotMatch(step(0), /backup\/watch-script/);
    assert.match(step(0), new RegExp(`^systemctl disable --now ${BACKUP_UNITS.watchService} 2>/dev/null \\|\\| true$`, "m"));
  });
});

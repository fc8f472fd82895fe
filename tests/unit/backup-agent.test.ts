/**
 * The backup agent as rendered for the prod stack's masters: a shellcheck-clean script that asks its own master,
 * copies the raft directory under -mdir, uploads with SSE-KMS and publishes the backup metric; a timer with the
 * configured interval. No secret reaches it: the bucket and key come from SSM at run time.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { projectKeys } from "../../infra/config";
import { parseConfig } from "../../infra/platforms";
import { backupPrefix, parseManifest, raftDirectory } from "../../infra/seaweed/backup";
import { BACKUP_METRIC } from "../../infra/aws/host/backupNames";
import { renderBackupAgentScript, renderBackupBootStep, renderBackupService, renderBackupTimer } from "../../infra/aws/host/backupAgent";
import { renderHostRestoreScript } from "../../infra/aws/host/backupRestore";
import { HOST_PATHS } from "../../infra/aws/host/paths";
import { readStackConfig, REPO_ROOT } from "../../tools/lib/stackFiles";

const run = promisify(execFile);
const config = parseConfig(projectKeys(readStackConfig("prod").config), { stack: "prod" });

describe("the backup agent of the prod masters", () => {
  const ssmPrefix = `/seaweed-infra/${config.clusterName}`;
  const agent = renderBackupAgentScript({ clusterName: config.clusterName, port: config.httpPort, ssmPrefix, region: "us-east-1" });
  const bootSteps = config.topology.slots.map((s) =>
    renderBackupBootStep({ slot: s.slot, ip: s.ip, port: config.httpPort, ssmPrefix, region: "us-east-1", intervalMinutes: config.backupIntervalMinutes, onChangeSeconds: config.backupOnChangeSeconds }),
  );

  const restoreScript = renderHostRestoreScript({ clusterName: config.clusterName, port: config.httpPort, ssmPrefix, region: "us-east-1" });
  const boot = bootSteps.map((step) => `#!/usr/bin/env bash\nset -euo pipefail\n${step}`);

  it("passes shellcheck, with the host restore script and every slot's boot step", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "backup-agent-"));
    try {
      const files = [agent, restoreScript, ...boot].map((text, i) => {
        const file = path.join(dir, `agent-${i}.sh`);
        fs.writeFileSync(file, text);
        return file;
      });
      await run(path.join(REPO_ROOT, ".venv", "bin", "shellcheck"), files);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("asks its own master (from the slot's boot step) and copies the raft directory under -mdir", () => {
    config.topology.slots.forEach((s, i) => {
      assert.ok(bootSteps[i].includes(`SEAWEEDFS_MASTER_URL=http://${s.ip}:${config.httpPort}\n`));
      assert.ok(bootSteps[i].includes(`SEAWEEDFS_SLOT=${s.slot}\n`));
    });
    assert.ok(agent.includes(`RAFT_DIR="\${SEAWEEDFS_RAFT_DIR:-${raftDirectory(HOST_PATHS.mdir, config.httpPort)}}"`));
    assert.equal(raftDirectory("/data/", 9333), "/data/m9333");
  });

  it("keeps each slot's boot step within a Standard SSM parameter: the scripts come from SSM through launchers", () => {
    for (const step of bootSteps) assert.ok(step.length < 4096, `boot step of ${step.length} bytes`);
    assert.ok(bootSteps[0].includes(`--name '${ssmPrefix}/backup/watch-script'`));
    assert.ok(bootSteps[0].includes(`--name '${ssmPrefix}/backup/agent-script'`));
    assert.ok(bootSteps[0].includes(`--name '${ssmPrefix}/backup/restore-script'`));
    assert.ok(agent.length > 4096 && agent.length <= 8192, "an Advanced-tier SSM parameter holds it");
  });

  it("uploads only with SSE-KMS, and publishes the metric the alarm watches", () => {
    assert.match(agent, /s3 cp --only-show-errors --sse aws:kms --sse-kms-key-id "\$kms_key"/);
    assert.ok(agent.includes(`METRIC_NAMESPACE='${BACKUP_METRIC.namespace}'`));
    assert.ok(agent.includes(`METRIC_NAME='${BACKUP_METRIC.name}'`));
  });

  it("reaches S3 at the AWS CLI's default endpoint (https): nothing it runs with names another or turns off certificate checks", () => {
    // The restore drill gives the agent an https endpoint for this reason and judges the bucket policy's TLS-only
    // statement on each request's real transport (docs/runbooks/restore.md).
    for (const text of [agent, restoreScript, renderBackupService(), ...bootSteps]) {
      assert.doesNotMatch(text, /endpoint[-_]url|AWS_ENDPOINT_URL|no-verify-ssl|AWS_CA_BUNDLE|ca_bundle/i);
    }
  });

  it("runs from a timer with the configured interval, as the master's user, read-only on the data volume", () => {
    assert.match(renderBackupTimer(config.backupIntervalMinutes), /^OnUnitActiveSec=15min$/m);
    const service = renderBackupService();
    assert.match(service, new RegExp(`^User=${HOST_PATHS.user}$`, "m"));
    assert.match(service, new RegExp(`^ReadOnlyPaths=${HOST_PATHS.dataRoot}$`, "m"));
  });

  it("lays backups out as <cluster>/<date>/<stamp> and refuses a manifest with a path outside the raft directory", () => {
    assert.equal(backupPrefix("seaweedfs-prod", "20261125T201500Z"), "seaweedfs-prod/2026-11-25/20261125T201500Z");
    const manifest = { format: 1, cluster: "c", slot: 0, topologyId: "t", maxVolumeId: 3, port: 9333, createdAt: "x", files: [{ path: "../etc/passwd", sha256: "a".repeat(64), bytes: 1 }] };
    assert.throws(() => parseManifest(JSON.stringify(manifest)), /bad file path/);
    manifest.files[0].path = "logs.dat";
    assert.equal(parseManifest(JSON.stringify(manifest)).maxVolumeId, 3);
  });
});

/**
 * The metrics pipeline on a master: each slot's agent config and Prometheus scrape config in SSM, the agent's
 * least-privilege policy, and the boot-script fragment that installs the agent (checked by shellcheck).
 */
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { AGENT_PATHS, agentParameterNames } from "../../infra/aws/monitoring/agentConfig";
import { renderAgentSetup } from "../../infra/aws/monitoring/agentSetup";
import { monitoringBootStep } from "../../infra/aws/monitoring/settings";
import { METRIC_NAMESPACE } from "../../infra/aws/monitoring/metrics";
import { SCRAPED_METRICS } from "../../infra/aws/monitoring/cloudwatch";
import { HOST_PATHS } from "../../infra/aws/host/paths";
import { TLS_EXPIRY_HOST } from "../../infra/aws/host/tlsExpiry";
import { REPO_ROOT } from "../../tools/lib/stackFiles";
import { ssmPrefixOf } from "../../infra/aws/naming";
import { monitoringGraph, MonitoringRun, plain } from "../support/monitoringGraph";
import { decodeUserData, userDataBytes } from "../../infra/aws/userData";

interface AgentConfig {
  agent: { metrics_collection_interval: number };
  metrics: { namespace: string; metrics_collected: { disk: { resources: string[]; append_dimensions: Record<string, string> }; mem: { append_dimensions: Record<string, string> } }; aggregation_dimensions: string[][] };
  logs: {
    logs_collected: { files: { collect_list: { file_path: string; log_group_name: string }[] } };
    metrics_collected: { prometheus: { log_group_name: string; prometheus_config_path: string; emf_processor: { metric_namespace: string; metric_declaration: { source_labels: string[]; label_matcher: string; dimensions: string[][]; metric_selectors: string[] }[] } } };
  };
}

interface Statement {
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string>>;
}

describe("the CloudWatch agent of each prod slot", () => {
  let run: MonitoringRun;
  const parameter = (name: string) => {
    const found = run.mine("aws:ssm/parameter:Parameter").find((p) => p.inputs.name === name);
    assert.ok(found, `no SSM parameter ${name}`);
    return String(plain(found.inputs.insecureValue));
  };
  before(async () => {
    run = await monitoringGraph("prod");
  });

  it("publishes SeaweedFS and host metrics into one namespace with the slot's ClusterName and Slot", () => {
    const { clusterName, topology } = run.config;
    for (const slot of topology.slots) {
      const names = agentParameterNames(ssmPrefixOf(clusterName), slot.slot);
      const text = parameter(names.agentConfig);
      assert.ok(text.length < 4096, "fits a standard SSM parameter");
      const config = JSON.parse(text) as AgentConfig;
      const dims = { ClusterName: clusterName, Slot: String(slot.slot) };
      assert.equal(config.metrics.namespace, METRIC_NAMESPACE);
      assert.deepEqual(config.metrics.metrics_collected.disk.resources, [HOST_PATHS.dataRoot]);
      assert.deepEqual(config.metrics.metrics_collected.disk.append_dimensions, dims);
      assert.deepEqual(config.metrics.metrics_collected.mem.append_dimensions, dims);
      assert.deepEqual(config.metrics.aggregation_dimensions, [["ClusterName", "Slot"]]);
      const emf = config.logs.metrics_collected.prometheus.emf_processor;
      assert.equal(emf.metric_namespace, METRIC_NAMESPACE);
      assert.ok(emf.metric_declaration.every((d) => JSON.stringify(d.dimensions) === JSON.stringify([["ClusterName", "Slot"]])));
      for (const metric of SCRAPED_METRICS) {
        const selecting = emf.metric_declaration.filter((d) => d.metric_selectors.some((s) => new RegExp(s).test(metric.name)));
        assert.equal(selecting.length, 1, `${metric.name} is declared exactly once`);
        if (metric.only) assert.equal(selecting[0].label_matcher, `^seaweedfs-master;${metric.only.value}$`);
      }
      assert.equal(config.logs.metrics_collected.prometheus.prometheus_config_path, AGENT_PATHS.scrapeConfig);
      assert.equal(config.logs.logs_collected.files.collect_list[0].file_path, AGENT_PATHS.journalFile);
    }
  });

  it("scrapes each master's own /metrics listener (its -ip and metricsPort) and keeps only the published series", () => {
    const { clusterName, topology, metricsPort } = run.config;
    for (const slot of topology.slots) {
      const scrape = parse(parameter(agentParameterNames(ssmPrefixOf(clusterName), slot.slot).scrapeConfig)) as {
        scrape_configs: { job_name: string; metrics_path: string; static_configs: { targets: string[]; labels: Record<string, string> }[]; metric_relabel_configs: { regex: string; action: string }[] }[];
      };
      const [job] = scrape.scrape_configs;
      assert.equal(job.metrics_path, "/metrics");
      assert.deepEqual(job.static_configs[0].targets, [`${slot.ip}:${metricsPort}`]);
      assert.deepEqual(job.static_configs[0].labels, { ClusterName: clusterName, Slot: String(slot.slot) });
      const keep = new RegExp(job.metric_relabel_configs[0].regex);
      assert.ok(SCRAPED_METRICS.every((m) => keep.test(m.name)));
      assert.ok(!keep.test("SeaweedFS_master_start_time_seconds") && !keep.test("go_goroutines"));
    }
  });

  it("is installed by each slot's boot script, after the master starts and after the steps that guard it, from that slot's parameters", () => {
    const { clusterName, topology } = run.config;
    const templates = run.of("aws:ec2/launchTemplate:LaunchTemplate");
    for (const slot of topology.slots) {
      const template = templates.find((t) => t.name.startsWith(`${slot.name}-`));
      assert.ok(template, `slot ${slot.slot}'s launch template`);
      const userData = decodeUserData(template.inputs.userData);
      const names = agentParameterNames(ssmPrefixOf(clusterName), slot.slot);
      assert.deepEqual(monitoringBootStep(run.config, slot), { name: "monitoring", parameter: names.setupScript });
      assert.ok(!userData.includes("amazon-cloudwatch-agent"), "the setup itself is not in the user data");
      const setup = parameter(names.setupScript);
      assert.ok(setup.startsWith(renderAgentSetup(names)), "the step's parameter holds the setup");
      // With mutual TLS the setup also installs this slot's certificate-expiry publisher (infra/aws/host/tlsExpiry.ts).
      assert.equal(setup.includes(TLS_EXPIRY_HOST.timer), run.config.tlsEnabled, `slot ${slot.slot}'s expiry publisher with TLS ${run.config.tlsEnabled}`);
      if (run.config.tlsEnabled) assert.ok(setup.includes(`--dimensions 'ClusterName=${clusterName},Slot=${slot.slot}'`), `slot ${slot.slot}'s expiry datapoints carry its dimensions`);
      const lines = userData.split("\n");
      const steps = lines.filter((l) => l.startsWith("ssm_step "));
      // Slot 0 also installs the restore verifier (docs/runbooks/restore.md#restore-verification), before the heartbeat.
      const guards = slot.slot === 0 ? ["watchdog", "backup", "verify-restore"] : ["watchdog", "backup"];
      assert.deepEqual(steps.map((l) => l.split(" ")[1]), [...guards, "heartbeat", "monitoring"], "the CloudWatch agent (a dnf install) comes last");
      assert.equal(steps.at(-1), `ssm_step monitoring '${names.setupScript}'`);
      assert.ok(lines.indexOf('main "$@"') < lines.indexOf(steps[0]) && lines.indexOf("steps_done") > lines.indexOf(steps.at(-1)!), "after the master has started");
      // EC2 counts the bytes it receives: the compressed script (infra/aws/userData.ts).
      const sent = userDataBytes(String(template.inputs.userData));
      assert.ok(sent < 16 * 1024, `user data of slot ${slot.slot} is ${sent} bytes`);
    }
  });

  it("grants the agent only PutMetricData into its namespace, its two log groups and its own parameters", () => {
    assert.deepEqual(run.mine("aws:iam/rolePolicy:RolePolicy"), [], "no inline policy: IAM caps a role's inline policies together");
    const [policy] = run.mine("aws:iam/policy:Policy");
    assert.ok(policy, "the agent's managed policy");
    const attachments = run.mine("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.inputs.policyArn === policy.state.arn);
    assert.equal(attachments.length, 1, "attached once");
    const roles = run.of("aws:iam/role:Role").filter((r) => attachments[0].propertyDependencies.role?.includes(r.urn));
    assert.equal(roles.length, 1, "to one role");
    assert.match(String(roles[0].inputs.assumeRolePolicy), /ec2\.amazonaws\.com/, "the masters' instance role");
    const statements = (JSON.parse(String(policy.inputs.policy)) as { Statement: Statement[] }).Statement;
    const byAction = (action: string) => statements.filter((s) => [s.Action].flat().includes(action));
    const [metrics] = byAction("cloudwatch:PutMetricData");
    assert.deepEqual(metrics.Condition, { StringEquals: { "cloudwatch:namespace": METRIC_NAMESPACE } });
    const groups = run.mine("aws:cloudwatch/logGroup:LogGroup").map((g) => String(g.state.arn));
    assert.equal(groups.length, 2);
    assert.deepEqual([byAction("logs:PutLogEvents")[0].Resource].flat().sort(), groups.flatMap((g) => [g, `${g}:log-stream:*`]).sort());
    // The agent's own three per slot; the unit heartbeat's boot step is read by the boot (the boot policy's prefix).
    const params = run.mine("aws:ssm/parameter:Parameter").filter((p) => String(p.inputs.name).includes("/cloudwatch-agent/")).map((p) => String(p.state.arn));
    assert.equal(params.length, 3 * run.config.topology.slots.length);
    assert.deepEqual([byAction("ssm:GetParameter")[0].Resource].flat().sort(), params.sort());
    assert.ok(statements.every((s) => [s.Action].flat().every((a) => !a.includes("*"))), "no wildcard actions");
  });
});

describe("the boot-script fragment", () => {
  const names = agentParameterNames("/seaweed-infra/seaweedfs-prod", 3);
  const fragment = renderAgentSetup(names);

  /**
   * Runs the fragment under strict mode with stubbed dnf (which installs the agent's ctl), systemctl, aws and, when
   * `installed`, an agent already there; returns their calls.
   */
  function runFragment(root: string, installed = false): string[] {
    const bin = path.join(root, "stub-bin");
    fs.mkdirSync(bin);
    const stub = (file: string, body: string) => {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, `#!/usr/bin/env bash\necho "$(basename "$0") $*" >> "$ROOT/calls.log"\n${body}\n`, { mode: 0o755 });
    };
    const ctl = path.join(root, AGENT_PATHS.ctl);
    stub(path.join(bin, "dnf"), `mkdir -p "${path.dirname(ctl)}" && cp "${path.join(root, "ctl-stub")}" "${ctl}"`);
    stub(path.join(bin, "systemctl"), "");
    stub(path.join(bin, "aws"), `[ "$AWS_DEFAULT_REGION" = eu-west-3 ] || exit 3\necho 'scrape_configs: [from-ssm]'`);
    stub(path.join(root, "ctl-stub"), "");
    if (installed) stub(ctl, "");
    execFileSync("bash", ["-c", `set -euo pipefail\n${fragment}`], { env: { ROOT: root, PATH: `${bin}:/usr/bin:/bin`, AWS_DEFAULT_REGION: "eu-west-3" }, encoding: "utf8" });
    return fs.readFileSync(path.join(root, "calls.log"), "utf8").trim().split("\n");
  }

  it("installs the agent only when it is missing (no repository needed on a reboot)", () => {
    for (const installed of [false, true]) {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), "agent-setup-"));
      try {
        assert.equal(runFragment(root, installed).filter((c) => c.startsWith("dnf ")).length, installed ? 0 : 1, installed ? "installed already" : "missing");
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    }
  });

  it("installs the agent, exports the journal, fetches the slot's scrape config and starts the agent from SSM", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "agent-setup-"));
    try {
      const calls = runFragment(root);
      assert.deepEqual(calls, [
        "dnf install -y amazon-cloudwatch-agent",
        "systemctl daemon-reload",
        "systemctl enable --now seaweedfs-journal-export.service",
        `aws ssm get-parameter --name ${names.scrapeConfig} --query Parameter.Value --output text`,
        `amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c ssm:${names.agentConfig}`,
      ]);
      assert.equal(fs.readFileSync(path.join(root, AGENT_PATHS.scrapeConfig), "utf8"), "scrape_configs: [from-ssm]\n");
      const unit = fs.readFileSync(path.join(root, "etc/systemd/system/seaweedfs-journal-export.service"), "utf8");
      assert.match(unit, new RegExp(`^ExecStart=/usr/bin/journalctl --unit=${HOST_PATHS.unitName} --unit=seaweedfs-watchdog.service --follow .*--cursor-file=${AGENT_PATHS.journalCursor}$`, "m"));
      assert.match(unit, new RegExp(`^StandardOutput=append:${AGENT_PATHS.journalFile}$`, "m"));
      assert.match(fs.readFileSync(path.join(root, "etc/logrotate.d/seaweedfs-master-journal"), "utf8"), /copytruncate/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it("refuses to run without the region the boot script exports", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "agent-setup-"));
    try {
      assert.throws(() => execFileSync("bash", ["-c", `set -euo pipefail\n${fragment}`], { env: { ROOT: root, PATH: "/usr/bin:/bin" }, stdio: "pipe" }), /AWS_DEFAULT_REGION/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it("passes shellcheck inside a strict-mode script", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agent-setup-"));
    try {
      const file = path.join(dir, "boot.sh");
      fs.writeFileSync(file, `#!/usr/bin/env bash\nset -euo pipefail\n${fragment}`);
      execFileSync(path.join(REPO_ROOT, ".venv/bin/shellcheck"), ["--severity=style", file], { encoding: "utf8" });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * The restore verifier as the prod program deploys it (under mocks): one host runs it (slot 0's boot installs its
 * timer, no other slot's), its script sits in SSM where the masters may read it, it rehearses exactly the slots' own
 * `weed master` command lines, and its two alarms mean what they say, judged by CloudWatch's evaluation replayed on
 * made-up samples (policies/rules/alarmMath.ts). The verifier itself runs for real in the restore-verification drill.
 */
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { runStack } from "../../tools/lib/plan";
import type { RecordedResource } from "../../tools/lib/mockGraph";
import { REPO_ROOT } from "../../tools/lib/stackFiles";
import { alarmMathOf, evaluateAlarm } from "../../policies/rules/alarmMath";
import { plain } from "../support/monitoringGraph";
import { decodeUserData } from "../../infra/aws/userData";

const run = promisify(execFile);
type Inputs = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let resources: RecordedResource[];
const ssmValue = (suffix: string): string => {
  const found = resources.filter((r) => r.type === "aws:ssm/parameter:Parameter" && String((r.inputs as Inputs).name).endsWith(suffix));
  assert.equal(found.length, 1, `one SSM parameter ending ${suffix}`);
  const inputs = found[0].inputs as Inputs;
  return String(plain(inputs.value) ?? inputs.insecureValue);
};
const userData = (slot: number): string => {
  const templates = resources.filter((r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate");
  const text = templates.map((t) => decodeUserData((t.inputs as Inputs).userData)).find((u) => u.includes(`readonly CLUSTER='seaweedfs-prod' \\\nSLOT='${slot}'`));
  return text ?? assert.fail(`no user data for slot ${slot}`);
};
const alarm = (suffix: string): Inputs => {
  const found = resources.find((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm" && String((r.inputs as Inputs).name).endsWith(suffix));
  return (found?.inputs as Inputs) ?? assert.fail(`no alarm ${suffix}`);
};

before(async () => {
  ({ resources } = await runStack("prod"));
});

describe("the restore verifier of the prod stack", () => {
  it("runs on slot 0 only: its boot runs the verifier's step after the backup step; no other slot's does", () => {
    const steps = (slot: number) => userData(slot).split("\n").filter((l) => l.startsWith("ssm_step ")).map((l) => l.split(" ")[1]);
    assert.deepEqual(steps(0), ["watchdog", "backup", "verify-restore", "heartbeat", "monitoring"]);
    for (const slot of [1, 2, 3, 4]) assert.ok(!steps(slot).includes("verify-restore"), `slot ${slot}: ${steps(slot)}`);
  });

  it("passes shellcheck: the script in SSM and the boot step that installs its launcher, service and timer", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "verifier-"));
    try {
      const files = [ssmValue("/backup/verify-script"), `#!/usr/bin/env bash\nset -euo pipefail\n${ssmValue("/backup/verifier/boot-step")}`].map((text, i) => {
        const file = path.join(dir, `verifier-${i}.sh`);
        fs.writeFileSync(file, text);
        return file;
      });
      await run(path.join(REPO_ROOT, ".venv", "bin", "shellcheck"), files);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("rehearses every slot with the very command line its boot starts, only -mdir moved to scratch space", () => {
    const script = ssmValue("/backup/verify-script");
    for (const slot of [0, 1, 2, 3, 4]) {
      const execStart = /^ExecStart=(.*)$/m.exec(userData(slot))![1].split(" ").slice(1);
      const scratch = new RegExp(`^start ${slot} (.*)$`, "m").exec(script)![1].split(" ").map((a) => a.replace(/^'(.*)'$/, "$1"));
      const withoutMdir = (args: string[]) => args.filter((a) => !/^"?-mdir=/.test(a));
      assert.deepEqual(withoutMdir(scratch), withoutMdir(execStart));
      assert.ok(scratch.includes(`"-mdir=$scratch/${slot}"`), scratch.join(" "));
    }
  });

  it("is readable by the masters: the script and the boot step are among the parameters the instance role may get", () => {
    const policies = resources.filter((r) => r.type === "aws:iam/policy:Policy").map((p) => JSON.parse(String((p.inputs as Inputs).policy)));
    const readable = policies.flatMap((p) => p.Statement).filter((s: Inputs) => s.Action === "ssm:GetParameter" || (Array.isArray(s.Action) && s.Action.includes("ssm:GetParameter")));
    const names = resources.filter((r) => r.type === "aws:ssm/parameter:Parameter" && /\/backup\/(verify-script|verifier\/boot-step)$/.test(String((r.inputs as Inputs).name))).map((r) => String(r.state.arn));
    assert.equal(names.length, 2);
    for (const arn of names) assert.ok(readable.some((s: Inputs) => [s.Resource].flat().includes(arn)), `${arn} is not readable`);
  });

  it("alarms when no restore was verified within twice the interval, and not while one is younger", () => {
    const age = alarm("-restore-verification-age");
    const math = alarmMathOf(age);
    const hour = 3_600_000;
    const window = (samples: number[]) => evaluateAlarm(math, () => samples.map((t) => ({ t, value: t / 1000 })), 0, hour, age.evaluationPeriods).firstAlarmPeriod;
    assert.equal(window([]), age.evaluationPeriods - 1, "no verification at all");
    assert.equal(window([(age.evaluationPeriods - 1) * hour + 10]), -1, "verified an hour ago");
    assert.equal(window([2 * hour]), -1, "verified 46 h ago, within the 48 h limit");
    assert.equal(age.evaluationPeriods * age.period, 48 * 3600, "twice prod's 24 h interval");
  });

  it("alarms on a failed verification at once, and clears only when one passes", () => {
    const failed = alarm("-restore-verification-failed");
    const math = alarmMathOf(failed);
    const period = failed.period * 1000;
    const judge = (values: number[]) => evaluateAlarm(math, () => values.map((value, i) => ({ t: i * period + 1, value })), 0, period, values.length);
    assert.equal(judge([0, 1]).firstAlarmPeriod, 1);
    assert.equal(judge([0, 0]).firstAlarmPeriod, -1);
    assert.deepEqual(judge([1, 0]).breaching, [true, false]);
    assert.equal(failed.treatMissingData, "ignore", "silence between runs keeps the state (a failure stays red until a pass)");
    assert.ok(failed.alarmActions.length > 0 && failed.okActions.length > 0);
  });
});

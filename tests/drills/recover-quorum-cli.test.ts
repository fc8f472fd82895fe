/**
 * `npm run recover-quorum` against a local moto (SSM only: nothing here reaches a master): `hold` sets each lost slot's
 * hold under the very name the slot's boot script reads (the prod stack's rendered user data), `release` removes them
 * and is idempotent, and bad usage exits 2 naming the problem. The recovery itself is drilled on real weed
 * (tools/lib/drill/lostQuorum.ts); the hold's effect on a boot is proven in tests/unit/boot-script.test.ts.
 */
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "../../tools/lib/stackFiles";
import { stopChildrenAtExit } from "../../tools/lib/cluster/processes";
import { Moto, startMoto, VENV_BIN } from "../../tools/lib/restore/moto";
import { awsCli } from "../../tools/lib/restore/drillBucket";
import { runStack } from "../../tools/lib/plan";
import { decodeUserData } from "../../infra/aws/userData";

stopChildrenAtExit();

let moto: Moto;
before(async () => {
  moto = await startMoto("us-east-1");
});
after(async () => {
  await moto?.stop();
});

async function recoverQuorum(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, ...moto.env, PATH: `${VENV_BIN}:${process.env.PATH}` };
  try {
    const { stdout, stderr } = await promisify(execFile)(path.join(REPO_ROOT, "node_modules/.bin/tsx"), ["tools/recover-quorum.ts", ...args], { cwd: REPO_ROOT, env, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The hold parameter names in prod's rendered user data, slot by slot (what each slot's boot reads). */
async function holdsInUserData(): Promise<string[]> {
  const { resources } = await runStack("prod");
  return resources
    .filter((r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate")
    .map((r) => decodeUserData((r.inputs as { userData: string }).userData))
    .map((userData) => /HOLD_PARAMETER='([^']+)'/.exec(userData)?.[1] ?? "none");
}

describe("npm run recover-quorum", { timeout: 180_000 }, () => {
  it("hold sets the lost slots' holds under the names their boot scripts read; release removes them, twice without error", async () => {
    const inUserData = await holdsInUserData();
    assert.equal(inUserData.length, 5);
    const held = await recoverQuorum(["hold", "--stack", "prod", "--lost", "0,1,2", "--json"]);
    assert.equal(held.code, 0, held.stderr);
    assert.deepEqual(JSON.parse(held.stdout).held, inUserData.slice(0, 3));
    const stored = await awsCli(moto, ["ssm", "get-parameters", "--names", ...inUserData, "--query", "Parameters[].Name", "--output", "json"]);
    assert.deepEqual(JSON.parse(stored).sort(), inUserData.slice(0, 3).sort(), "only the lost slots are held");
    for (let i = 0; i < 2; i++) {
      const released = await recoverQuorum(["release", "--stack", "prod", "--lost", "0,1,2"]);
      assert.equal(released.code, 0, released.stderr);
    }
    assert.equal(await awsCli(moto, ["ssm", "get-parameters", "--names", ...inUserData, "--query", "length(Parameters)"]), "0");
  });

  it("refuses bad usage with exit 2: no lost slots, a slot the stack lacks, a plan without the bucket, a Kubernetes stack", async () => {
    const cases: [string[], RegExp][] = [
      [["plan", "--stack", "prod", "--bucket", "b"], /--lost is required/],
      [["hold", "--stack", "prod", "--lost", "0,9"], /prod has no slot 9/],
      [["plan", "--stack", "prod", "--lost", "0,1,2"], /--bucket is required/],
      [["plan", "--stack", "k8s-dev", "--lost", "0,1", "--bucket", "b"], /recover-quorum runs on AWS stacks/],
      [["fix", "--stack", "prod"], /unknown command: fix/],
    ];
    for (const [args, message] of cases) {
      const result = await recoverQuorum(args);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
  });
});

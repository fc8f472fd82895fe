/**
 * No private key leaves its secret store: for every stack, `npm run plan -- --json` (what CI posts on pull requests),
 * the stack outputs (secret ones included) and every slot's user data (decompressed, as cloud-init runs it) hold no PEM
 * private key, and no resource input
 * holds one except the stores themselves (SSM SecureStrings, Kubernetes TLS Secrets) and the certificate resources
 * that sign with the CA's key. Under mocks every key is {@link MOCK_TLS_PRIVATE_KEY}, a real PEM header, so a leak
 * anywhere shows; the stores holding it prove the scan sees it.
 */
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { IssuedCertificate } from "../../infra/tls/resources";
import { MOCK_TLS_PRIVATE_KEY } from "../../tools/lib/mockCloud";
import { ProgramRun } from "../../tools/lib/mockGraph";
import { runAnyStack } from "../../tools/lib/plan";
import { runTool } from "../support/runTool";
import { decodeUserData, encodeUserData } from "../../infra/aws/userData";

/** Every PEM private-key header in `text` (PKCS#8, EC, RSA, encrypted), with a little context. */
export function privateKeyHeaders(text: string): string[] {
  return [...text.matchAll(/-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----/g)].map((m) => text.slice(Math.max(0, m.index - 60), m.index + 40).replace(/\s+/g, " "));
}

/** The private-key headers in launch templates' user data, read as cloud-init runs it (decompressed), by template. */
function userDataKeys(templates: readonly ProgramRun["resources"][number][]): string[] {
  return templates.flatMap((lt) => privateKeyHeaders(decodeUserData(lt.inputs.userData)).map((found) => `${lt.name}: ${found}`));
}

/** `value` as the text a scan reads (JSON, so nested and secret-wrapped values are included). */
const text = (value: unknown) => JSON.stringify(value);

/** Where a key may live: the secret stores and the resources that sign with the CA's key. */
function isKeyStore(r: ProgramRun["resources"][number]): boolean {
  return (r.type === "aws:ssm/parameter:Parameter" && r.inputs.type === "SecureString") || (r.type === "kubernetes:core/v1:Secret" && r.inputs.type === "kubernetes.io/tls") || r.type === IssuedCertificate.type;
}

const STACKS = ["dev", "staging", "prod", "k8s-dev", "k8s-prod"];
const TLS_STACKS = ["staging", "prod", "k8s-prod"];

describe("private keys stay in their secret stores", () => {
  const runs: Record<string, ProgramRun> = {};
  const plans: Record<string, { code: number; stdout: string; stderr: string }> = {};
  before(async () => {
    for (const stack of STACKS) runs[stack] = await runAnyStack(stack);
    await Promise.all(TLS_STACKS.map(async (stack) => (plans[stack] = await runTool("plan.ts", ["--stack", stack, "--json"], 180_000))));
  });

  it("finds the keys in the stores (the scan can see a key)", () => {
    for (const stack of TLS_STACKS) {
      const stores = runs[stack].resources.filter(isKeyStore);
      const holding = stores.filter((r) => privateKeyHeaders(text(r.inputs)).length > 0);
      assert.ok(holding.length >= 8 + 1, `${stack}: ${holding.length} stores hold a key (8 certificates and the CA's signing input)`);
      assert.ok(text(holding).includes(MOCK_TLS_PRIVATE_KEY.split("\n")[1]));
    }
  });

  it("prints no private key in `npm run plan -- --json`", () => {
    for (const stack of TLS_STACKS) {
      assert.equal(plans[stack].code, 0, plans[stack].stderr);
      assert.ok(JSON.parse(plans[stack].stdout).resources.length > 0);
      assert.deepEqual(privateKeyHeaders(plans[stack].stdout + plans[stack].stderr), [], stack);
    }
  });

  it("exports no private key, not even as a secret output", () => {
    for (const stack of STACKS) assert.deepEqual(privateKeyHeaders(text(runs[stack].outputs)), [], stack);
  });

  it("puts no private key into any slot's user data", () => {
    for (const stack of ["dev", "staging", "prod"]) {
      const templates = runs[stack].resources.filter((r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate");
      assert.ok(templates.length >= 3);
      assert.deepEqual(userDataKeys(templates), [], stack);
    }
  });

  it("passes no private key to any other resource", () => {
    for (const stack of STACKS) {
      const leaks = runs[stack].resources.filter((r) => !isKeyStore(r) && privateKeyHeaders(text(r.inputs)).length > 0).map((r) => `${r.type} ${r.name}`);
      assert.deepEqual(leaks, [], stack);
    }
  });

  it("would notice a planted key in a plan, an output or user data", () => {
    const plan = JSON.parse(plans.prod.stdout) as { outputs: Record<string, unknown> };
    const planted = { ...plan, outputs: { ...plan.outputs, tls: { leaked: MOCK_TLS_PRIVATE_KEY } } };
    assert.equal(privateKeyHeaders(text(planted)).length, 1);
    assert.equal(privateKeyHeaders(`#!/bin/bash\nKEY='${"-----BEGIN EC PRIVATE KEY-----"}'`).length, 1);
    // A key inside a slot's gzip user data, where its compressed bytes do not show the header.
    const [first, ...others] = runs.prod.resources.filter((r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate");
    const userData = encodeUserData(`${decodeUserData(first.inputs.userData)}\nKEY='${MOCK_TLS_PRIVATE_KEY}'\n`);
    assert.equal(privateKeyHeaders(text(userData)).length, 0, "negative control: compressed, the header is not visible");
    assert.equal(userDataKeys([{ ...first, inputs: { ...first.inputs, userData } }, ...others]).length, 1);
  });
});

/**
 * Policy seaweedfs-tls-required: where required (staging, prod, k8s-prod), every master's gRPC port, which carries
 * raft and the volume servers' heartbeats, runs mutual TLS. The compliant tier passes; a tier without TLS, one
 * master missing its key, the TLS minimum without a maximum (weed 4.44 then serves plain text), and on Kubernetes a
 * pod template without its certificate variables are refused; dev does not judge it.
 */
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { tlsRequired } from "../../policies/rules/tls";
import { SECURITY_TOML_HEREDOC } from "../../infra/aws/naming";
import type { RecordedResource } from "../../tools/lib/mockGraph";
import { runAnyStack } from "../../tools/lib/plan";
import { mandatoryViolations, readPackConfig, runPolicies, toPolicyResources } from "../../tools/lib/policyRun";
import { REPO_ROOT } from "../../tools/lib/stackFiles";
import { healthyStack, messages, runOne } from "./fixtures";
import { decodeUserData, encodeUserData } from "../../infra/aws/userData";

type Inputs = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const LT = "aws:ec2/launchTemplate:LaunchTemplate";
const required = { required: true };

/** Rewrites the security.toml inside one launch template's user data. */
function editToml(g: ReturnType<typeof healthyStack>, slot: number, edit: (toml: string) => string): void {
  const lt = g.one(LT, `seaweedfs-test-master-${slot}-lt`);
  const script = decodeUserData(lt.props.userData);
  const [head, rest] = script.split(`<<'${SECURITY_TOML_HEREDOC}'\n`);
  const [toml, tail] = rest.split(`\n${SECURITY_TOML_HEREDOC}\n`);
  lt.props.userData = encodeUserData(`${head}<<'${SECURITY_TOML_HEREDOC}'\n${edit(toml)}\n${SECURITY_TOML_HEREDOC}\n${tail}`);
}

describe("policy seaweedfs-tls-required on AWS master tiers", () => {
  it("passes the tier whose masters render mutual TLS", async () => {
    const result = await runOne(tlsRequired, healthyStack(), required);
    assert.deepEqual([result.violations, result.verdict], [[], "pass"]);
  });

  it("refuses every master of a tier without TLS, naming the plain-text gRPC port", async () => {
    const result = await runOne(tlsRequired, healthyStack({ tls: false }), required);
    assert.equal(result.violations.filter((v) => /no \[grpc\] ca: the masters serve gRPC in plain text/.test(v.message)).length, 3);
  });

  it("refuses the one master whose [grpc.master] section has no key", async () => {
    const g = healthyStack();
    editToml(g, 1, (toml) => toml.replace(/^key = ".*master\.key"$/m, ""));
    const result = await runOne(tlsRequired, g, required);
    assert.deepEqual(result.violations.map((v) => v.message), ["seaweedfs-test-master-1-lt: no [grpc.master] key: the masters serve gRPC in plain text"]);
  });

  it("refuses a TLS minimum without a maximum, and a master port that accepts any certificate of the CA", async () => {
    const g = healthyStack();
    editToml(g, 0, (toml) => toml.replace(/^max_version = .*$/m, "").replace(/^allowed_commonNames = .*$/m, ""));
    assert.match(messages(await runOne(tlsRequired, g, required)), /min_version without max_version.*\n.*any certificate of the CA may call every master RPC/);
  });

  it("is not applicable where TLS is not required (dev)", async () => {
    assert.equal((await runOne(tlsRequired, healthyStack({ tls: false }))).verdict, "not applicable");
  });
});

describe("policy seaweedfs-tls-required on the k8s-prod StatefulSet", () => {
  let recorded: RecordedResource[];
  before(async () => {
    recorded = (await runAnyStack("k8s-prod")).resources;
  });
  const prodConfig = () => readPackConfig(path.join(REPO_ROOT, "policies", "config.k8s-prod.json"));

  it("passes k8s-prod as registered and refuses a pod template without its certificate variables", async () => {
    assert.deepEqual(mandatoryViolations(await runPolicies(toPolicyResources(recorded), prodConfig())), []);
    const graph = structuredClone(recorded);
    const sts = graph.find((r) => r.type === "kubernetes:apps/v1:StatefulSet")!.state as Inputs;
    const container = sts.spec.template.spec.containers[0];
    container.env = container.env.filter((e: Inputs) => !e.name.startsWith("WEED_GRPC_MASTER_"));
    const mandatory = mandatoryViolations(await runPolicies(toPolicyResources(graph), prodConfig()));
    assert.deepEqual(mandatory.map((m) => m.message), ["StatefulSet seaweedfs-master: no [grpc.master] cert: the masters serve gRPC in plain text", "StatefulSet seaweedfs-master: no [grpc.master] key: the masters serve gRPC in plain text"]);
  });
});

/**
 * Load-balancer policies: the masters' NLB is internal, cross-zone, protected in prod, listens on 9333 and 19333 and
 * health-checks /cluster/healthz fast enough; each broken setting is reported on the resource at fault.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { lbCrossZone, lbDeletionProtection, lbHealthCheck, lbInternal, lbListeners } from "../../policies/rules/loadBalancer";
import { healthyStack, messages, runOne } from "./fixtures";

const LB = "aws:lb/loadBalancer:LoadBalancer";
const TG = "aws:lb/targetGroup:TargetGroup";

describe("policy seaweedfs-lb-internal", () => {
  it("passes an internal NLB and refuses an internet-facing one", async () => {
    assert.deepEqual((await runOne(lbInternal, healthyStack())).violations, []);
    const g = healthyStack();
    g.one(LB).props.internal = false;
    const result = await runOne(lbInternal, g);
    assert.equal(result.violations[0].resource, g.one(LB).urn);
    assert.match(messages(result), /internet-facing; set internal: true/);
  });
});

describe("policy seaweedfs-lb-cross-zone", () => {
  it("passes cross-zone on and refuses it unset", async () => {
    assert.deepEqual((await runOne(lbCrossZone, healthyStack())).violations, []);
    const g = healthyStack();
    delete g.one(LB).props.enableCrossZoneLoadBalancing;
    assert.match(messages(await runOne(lbCrossZone, g)), /cross-zone load balancing is off/);
  });
});

describe("policy seaweedfs-lb-deletion-protection", () => {
  it("requires deletion protection in prod, from the policy config or a stack tag", async () => {
    const g = healthyStack();
    assert.deepEqual((await runOne(lbDeletionProtection, g, { environment: "prod" })).violations, []);
    g.one(LB).props.enableDeletionProtection = false;
    assert.match(messages(await runOne(lbDeletionProtection, g, { environment: "prod" })), /deletion protection is off in prod/);
    g.one(LB).props.tags = { environment: "prod" };
    assert.match(messages(await runOne(lbDeletionProtection, g)), /deletion protection is off in prod/);
  });

  it("does not apply to a dev stack, and counts an unknown environment as protected", async () => {
    const g = healthyStack();
    g.one(LB).props.enableDeletionProtection = false;
    assert.equal((await runOne(lbDeletionProtection, g, { environment: "dev" })).verdict, "not applicable");
    assert.match(messages(await runOne(lbDeletionProtection, g)), /unknown environment/);
  });
});

describe("policy seaweedfs-lb-listeners", () => {
  it("passes listeners on 9333 and 19333 and names a missing port", async () => {
    assert.deepEqual((await runOne(lbListeners, healthyStack())).violations, []);
    const g = healthyStack();
    g.remove(g.one("aws:lb/listener:Listener", "seaweedfs-test-grpc-listener"));
    const result = await runOne(lbListeners, g);
    assert.match(messages(result), /no listener on port 19333 \(listeners: 9333\)/);
    assert.equal(result.violations[0].resource, g.one(LB).urn);
  });
});

describe("policy seaweedfs-lb-health-check", () => {
  it("passes /cluster/healthz every 5 s x 2 within 30 s", async () => {
    assert.deepEqual((await runOne(lbHealthCheck, healthyStack())).violations, []);
  });

  it("refuses detection slower than maxDetectionSeconds", async () => {
    const result = await runOne(lbHealthCheck, healthyStack(), { maxDetectionSeconds: 8 });
    assert.equal(result.violations.length, 2);
    assert.match(messages(result), /detected after 5s x 2 = 10s, more than maxDetectionSeconds 8/);
  });

  it("refuses a health check on /healthz (always 200) or on the gRPC port", async () => {
    const g = healthyStack();
    const [http, grpc] = g.all(TG);
    (http.props.healthCheck as Record<string, unknown>).path = "/healthz";
    (grpc.props.healthCheck as Record<string, unknown>).port = "traffic-port";
    const result = await runOne(lbHealthCheck, g);
    assert.equal(result.violations.length, 2);
    assert.match(result.violations.find((v) => v.resource === http.urn)!.message, /path is \/healthz, not \/cluster\/healthz/);
    assert.match(result.violations.find((v) => v.resource === grpc.urn)!.message, /goes to port 19333, not the master HTTP port 9333/);
  });

  it("refuses disabled health checks", async () => {
    const g = healthyStack();
    (g.all(TG)[0].props.healthCheck as Record<string, unknown>).enabled = false;
    assert.match(messages(await runOne(lbHealthCheck, g)), /health checks are disabled/);
  });
});

/**
 * k8s-prod's zone spread through a zone outage, scheduled by the real kube-scheduler on the loopback control plane
 * (nodes and pods simulated by kwok: no container runs), with zonal volumes bound where a pod lands (as EBS volumes
 * of the stack's WaitForFirstConsumer class). The StatefulSet as the program renders it is applied through the API;
 * then every node of the zone holding one master (2/2/1) is deleted and that master's orphaned pod removed, as pod
 * GC does for pods of deleted nodes. The scheduler must then
 * - keep that master Pending, the surviving zones at N - quorum = 2 masters each (the zone-loss table);
 * - still reschedule a master of a surviving zone whose pod goes (a drain, node auto-repair): with the tier's first
 *   spread (`maxSkew: 1, minDomains: 3`) it stayed Pending, 4 running masters became 3, one more failure lost quorum;
 * and once the zone's nodes are back, place the Pending master there (2/2/1 again).
 * Run by `npm run engine:check` (docs/engine.md).
 */
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import type { KubernetesConfig } from "../../infra/config";
import { masterStatefulSet } from "../../infra/kubernetes/manifests";
import { masterNames, ZONE_LABEL } from "../../infra/kubernetes/names";
import { stackConfig } from "../../tools/lib/cluster/plan";
import { sleep } from "../../tools/lib/cluster/http";
import { engineBinDir } from "../../tools/lib/engine/pulumi";
import { kubeCall, kubeRequest } from "../../tools/lib/kube/api";
import { ControlPlane, startControlPlane } from "../../tools/lib/kube/controlPlane";
import { provideStorage } from "../../tools/lib/kube/storage";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const config = stackConfig("k8s-prod") as KubernetesConfig;
const names = masterNames(config);
/** The zone-loss table's limit, written out: 5 masters, quorum 3, so at most 2 in any zone. */
const MOST_PER_ZONE = 2;

describe("k8s-prod's zone spread through a zone outage (kube-scheduler; nodes and pods simulated by kwok)", { timeout: 600_000 }, () => {
  let plane: ControlPlane;
  const pods = async () => (await kubeCall<{ items: Obj[] }>(plane.endpoint, "GET", `/api/v1/namespaces/${names.namespace}/pods`)).items;
  const zoneOfNode = (node: string | undefined) => (node === undefined ? undefined : plane.nodes.get(node));
  /** Running masters per zone, and the names of those not scheduled. */
  const placement = async () => {
    const perZone = new Map<string, string[]>();
    const pending: string[] = [];
    for (const pod of await pods()) {
      const zone = zoneOfNode(pod.spec.nodeName);
      if (zone === undefined || pod.status?.phase !== "Running") pending.push(pod.metadata.name);
      else perZone.set(zone, [...(perZone.get(zone) ?? []), pod.metadata.name].sort());
    }
    return { perZone, pending: pending.sort() };
  };
  const waitUntil = async (what: string, timeoutMs: number, done: () => Promise<boolean>) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await done())) {
      if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs / 1000} s: ${JSON.stringify(await placementText())}`);
      await sleep(500);
    }
  };
  const placementText = async () => {
    const { perZone, pending } = await placement();
    return { running: Object.fromEntries(perZone), pending };
  };
  const forceDelete = (pod: string) => kubeCall(plane.endpoint, "DELETE", `/api/v1/namespaces/${names.namespace}/pods/${pod}?gracePeriodSeconds=0`);
  /** Why the scheduler left a pod Pending (its PodScheduled condition's message). */
  const whyPending = async (pod: string) => {
    const live = await kubeCall<Obj>(plane.endpoint, "GET", `/api/v1/namespaces/${names.namespace}/pods/${pod}`);
    return (live.status?.conditions ?? []).find((c: Obj) => c.type === "PodScheduled")?.message ?? "(no scheduling condition yet)";
  };

  let lostZone: string;
  let lostPod: string;
  let removedNodes: Obj[];

  before(async () => {
    plane = await startControlPlane({ binDir: engineBinDir(), zones: [...config.availabilityZones] });
    // Zonal volumes bound where the pod lands, as EBS with the stack's WaitForFirstConsumer class: a master's volume
    // then keeps it in its zone (enough per zone for the zone-loss table's 2).
    await provideStorage(plane.endpoint, { className: config.k8sStorageClassName, volumes: MOST_PER_ZONE, size: "100Gi", zones: config.availabilityZones });
    await kubeCall(plane.endpoint, "POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: names.namespace } });
    await kubeCall(plane.endpoint, "POST", `/apis/apps/v1/namespaces/${names.namespace}/statefulsets`, masterStatefulSet(config));
    await waitUntil("every master running", 180_000, async () => (await placement()).pending.length === 0 && (await pods()).length === config.masterCount);
  });
  after(async () => {
    await plane?.stop();
  });

  it("places 2/2/1 with every zone up", async () => {
    const { perZone } = await placement();
    assert.deepEqual([...perZone.values()].map((p) => p.length).sort(), [1, 2, 2]);
    [lostZone, [lostPod]] = [...perZone].find(([, p]) => p.length === 1)!;
  });

  it("keeps the master of a zone whose nodes are gone Pending, the surviving zones at 2 each", async () => {
    const nodes = await kubeCall<{ items: Obj[] }>(plane.endpoint, "GET", "/api/v1/nodes");
    removedNodes = nodes.items.filter((n) => n.metadata.labels[ZONE_LABEL] === lostZone);
    for (const node of removedNodes) await kubeCall(plane.endpoint, "DELETE", `/api/v1/nodes/${node.metadata.name}`);
    await forceDelete(lostPod);
    await waitUntil(`${lostPod} recreated`, 60_000, async () => (await placement()).pending.includes(lostPod));
    // Long enough for the scheduler to have tried (and its backoff retried) a placement.
    await sleep(15_000);
    const { perZone, pending } = await placement();
    assert.deepEqual(pending, [lostPod], `why ${lostPod} is pending: ${await whyPending(lostPod)}`);
    assert.deepEqual([...perZone.values()].map((p) => p.length), [MOST_PER_ZONE, MOST_PER_ZONE]);
  });

  it("reschedules a master of a surviving zone whose pod goes, so 4 masters keep running", async () => {
    const { perZone } = await placement();
    const [zone, [victim]] = [...perZone][0];
    await forceDelete(victim);
    await waitUntil(`${victim} recreated`, 60_000, async () => (await pods()).some((p) => p.metadata.name === victim && p.metadata.deletionTimestamp === undefined));
    await waitUntil(`${victim} running again`, 60_000, async () => !(await placement()).pending.includes(victim)).catch(async (error: Error) => {
      assert.fail(`${error.message}\nwhy ${victim} is pending: ${await whyPending(victim)}`);
    });
    const after = await placement();
    assert.ok(after.perZone.get(zone)!.includes(victim), `${victim} left ${zone}: ${JSON.stringify(await placementText())}`);
    assert.deepEqual(after.pending, [lostPod]);
  });

  it("places the Pending master in its zone once the zone's nodes are back (2/2/1 again)", async () => {
    for (const node of removedNodes) {
      const { metadata, spec } = node;
      const answer = await kubeRequest(plane.endpoint, "POST", "/api/v1/nodes", { apiVersion: "v1", kind: "Node", metadata: { name: metadata.name, annotations: metadata.annotations, labels: metadata.labels }, spec: { ...spec, taints: undefined } });
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
    }
    // kwok marks the nodes Ready; the apiserver's not-ready taint must go, as the control plane does at its start.
    await waitUntil("the zone's nodes Ready", 60_000, async () => {
      const nodes = await kubeCall<{ items: Obj[] }>(plane.endpoint, "GET", "/api/v1/nodes");
      const back = nodes.items.filter((n) => n.metadata.labels[ZONE_LABEL] === lostZone);
      for (const n of back.filter((n) => (n.spec.taints ?? []).length > 0)) {
        await kubeCall(plane.endpoint, "PATCH", `/api/v1/nodes/${n.metadata.name}`, { spec: { taints: null } }, "application/merge-patch+json");
      }
      return back.length === removedNodes.length && back.every((n) => n.status?.conditions?.some((c: Obj) => c.type === "Ready" && c.status === "True"));
    });
    await waitUntil(`${lostPod} running in ${lostZone}`, 120_000, async () => (await placement()).perZone.get(lostZone)?.includes(lostPod) ?? false);
    assert.deepEqual([...(await placement()).perZone.values()].map((p) => p.length).sort(), [1, 2, 2]);
  });
});

/**
 * A Kubernetes stack of this project run by the real Pulumi engine against the loopback control plane: starts the
 * control plane (zones from the stack file), gives it storage, the Prometheus Operator's CRDs and the monitoring
 * namespace (as a real cluster would have them), and a Pulumi workspace with the locally built Kubernetes provider installed and
 * KUBECONFIG pointing at the control plane. `stop()` ends both, also after a failure.
 */
import * as path from "node:path";
import { kubeCall } from "../kube/api";
import { ControlPlane, startControlPlane } from "../kube/controlPlane";
import { provideStorage } from "../kube/storage";
import { readStackConfig } from "../stackFiles";
import { createWorkspace, engineBinDir, engineVersions, PulumiWorkspace } from "./pulumi";

export interface EngineStack {
  stack: string;
  plane: ControlPlane;
  workspace: PulumiWorkspace;
  /** Environment for every pulumi command (KUBECONFIG of the control plane). */
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

/** A CRD that accepts any spec, so the program's PodMonitor and PrometheusRule can be applied (nothing acts on them). */
function openCrd(group: string, kind: string, plural: string) {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope: "Namespaced",
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } }],
    },
  };
}

/** Starts a control plane shaped for `stack` and a workspace with the stack initialised. */
export async function startEngineStack(stack: string, log: (line: string) => void = (line) => console.error(line)): Promise<EngineStack> {
  const config = readStackConfig(stack).config;
  const zones = JSON.parse(config["seaweed-infra:availabilityZones"] ?? "[]") as string[];
  const masters = Number(config["seaweed-infra:masterCount"] ?? 3);
  const plane = await startControlPlane({ binDir: engineBinDir(), zones, log });
  let workspace: PulumiWorkspace | undefined;
  try {
    // One volume per master, in the stack's own class (or as the default class), as a provisioner would make them.
    await provideStorage(plane.endpoint, { className: config["seaweed-infra:k8sStorageClassName"] || "standard", volumes: masters, size: "100Gi" });
    for (const [kind, plural] of [["PodMonitor", "podmonitors"], ["PrometheusRule", "prometheusrules"]]) {
      await kubeCall(plane.endpoint, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", openCrd("monitoring.coreos.com", kind, plural));
    }
    // The monitoring stack's namespace (a prerequisite the stack does not create: Grafana's dashboard ConfigMap goes there).
    const monitoring = config["seaweed-infra:k8sDashboardNamespace"] || config["seaweed-infra:k8sMonitoringNamespace"] || "monitoring";
    await kubeCall(plane.endpoint, "POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: monitoring } });
    const versions = engineVersions();
    workspace = createWorkspace({ plugins: [["kubernetes", versions.PULUMI_KUBERNETES_VERSION, path.join(engineBinDir(), "pulumi-resource-kubernetes")]] });
    const env = { KUBECONFIG: plane.kubeconfig };
    await workspace.ok(["stack", "init", stack], { env });
    const ws = workspace;
    return {
      stack,
      plane,
      workspace: ws,
      env,
      stop: async () => {
        ws.remove();
        await plane.stop();
      },
    };
  } catch (error) {
    workspace?.remove();
    await plane.stop();
    throw error;
  }
}

/** One step of `pulumi preview --json`. */
export interface PreviewStep {
  op: string;
  urn: string;
  type: string;
}

/** A `pulumi preview --json` answer's count of resources per operation, e.g. `{ same: 11 }`. */
export function previewSummary(stdout: string): Record<string, number> {
  return (JSON.parse(stdout) as { changeSummary?: Record<string, number> }).changeSummary ?? {};
}

/** The resource steps of a `pulumi preview --json` answer (the stack itself and reads left out). */
export function previewSteps(stdout: string): PreviewStep[] {
  const parsed = JSON.parse(stdout) as { steps?: { op: string; urn: string; newState?: { type: string }; oldState?: { type: string } }[] };
  return (parsed.steps ?? [])
    .map((s) => ({ op: s.op, urn: s.urn, type: s.newState?.type ?? s.oldState?.type ?? "" }))
    .filter((s) => s.type !== "pulumi:pulumi:Stack" && s.op !== "read");
}

/** The name part of a URN; the stack's own URN (or none, for a stack policy) reads as "stack". */
export function urnName(urn: string): string {
  return urn === "" || /::pulumi:pulumi:Stack::/.test(urn) ? "stack" : urn.slice(urn.lastIndexOf("::") + 2);
}

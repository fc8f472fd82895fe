/**
 * Where the scheduler may put a master: only nodes of the configured zones, one master per node, and never more
 * than N - quorum masters in a zone (the zone-loss table), also while a zone's nodes are gone; plus the operator's
 * priority class, node selector and tolerations.
 */
import type { KubernetesConfig } from "../config";
import { TOLERATION } from "../config/keys-kubernetes-operations";
import type { Manifest } from "./manifests";
import { labelMap } from "./labels";
import { HOSTNAME_LABEL, masterNames, ZONE_LABEL } from "./names";

/**
 * The zone spreads. Kubernetes allows one hard spread per topology key, so the cap and the balance are two kinds:
 *
 * 1. cap (hard, DoNotSchedule): maxSkew = the most masters the zone-loss table puts in one zone (N - quorum, e.g. 2
 *    of 5; more only with allowQuorumLossOnAzFailure), minDomains = the number of zones. While fewer zones than that
 *    have nodes, the scheduler counts the global minimum as 0, so every zone is capped at exactly that many: the
 *    masters of a zone whose nodes are gone (a zone outage, node auto-repair, a node group at 0) stay Pending
 *    instead of crowding a surviving zone, while a master of a surviving zone can still be rescheduled into it. With
 *    every zone up the cap is the emptiest zone's count plus maxSkew.
 * 2. balance (soft, ScheduleAnyway): maxSkew 1, so with every zone up the scheduler places the masters as evenly as
 *    it can (5 over 3: 2/2/1).
 *
 * The tier's first form, one hard spread with maxSkew 1 and minDomains, capped every zone at one master while a
 * zone's nodes were gone: on 5 over 3 zones a rescheduled master of a surviving zone then stayed Pending (4 -> 3
 * running; one more failure lost quorum). Reproduced on the kwok control plane (tests/engine/kubernetes-zone-outage.test.ts).
 * The price: with every zone up, only the soft spread keeps 5 masters at 2/2/1 rather than 3/1/1 (which the hard one
 * allows) when the other zones have no room; docs/kubernetes.md says how to see and fix it.
 */
export function zoneSpread(config: Pick<KubernetesConfig, "availabilityZones" | "topology" | "clusterName" | "k8sNamespace">): Manifest[] {
  const spread = { topologyKey: ZONE_LABEL, labelSelector: { matchLabels: masterNames(config).selector } };
  return [
    { maxSkew: mostPerZone(config), minDomains: config.availabilityZones.length, whenUnsatisfiable: "DoNotSchedule", ...spread },
    { maxSkew: 1, whenUnsatisfiable: "ScheduleAnyway", ...spread },
  ];
}

/** The most masters the planned topology puts in one zone (at least 1: maxSkew must be positive). */
export function mostPerZone(config: Pick<KubernetesConfig, "topology">): number {
  const perZone = new Map<string, number>();
  for (const slot of config.topology.slots) perZone.set(slot.az, (perZone.get(slot.az) ?? 0) + 1);
  return Math.max(1, ...perZone.values());
}

/** `key=value:Effect` / `key:Effect` (k8sTolerations) as a toleration. */
export function toleration(term: string): Manifest {
  const { key, value, effect } = TOLERATION.exec(term)!.groups!;
  return value === undefined ? { key, operator: "Exists", effect } : { key, operator: "Equal", value, effect };
}

/** The scheduling fields of the master pod spec. */
export function masterScheduling(config: KubernetesConfig): Manifest {
  const names = masterNames(config);
  return {
    ...(config.k8sPriorityClassName ? { priorityClassName: config.k8sPriorityClassName } : {}),
    ...(config.k8sNodeSelector.length > 0 ? { nodeSelector: labelMap(config.k8sNodeSelector) } : {}),
    ...(config.k8sTolerations.length > 0 ? { tolerations: config.k8sTolerations.map(toleration) } : {}),
    affinity: {
      // Only the configured zones: the spreads then count exactly the zones of the zone-loss table.
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE_LABEL, operator: "In", values: [...config.availabilityZones] }] }],
        },
      },
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: HOSTNAME_LABEL, labelSelector: { matchLabels: names.selector } }],
      },
    },
    topologySpreadConstraints: zoneSpread(config),
  };
}

/**
 * A Kubernetes master's raft identity is its pod's DNS name, built from clusterName, k8sNamespace and
 * k8sClusterDomain. Changing any of them on a deployed stack would start masters with new identities on new, empty
 * volumes: a second cluster with a new TopologyId beside the old volume servers. Refused against the `slots`
 * output of the last deployment, like a moved slot on AWS.
 */
import type { ConfigIssue } from "../config/spec";
import { podHost, podName } from "./names";

/** A slot as the last deployment exported it (`slots` output of a Kubernetes stack). */
export interface DeployedPodSlot {
  slot: number;
  host?: string;
}

interface IdentityKeys {
  clusterName: string;
  k8sNamespace: string;
  k8sClusterDomain: string;
}

/** Issues naming each identity key whose change would rename a deployed master. */
export function renamedIdentities(config: IdentityKeys, previous: readonly DeployedPodSlot[]): ConfigIssue[] {
  const renamed = previous.filter((p) => typeof p.host === "string" && p.host !== podHost(config, podName(config, p.slot)));
  if (renamed.length === 0) return [];
  const [pod, , namespace] = renamed[0].host!.split(".");
  const domain = renamed[0].host!.slice(renamed[0].host!.indexOf(".svc.") + ".svc.".length);
  const deployed: [keyof IdentityKeys, string][] = [
    ["clusterName", pod === podName(config, renamed[0].slot) ? config.clusterName : pod.replace(/-master-\d+$/, "")],
    ["k8sNamespace", namespace],
    ["k8sClusterDomain", domain],
  ];
  const example = `slot ${renamed[0].slot} from ${renamed[0].host} to ${podHost(config, podName(config, renamed[0].slot))}`;
  return deployed
    .filter(([key, value]) => config[key] !== value)
    .map(([key, value]) => ({
      key,
      value: config[key],
      message: `renames the deployed masters' raft identities (${example}): they would start empty, as a new cluster beside the old one's volume servers`,
      fix: `keep ${key}: ${value}; to move a cluster, back it up and restore it into the new one`,
    }));
}

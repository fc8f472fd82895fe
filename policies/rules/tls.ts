/**
 * Transport security of the master tier: where required (staging and prod), every master's security settings give
 * its gRPC port mutual TLS. That one port carries raft between masters and the volume servers' heartbeats (and the
 * filers' and shells' calls), so a master whose [grpc.master] section lacks a certificate, or whose [grpc] section
 * lacks a CA, leaves both channels in plain text; infra/seaweed/tls.ts says which settings do (masterTlsProblems).
 * Read on AWS from the security.toml each boot script writes, on Kubernetes from the ConfigMap the master pods mount
 * and the `WEED_*` variables of their container.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { masterTlsProblems } from "../../infra/seaweed/tls";
import { SECURITY_TOML_HEREDOC } from "../../infra/aws/naming";
import { asArray, asRecord, ofType, userDataText } from "./graph";
import { masterLaunchConfigs } from "./masters";
import { masterSets } from "./kubernetes";

/** The security.toml a boot script writes (the heredoc around it), or "" when it writes none. */
export function bootSecurityToml(userData: string): string {
  const start = userData.indexOf(`<<'${SECURITY_TOML_HEREDOC}'\n`);
  if (start < 0) return "";
  const body = userData.slice(start + SECURITY_TOML_HEREDOC.length + 5);
  return body.slice(0, body.indexOf(`\n${SECURITY_TOML_HEREDOC}\n`));
}

/** The security.toml of a master pod: the `security.toml` key of the ConfigMap one of its volumes mounts. */
function podSecurityToml(resources: readonly PolicyResource[], pod: Record<string, unknown>, namespace: string): string {
  const mapNames = asArray(pod.volumes).map((v) => asRecord(asRecord(v).configMap).name).filter((n): n is string => typeof n === "string");
  const maps = ofType(resources, "kubernetes:core/v1:ConfigMap").filter((m) => {
    const metadata = asRecord(m.props.metadata);
    return mapNames.includes(String(metadata.name)) && String(metadata.namespace ?? "default") === namespace;
  });
  return maps.map((m) => asRecord(m.props.data)["security.toml"]).find((t): t is string => typeof t === "string") ?? "";
}

export const tlsRequired: StackValidationPolicy = {
  name: "seaweedfs-tls-required",
  description:
    "When required (staging and prod), every master runs mutual TLS on its gRPC port, which carries raft between masters and the volume servers' heartbeats: [grpc] ca, [grpc.master] cert, key and allowed_commonNames, and both TLS version bounds or neither (SeaweedFS 4.44 silently serves gRPC in plain text otherwise).",
  severity: "critical",
  configSchema: { properties: { required: { type: "boolean", default: false } } },
  validateStack: (args, report) => {
    const { required } = args.getConfig<{ required: boolean }>();
    if (!required) args.notApplicable("TLS is not required by this config");
    const hosts = masterLaunchConfigs(args.resources);
    const sets = masterSets(args.resources);
    if (hosts.length === 0 && sets.length === 0) args.notApplicable("no SeaweedFS masters");
    for (const { resource } of hosts) {
      for (const problem of masterTlsProblems(bootSecurityToml(userDataText(resource)))) report(`${resource.name}: ${problem}`, resource.urn);
    }
    for (const set of sets) {
      const environment = Object.fromEntries(asArray(set.container.env).map(asRecord).filter((e) => typeof e.value === "string").map((e) => [String(e.name), String(e.value)]));
      for (const problem of masterTlsProblems(podSecurityToml(args.resources, set.pod, set.namespace), environment)) report(`StatefulSet ${set.name}: ${problem}`, set.resource.urn);
    }
  },
};

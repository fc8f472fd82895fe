/**
 * Security invariants of the master hosts: encrypted disks, IMDSv2, no public addresses, master ports closed to the
 * world, instance-role attach rights scoped to the slot's resources, and no secret in a boot script.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { DEFAULT_HTTP_PORT, DEFAULT_METRICS_PORT, GRPC_PORT_OFFSET, JWT_SIGNING_KEY_ENV } from "../../infra/seaweed/constants";
import { actionMatches, asArray, asRecord, flag, numberOf, policyDocument, Props, TYPES, userDataText } from "./graph";

export const encryptedVolumes: ResourceValidationPolicy = {
  name: "seaweedfs-encrypted-volumes",
  description: "Every EBS volume, launch-template block device and instance disk is encrypted (optionally with a customer KMS key).",
  severity: "high",
  configSchema: { properties: { requireKmsKey: { type: "boolean", default: false } } },
  validateResource: (args, report) => {
    const { requireKmsKey } = args.getConfig<{ requireKmsKey: boolean }>();
    const check = (what: string, disk: Props) => {
      if (flag(disk.encrypted) !== true) report(`${what} is not encrypted; set encrypted: true`);
      else if (requireKmsKey && !disk.kmsKeyId) report(`${what} is encrypted without a customer KMS key (kmsKeyId)`);
    };
    if (args.type === TYPES.volume) check("the volume", args.props);
    else if (args.type === TYPES.launchTemplate) {
      asArray(args.props.blockDeviceMappings).forEach((m, i) => check(`block device ${String(asRecord(m).deviceName ?? i)}`, asRecord(asRecord(m).ebs)));
    } else if (args.type === TYPES.instance) {
      check("the root device", asRecord(args.props.rootBlockDevice));
      asArray(args.props.ebsBlockDevices).forEach((d, i) => check(`EBS device ${String(asRecord(d).deviceName ?? i)}`, asRecord(d)));
    } else args.notApplicable("not a volume, launch template or instance");
  },
};

export const imdsV2Required: ResourceValidationPolicy = {
  name: "seaweedfs-imdsv2-required",
  description: "Instances require IMDSv2 session tokens, with a hop limit no larger than maxHopLimit (containers cannot reach the instance role).",
  severity: "high",
  configSchema: { properties: { maxHopLimit: { type: "integer", minimum: 1, default: 1 } } },
  validateResource: (args, report) => {
    if (args.type !== TYPES.launchTemplate && args.type !== TYPES.instance) args.notApplicable("not a launch template or instance");
    const { maxHopLimit } = args.getConfig<{ maxHopLimit: number }>();
    const metadata = asRecord(args.props.metadataOptions);
    if (metadata.httpTokens !== "required") report(`metadataOptions.httpTokens is ${String(metadata.httpTokens ?? "unset")}; set it to "required" (IMDSv2)`);
    const hops = numberOf(metadata.httpPutResponseHopLimit);
    if (hops !== undefined && hops > maxHopLimit) report(`metadataOptions.httpPutResponseHopLimit is ${hops}, more than ${maxHopLimit}`);
  },
};

export const noPublicIp: ResourceValidationPolicy = {
  name: "seaweedfs-no-public-ip",
  description: "No master instance, network interface or subnet hands out a public IP address.",
  severity: "critical",
  validateResource: (args, report) => {
    if (args.type === TYPES.launchTemplate) {
      asArray(args.props.networkInterfaces).forEach((n, i) => {
        if (flag(asRecord(n).associatePublicIpAddress) === true) report(`network interface ${i} associates a public IP address`);
      });
    } else if (args.type === TYPES.instance) {
      if (flag(args.props.associatePublicIpAddress) === true) report("the instance associates a public IP address");
    } else if (args.type === TYPES.subnet) {
      if (flag(args.props.mapPublicIpOnLaunch) === true) report("the subnet maps public IPs on launch");
    } else if (args.type === TYPES.eip) {
      if (args.props.networkInterface || args.props.instance) report("an Elastic IP is attached to a master instance or interface");
    } else args.notApplicable("not an instance, launch template, subnet or Elastic IP");
  },
};

interface IngressRule {
  from: number;
  to: number;
  protocol: string;
  cidrs: string[];
}

const WORLD = ["0.0.0.0/0", "::/0"];

function ingressRules(type: string, props: Props): IngressRule[] {
  const rule = (r: Props): IngressRule => ({
    from: numberOf(r.fromPort) ?? 0,
    to: numberOf(r.toPort) ?? 65535,
    protocol: String(r.protocol ?? r.ipProtocol ?? "-1"),
    cidrs: [...asArray(r.cidrBlocks), ...asArray(r.ipv6CidrBlocks), ...asArray(r.cidrIpv4), ...asArray(r.cidrIpv6)].map(String),
  });
  if (type === TYPES.securityGroup) return asArray(props.ingress).map((r) => rule(asRecord(r)));
  if (type === TYPES.securityGroupRule) return props.type === "ingress" ? [rule(props)] : [];
  if (type === TYPES.ingressRule) return [rule(props)];
  return [];
}

export const noWorldIngress: ResourceValidationPolicy = {
  name: "seaweedfs-no-world-ingress",
  description: "No security group opens a master port (HTTP, gRPC, metrics) to 0.0.0.0/0 or ::/0.",
  severity: "critical",
  configSchema: {
    properties: {
      masterPorts: { type: "array", items: { type: "integer" }, default: [DEFAULT_HTTP_PORT, DEFAULT_HTTP_PORT + GRPC_PORT_OFFSET, DEFAULT_METRICS_PORT] },
    },
  },
  validateResource: (args, report) => {
    if (![TYPES.securityGroup, TYPES.securityGroupRule, TYPES.ingressRule].includes(args.type as never)) args.notApplicable("not a security group rule");
    const { masterPorts } = args.getConfig<{ masterPorts: number[] }>();
    for (const r of ingressRules(args.type, args.props)) {
      const all = r.protocol === "-1" || r.protocol.toLowerCase() === "all";
      const exposed = masterPorts.filter((p) => all || (p >= r.from && p <= r.to));
      const world = r.cidrs.filter((c) => WORLD.includes(c));
      if (exposed.length > 0 && world.length > 0) report(`ingress from ${world.join(", ")} reaches master port(s) ${exposed.join(", ")}`);
    }
  },
};

function documentsOf(type: string, props: Props): unknown[] {
  if (type === TYPES.rolePolicy || type === TYPES.iamPolicy) return [props.policy];
  if (type === TYPES.role) return asArray(props.inlinePolicies).map((p) => asRecord(p).policy);
  return [];
}

export const attachActionsScoped: ResourceValidationPolicy = {
  name: "seaweedfs-iam-attach-scoped",
  description: "IAM statements that allow attaching volumes or network interfaces never apply to Resource \"*\", and wildcard ARNs need a tag condition.",
  severity: "high",
  configSchema: {
    properties: {
      attachActions: { type: "array", items: { type: "string" }, default: ["ec2:AttachVolume", "ec2:AttachNetworkInterface"] },
    },
  },
  validateResource: (args, report) => {
    if (![TYPES.rolePolicy, TYPES.iamPolicy, TYPES.role].includes(args.type as never)) args.notApplicable("not an IAM policy");
    const { attachActions } = args.getConfig<{ attachActions: string[] }>();
    for (const document of documentsOf(args.type, args.props).map(policyDocument)) {
      for (const statement of asArray(document?.Statement).map(asRecord)) {
        if (statement.Effect !== "Allow") continue;
        const granted = attachActions.filter((a) => asArray(statement.Action).some((p) => actionMatches(String(p), a)));
        if (granted.length === 0) continue;
        const resources = asArray(statement.Resource).map(String);
        if (resources.includes("*")) report(`${granted.join(", ")} allowed on Resource "*"; scope it to the slot's volume and interface ARNs`);
        else if (resources.some((r) => r.includes("*")) && !statement.Condition) {
          report(`${granted.join(", ")} allowed on wildcard ARNs (${resources.join(", ")}) without a tag condition`);
        }
      }
    }
  },
};

/** Patterns of secrets that must never be in a boot script (its text is readable by anyone with ec2:Describe*). */
export const SECRET_PATTERNS: { name: string; pattern: RegExp }[] = [
  { name: "a JWT", pattern: /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/ },
  { name: `a literal ${JWT_SIGNING_KEY_ENV}`, pattern: new RegExp(`${JWT_SIGNING_KEY_ENV}=(["']?)(?![\\s"'$%])[^\\s"']+`) },
  { name: "an AWS access key id", pattern: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { name: "an AWS secret access key", pattern: /aws_secret_access_key\s*[=:]\s*["']?[A-Za-z0-9/+]{40}/i },
  { name: "a PEM private key (TLS keys are read from SSM at boot)", pattern: /-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----/ },
];

export const noSecretsInUserData: ResourceValidationPolicy = {
  name: "seaweedfs-no-secrets-in-user-data",
  description: `Boot scripts carry no plaintext secret: no JWT, no literal ${JWT_SIGNING_KEY_ENV} value, no AWS keys, no PEM private key (keys are read from SSM at boot).`,
  severity: "critical",
  configSchema: { properties: { extraPatterns: { type: "array", items: { type: "string" }, default: [] } } },
  validateResource: (args, report) => {
    if (args.type !== TYPES.launchTemplate && args.type !== TYPES.instance) args.notApplicable("not a launch template or instance");
    const { extraPatterns } = args.getConfig<{ extraPatterns: string[] }>();
    const text = userDataText(args);
    const patterns = [...SECRET_PATTERNS, ...extraPatterns.map((p) => ({ name: `a match of ${p}`, pattern: new RegExp(p) }))];
    for (const { name, pattern } of patterns) if (pattern.test(text)) report(`user data contains ${name}`);
  },
};

/**
 * A VPC the stack creates for its masters has no internet route (infra/aws/network.ts): every AWS API the boot and
 * the agents call must have an endpoint in it, or the call times out. Without `autoscaling`, a boot that gives up
 * could never ask its group for a replacement (issue #25).
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { GATEWAY_ENDPOINT, INTERFACE_ENDPOINTS } from "../../infra/aws/endpoints";
import { flag, ofType } from "./graph";

const VPC = "aws:ec2/vpc:Vpc";
const VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint";
const NAT_GATEWAY = "aws:ec2/natGateway:NatGateway";

/** The endpoint service of `com.amazonaws.<region>.<service>`. */
function serviceOf(endpoint: PolicyResource): string {
  return String(endpoint.props.serviceName ?? "").replace(/^com\.amazonaws\.[a-z0-9-]+\./, "");
}

/** The endpoints in `vpc`: linked through `vpcId`, or naming its id. */
function endpointsOf(vpc: PolicyResource, endpoints: readonly PolicyResource[]): PolicyResource[] {
  return endpoints.filter((e) => (e.propertyDependencies.vpcId ?? []).includes(vpc) || (vpc.props.id !== undefined && e.props.vpcId === vpc.props.id));
}

export const vpcEndpoints: StackValidationPolicy = {
  name: "seaweedfs-vpc-endpoints",
  description:
    `A VPC the stack creates without a NAT gateway has a ${GATEWAY_ENDPOINT} gateway endpoint and an interface endpoint with ` +
    "private DNS for every service the masters call (`services`), Auto Scaling included: a boot that gives up must reach it.",
  severity: "high",
  configSchema: { properties: { services: { type: "array", items: { type: "string" }, default: [...INTERFACE_ENDPOINTS] } } },
  validateStack: (args, report) => {
    const vpcs = ofType(args.resources, VPC);
    if (vpcs.length === 0) args.notApplicable("the stack creates no VPC");
    if (ofType(args.resources, NAT_GATEWAY).length > 0) args.notApplicable("the stack has a NAT gateway: AWS APIs are reachable without endpoints");
    const { services } = args.getConfig<{ services: string[] }>();
    for (const vpc of vpcs) {
      const endpoints = endpointsOf(vpc, ofType(args.resources, VPC_ENDPOINT));
      const gateway = endpoints.some((e) => serviceOf(e) === GATEWAY_ENDPOINT && e.props.vpcEndpointType === "Gateway");
      if (!gateway) report(`VPC ${vpc.name} has no ${GATEWAY_ENDPOINT} gateway endpoint: the weed artifact, backups and packages cannot be fetched`, vpc.urn);
      for (const service of services) {
        const found = endpoints.filter((e) => serviceOf(e) === service && e.props.vpcEndpointType === "Interface");
        if (found.length === 0) report(`VPC ${vpc.name} has no ${service} interface endpoint: masters there cannot reach it (no internet route)`, vpc.urn);
        else if (!found.some((e) => flag(e.props.privateDnsEnabled) === true)) report(`the ${service} endpoint of VPC ${vpc.name} has private DNS off: the AWS CLI's default ${service} host would not resolve to it`, vpc.urn);
      }
    }
  },
};

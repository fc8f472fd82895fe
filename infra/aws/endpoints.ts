/**
 * The AWS APIs a master reaches in a subnet without internet egress, as VPC endpoint services. A VPC the stack
 * creates gets exactly these (infra/aws/network.ts); the policy pack requires them of such a VPC
 * (policies/rules/network.ts); tests/unit/aws-endpoints.test.ts checks every AWS CLI call of the boot script, its
 * steps and the agents' scripts against them. Pure data, so the policy pack can import it without @pulumi/aws.
 */

/**
 * Interface endpoints (private DNS on): EC2 (attaching the slot's identity), SSM (the JWT key, agent configs, boot
 * steps) and the SSM agent's message channels (Run Command, Session Manager), Auto Scaling (a boot that gives up
 * marks its instance unhealthy), CloudWatch metrics (`monitoring`) and logs (the agents).
 */
export const INTERFACE_ENDPOINTS = ["ec2", "ssm", "ssmmessages", "ec2messages", "autoscaling", "monitoring", "logs"] as const;

/** The gateway endpoint: S3 (the weed artifact, backups, the Amazon Linux package repositories). */
export const GATEWAY_ENDPOINT = "s3";

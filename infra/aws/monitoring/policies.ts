/**
 * IAM and KMS policy documents of the monitoring pieces, each granting only what its user needs: the agent writes
 * metrics into one namespace, streams into its two log groups and reads its own SSM parameters; CloudWatch may use
 * the alarm topic's key to publish encrypted notifications.
 */
import * as pulumi from "@pulumi/pulumi";
import { METRIC_NAMESPACE } from "./metrics";

/** The CloudWatch agent's permissions on a master's instance role. */
export function agentPolicyDocument(input: { logGroupArns: pulumi.Input<string>[]; parameterArns: pulumi.Input<string>[] }): pulumi.Output<string> {
  return pulumi.jsonStringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "PublishHostMetrics",
        Effect: "Allow",
        Action: "cloudwatch:PutMetricData",
        // PutMetricData has no resource-level permissions; the namespace condition is what scopes it.
        Resource: "*",
        Condition: { StringEquals: { "cloudwatch:namespace": METRIC_NAMESPACE } },
      },
      {
        Sid: "ShipJournalAndPrometheusEvents",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
        Resource: input.logGroupArns.flatMap((arn) => [arn, pulumi.interpolate`${arn}:log-stream:*`]),
      },
      {
        Sid: "ReadAgentConfig",
        Effect: "Allow",
        Action: "ssm:GetParameter",
        Resource: input.parameterArns,
      },
    ],
  });
}

/** Key policy of the alarm topic's KMS key: the account administers it, CloudWatch alarms may encrypt with it. */
export function alarmTopicKeyPolicy(accountId: pulumi.Input<string>, partition: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.jsonStringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AccountAdministers",
        Effect: "Allow",
        Principal: { AWS: pulumi.interpolate`arn:${partition}:iam::${accountId}:root` },
        Action: "kms:*",
        Resource: "*",
      },
      {
        Sid: "CloudWatchAlarmsPublish",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Resource: "*",
        Condition: { StringEquals: { "aws:SourceAccount": accountId } },
      },
    ],
  });
}

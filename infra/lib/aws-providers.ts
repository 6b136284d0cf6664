/**
 * The AWS providers the stack declares itself: one for the stack's region and
 * one for us-east-1, where Route 53 publishes health-check metrics (an alarm,
 * and the topic it notifies, must live there). In us-east-1 they are one.
 * Credentials are never config: the providers use the ambient AWS chain.
 */
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { ROUTE53_METRICS_REGION } from "../alerts/plan";
import { partitionForRegion } from "./aws-iam";

export interface AwsProviders {
  regional: aws.Provider;
  usEast1: aws.Provider;
  accountId: pulumi.Output<string>;
  partition: string;
  region: string;
}

export function awsProviders(region: string): AwsProviders {
  const regional = new aws.Provider(`aws-${region}`, { region });
  const usEast1 =
    region === ROUTE53_METRICS_REGION
      ? regional
      : new aws.Provider(`aws-${ROUTE53_METRICS_REGION}`, { region: ROUTE53_METRICS_REGION });
  const accountId = aws.getCallerIdentityOutput({}, { provider: regional }).accountId;
  return { regional, usEast1, accountId, partition: partitionForRegion(region), region };
}

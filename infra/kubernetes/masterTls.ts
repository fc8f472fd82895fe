/**
 * The Kubernetes tier's TLS objects (./tls.ts renders their shapes): with the program's own CA (infra/tls), one
 * `kubernetes.io/tls` Secret per master pod and per client role, the private key reaching nothing but the Secret
 * (and Pulumi's state, as a secret); with `k8sCertManagerIssuer`, cert-manager `Certificate`s that write the same
 * Secrets. The masters' StatefulSet waits for them and, with the program's CA, rolls its pods (one at a time, each
 * gated by readiness) when a master certificate or the CA bundle changes, through a pod-template annotation.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { KubernetesConfig } from "../config";
import { StackCertificates } from "../tls/stackCertificates";
import { masterNames } from "./names";
import { certManagerCertificate, TLS_SECRET_KEYS, tlsIdentitiesOf } from "./tls";

/** The pod-template annotation whose change rolls the masters onto new certificates. */
export const TLS_FINGERPRINT_ANNOTATION = "seaweedfs.io/tls-fingerprint";

export interface MasterTlsObjectsArgs {
  config: KubernetesConfig;
  /** Options of the namespaced objects (parent, protect, the namespace dependency). */
  objectOptions: pulumi.CustomResourceOptions;
}

export class MasterTlsObjects extends pulumi.ComponentResource {
  static readonly __pulumiType = "seaweed:kubernetes:MasterTls";
  /** What the StatefulSet waits for: the Secrets, or the Certificates that write them. */
  readonly objects: pulumi.Resource[] = [];
  /** Changes whenever a master certificate or the CA bundle does; absent with cert-manager (it renews in place). */
  readonly fingerprint?: pulumi.Output<string>;
  /** With the program's CA: the CA bundle clients trust. */
  readonly caBundle?: pulumi.Output<string>;

  constructor(name: string, args: MasterTlsObjectsArgs, opts?: pulumi.ComponentResourceOptions) {
    super(MasterTlsObjects.__pulumiType, name, {}, opts);
    const { config, objectOptions } = args;
    const names = masterNames(config);
    const identities = tlsIdentitiesOf(config);
    const child = { ...objectOptions, parent: this };
    if (config.k8sCertManagerIssuer) {
      for (const identity of identities) {
        this.objects.push(new k8s.apiextensions.CustomResource(`${name}-${identity.id}`, certManagerCertificate(config, identity) as unknown as k8s.apiextensions.CustomResourceArgs, child));
      }
      this.registerOutputs({});
      return;
    }
    const pki = new StackCertificates(`${name}-pki`, { settings: config, identities, protect: config.environment === "prod" }, { parent: this });
    this.caBundle = pki.caBundle;
    for (const identity of identities) {
      const cert = pki.certificates[identity.id];
      this.objects.push(
        new k8s.core.v1.Secret(
          `${name}-${identity.id}`,
          {
            metadata: { name: identity.secretName, namespace: names.namespace, labels: names.labels },
            type: "kubernetes.io/tls",
            stringData: { [TLS_SECRET_KEYS.cert]: cert.certPem, [TLS_SECRET_KEYS.key]: pulumi.secret(cert.keyPem), [TLS_SECRET_KEYS.ca]: pki.caBundle },
          },
          child,
        ),
      );
    }
    const masters = identities.filter((i) => i.role === "master").map((i) => pki.certificates[i.id].fingerprint);
    this.fingerprint = pulumi.all([pki.caBundle, ...masters]).apply((parts) => {
      const { createHash } = require("node:crypto") as typeof import("node:crypto");
      return createHash("sha256").update(parts.join("\n")).digest("hex").slice(0, 32);
    });
    this.registerOutputs({ caBundle: this.caBundle });
  }
}

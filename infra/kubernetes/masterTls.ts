/**
 * The Kubernetes tier's TLS objects (./tls.ts renders their shapes): with the program's own CA (infra/tls), one
 * `kubernetes.io/tls` Secret per master pod and per client role, the private key reaching nothing but the Secret
 * (and Pulumi's state, as a secret); with `k8sCertManagerIssuer`, cert-manager `Certificate`s that write the same
 * Secrets. The masters' StatefulSet waits for them; a renewed or rotated Secret reaches the running pods in place
 * (projected volume, re-read by weed every tlsReloadSeconds), so no pod restarts. With the Prometheus Operator, a
 * PrometheusRule alerts before a master certificate expires (./tls.ts tlsExpiryRule).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { KubernetesConfig } from "../config";
import { StackCertificates } from "../tls/stackCertificates";
import { masterNames } from "./names";
import { certManagerCertificate, TLS_SECRET_KEYS, tlsExpiryRule, tlsIdentitiesOf } from "./tls";

export interface MasterTlsObjectsArgs {
  config: KubernetesConfig;
  /** Options of the namespaced objects (parent, protect, the namespace dependency). */
  objectOptions: pulumi.CustomResourceOptions;
}

export class MasterTlsObjects extends pulumi.ComponentResource {
  static readonly __pulumiType = "seaweed:kubernetes:MasterTls";
  /** What the StatefulSet waits for: the Secrets, or the Certificates that write them. */
  readonly objects: pulumi.Resource[] = [];
  /** With the program's CA: the CA bundle clients trust. */
  readonly caBundle?: pulumi.Output<string>;

  constructor(name: string, args: MasterTlsObjectsArgs, opts?: pulumi.ComponentResourceOptions) {
    super(MasterTlsObjects.__pulumiType, name, {}, opts);
    const { config, objectOptions } = args;
    const names = masterNames(config);
    const identities = tlsIdentitiesOf(config);
    const child = { ...objectOptions, parent: this };
    const expiryRule = (manifest: Record<string, unknown>) => {
      if (config.k8sPrometheusOperator) new k8s.apiextensions.CustomResource(`${name}-expiry`, manifest as unknown as k8s.apiextensions.CustomResourceArgs, child);
    };
    if (config.k8sCertManagerIssuer) {
      for (const identity of identities) {
        this.objects.push(new k8s.apiextensions.CustomResource(`${name}-${identity.id}`, certManagerCertificate(config, identity) as unknown as k8s.apiextensions.CustomResourceArgs, child));
      }
      expiryRule(tlsExpiryRule(config));
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
    const notAfters = identities.filter((i) => i.role === "master").map((i) => pki.certificates[i.id].notAfter);
    // The rule's kind and name are plain (the provider needs them at once); its expression waits for the certificates.
    const earliest = pulumi.all(notAfters).apply((dates) => Math.min(...dates.map((d) => Math.floor(new Date(d).getTime() / 1000))));
    expiryRule({ ...tlsExpiryRule(config, 0), spec: earliest.apply((t) => tlsExpiryRule(config, t).spec) });
    this.registerOutputs({ caBundle: this.caBundle });
  }
}

/**
 * Where a master host (EC2, Amazon Linux) keeps SeaweedFS's files, and the names of its systemd units and account.
 * Linux-host packaging is the AWS wing's; the SeaweedFS facts themselves stay in infra/seaweed.
 */

/** Where a master host keeps its files. The data volume is mounted at `dataRoot`; `-mdir` lives below it. */
export const HOST_PATHS = {
  binary: "/usr/local/bin/weed",
  configDir: "/etc/seaweedfs",
  securityToml: "/etc/seaweedfs/security.toml",
  /** The master's TLS files (CA bundle, certificate, key readable by `user` only), written at boot from SSM. */
  tlsDir: "/etc/seaweedfs/tls",
  /** Root-only environment file holding `WEED_JWT_SIGNING_KEY`, written at boot from SSM. */
  secretEnvFile: "/etc/seaweedfs/master-secrets.env",
  dataRoot: "/var/lib/seaweedfs",
  mdir: "/var/lib/seaweedfs/master",
  unitName: "seaweedfs-master.service",
  user: "seaweedfs",
  /**
   * Fixed UID and GID of `user`: weed's raft files are 0600/0700 and live on the data volume, which outlives the
   * instance; a replacement launched from a newer AMI must own them under the same numbers. (Every boot also
   * re-owns the whole -mdir, for a host where the account already existed under other numbers.)
   */
  uid: 9333,
  gid: 9333,
} as const;

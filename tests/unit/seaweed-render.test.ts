/**
 * The rendered `weed master` command lines: exact flags for a known config, the same peers on every master, and
 * refusal of peer lists SeaweedFS would reject or that would break quorum.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { projectKeys } from "../../infra/config";
import { parseConfig } from "../../infra/platforms";
import { peerList, renderClusterMasters } from "../../infra/seaweed/cluster";
import { MasterConfigError, renderMasterArgs } from "../../infra/seaweed/master";
import { execStart, mountUnitName, renderMasterUnit, renderHostSecurityToml } from "../../infra/aws/host/systemd";
import { JWT_SIGNING_KEY_ENV } from "../../infra/seaweed/constants";
import { HOST_PATHS } from "../../infra/aws/host/paths";
import { readStackConfig } from "../../tools/lib/stackFiles";
import { slotAddresses } from "../../infra/aws/placement";

const settings = {
  port: 9333,
  metricsPort: 9327,
  raft: { heartbeatInterval: "300ms", electionTimeout: "2s" },
  defaultReplication: "010",
  volumeSizeLimitMB: 30000,
};
const slots = [
  { slot: 0, host: "10.20.0.10" },
  { slot: 1, host: "10.20.16.10" },
  { slot: 2, host: "10.20.32.10" },
];

describe("weed master rendering", () => {
  it("renders the exact argv of a known master", () => {
    const [first] = renderClusterMasters(slots, settings, () => "/var/lib/seaweedfs/master");
    assert.deepEqual(first.args, [
      "master",
      "-ip=10.20.0.10",
      "-port=9333",
      "-mdir=/var/lib/seaweedfs/master",
      "-peers=10.20.0.10:9333,10.20.16.10:9333,10.20.32.10:9333",
      "-raftHashicorp",
      "-electionTimeout=2s",
      "-heartbeatInterval=300ms",
      "-metricsPort=9327",
      "-telemetry=false",
      "-defaultReplication=010",
      "-volumeSizeLimitMB=30000",
    ]);
    assert.equal(first.address, "10.20.0.10:9333");
  });

  for (const stack of ["dev", "staging", "prod"]) {
    it(`gives every master of ${stack} the same -peers, equal to the slots' addresses in slot order`, () => {
      const config = parseConfig(projectKeys(readStackConfig(stack).config));
      const masters = renderClusterMasters(slotAddresses(config.topology.slots), { ...settings, port: config.httpPort }, () => HOST_PATHS.mdir);
      const peers = masters.map((m) => m.args.find((a) => a.startsWith("-peers=")));
      assert.equal(new Set(peers).size, 1);
      assert.equal(peers[0], `-peers=${config.topology.slots.map((s) => `${s.ip}:${config.httpPort}`).join(",")}`);
      assert.equal(masters.length, config.masterCount);
      for (const m of masters) {
        assert.ok(m.args.includes(`-ip=${m.address.split(":")[0]}`));
        assert.ok(!m.args.some((a) => a.startsWith("-raftBootstrap")));
      }
    });
  }

  it("orders peers by slot whatever the input order", () => {
    assert.deepEqual(peerList([...slots].reverse(), 9333), ["10.20.0.10:9333", "10.20.16.10:9333", "10.20.32.10:9333"]);
  });

  const base = { ip: "10.0.0.10", port: 9333, mdir: "/m", metricsPort: 9327, raft: settings.raft, defaultReplication: "000", volumeSizeLimitMB: 1000 };
  const refused: [string, Partial<typeof base> & { peers: string[] }, RegExp][] = [
    ["an even peer count", { peers: ["10.0.0.10:9333", "10.0.0.11:9333"] }, /odd number/],
    ["a duplicate peer", { peers: ["10.0.0.10:9333", "10.0.0.11:9333", "10.0.0.11:9333"] }, /more than once/],
    ["a peer list without this master", { peers: ["10.0.0.11:9333", "10.0.0.12:9333", "10.0.0.13:9333"] }, /missing from its peers/],
    ["a hostname peer for an IP identity", { peers: ["master-0:9333", "10.0.0.11:9333", "10.0.0.12:9333"] }, /missing from its peers/],
    ["a peer that is neither an IPv4 address nor a lower-case DNS name", { peers: ["10.0.0.10:9333", "Master_1:9333", "10.0.0.12:9333"] }, /not a host:port/],
    ["a DNS identity missing from DNS peers", { ip: "m-0.masters.ns.svc.cluster.local", peers: ["m-1.masters.ns.svc.cluster.local:9333", "m-2.masters.ns.svc.cluster.local:9333", "m-3.masters.ns.svc.cluster.local:9333"] }, /missing from its peers/],
    ["a heartbeat longer than the election timeout", { peers: ["10.0.0.10:9333"], raft: { heartbeatInterval: "3s", electionTimeout: "2s" } }, /shorter/],
    ["a metrics port on the gRPC port", { peers: ["10.0.0.10:9333"], metricsPort: 19333 }, /collides/],
  ];
  for (const [name, options, message] of refused) {
    it(`refuses ${name}`, () => {
      assert.throws(() => renderMasterArgs({ ...base, ...options }), (e: unknown) => e instanceof MasterConfigError && message.test(e.message));
    });
  }
});

describe("master host files", () => {
  const args = renderClusterMasters(slots, settings, () => HOST_PATHS.mdir)[1].args;

  it("runs the rendered argv from a hardened unit that reads the signing key from a root-only file", () => {
    const unit = renderMasterUnit(args);
    assert.ok(unit.includes(`ExecStart=${execStart(args)}\n`));
    assert.ok(unit.includes(`ExecStart=${HOST_PATHS.binary} master -ip=10.20.16.10 -port=9333`));
    assert.match(unit, new RegExp(`^EnvironmentFile=${HOST_PATHS.secretEnvFile}$`, "m"));
    for (const hardening of ["NoNewPrivileges=yes", "ProtectSystem=strict", `ReadWritePaths=${HOST_PATHS.dataRoot}`, "CapabilityBoundingSet=", `User=${HOST_PATHS.user}`]) {
      assert.match(unit, new RegExp(`^${hardening}$`, "m"));
    }
    assert.ok(unit.includes(`RequiresMountsFor=${HOST_PATHS.dataRoot}`));
  });

  it("keeps the signing key out of security.toml", () => {
    const toml = renderHostSecurityToml();
    assert.match(toml, /^\[jwt\.signing\]$/m);
    assert.doesNotMatch(toml, /^key\s*=/m);
    assert.ok(toml.includes(JWT_SIGNING_KEY_ENV));
  });

  it("names mount units the way systemd does", () => {
    assert.equal(mountUnitName("/var/lib/seaweedfs"), "var-lib-seaweedfs.mount");
    assert.equal(mountUnitName("/srv/weed-data"), "srv-weed\\x2ddata.mount");
  });
});

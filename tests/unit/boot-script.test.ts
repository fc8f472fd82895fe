/**
 * The master boot script, run for real: its AWS calls go through the real AWS CLI to a local moto server, and the
 * host commands (IMDS via curl, blkid, mkfs.xfs, mount, ip, systemctl, ...) are recorded stubs on PATH that keep
 * their state in files. Every file the script writes lands under a scratch root. Proven here: a first boot takes the
 * slot over, a re-run changes nothing, a replacement waits (bounded) for its predecessor and keeps the data, a
 * stopped holder is detached, a holder stuck shutting-down is force-detached after a bound, transient AWS API
 * failures are retried, a boot that gives up marks its instance unhealthy in its Auto Scaling group, weed's files
 * stay owned by the service account across AMIs, a volume with content is never formatted, a sha256 mismatch
 * starts nothing. Faults (an instance state, a throttled call) are played by the aws stub; moto checks no IAM.
 */
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { renderBootScript, BootScriptArgs, NETWORKD_DROP_IN, PER_BOOT_SCRIPT } from "../../infra/aws/bootScript";
import { renderClusterMasters } from "../../infra/seaweed/cluster";
import { HOST_PATHS } from "../../infra/aws/host/paths";
import { execStart, renderHostSecurityToml } from "../../infra/aws/host/systemd";
import { BootHost, MotoServer } from "../support/bootHost";
import { BootSlot, startBootSlot } from "../support/bootSlot";

const CLUSTER = "seaweedfs-boot";
const SLOT = { slot: 0, az: "us-east-1a", ip: "10.20.0.10", subnetCidr: "10.20.0.0/20" };
const SECRET = "jwtKeyFromSsm0123456789abcdefABCDEF";
const HOLD = `/seaweed-infra/${CLUSTER}/slots/0/recovery-hold`;
const FAKE_WEED = "#!/bin/sh\necho 'version 8000GB 4.44 fake linux amd64'\n";
const SHA = crypto.createHash("sha256").update(FAKE_WEED).digest("hex");
const masterArgs = renderClusterMasters(
  [{ slot: 0, host: SLOT.ip }, { slot: 1, host: "10.20.16.10" }, { slot: 2, host: "10.20.32.10" }],
  { port: 9333, metricsPort: 9327, raft: { heartbeatInterval: "300ms", electionTimeout: "2s" }, defaultReplication: "000", volumeSizeLimitMB: 1000 },
  () => HOST_PATHS.mdir,
)[0].args;

function script(overrides: Partial<BootScriptArgs> = {}): string {
  return renderBootScript({
    clusterName: CLUSTER,
    slot: SLOT,
    masterArgs,
    weed: { url: "s3://artifacts/seaweedfs/4.44/weed-linux-amd64", sha256: SHA, version: "4.44" },
    jwtParameterName: `/seaweed-infra/${CLUSTER}/jwt-signing-key`,
    recoveryHoldParameter: HOLD,
    attachTimeoutSeconds: 60,
    pollSeconds: 0.5,
    ...overrides,
  });
}

let slot: BootSlot;
let moto: MotoServer;
let work: string;
let volume: string;
let tags: { Key: string; Value: string }[];
let hosts: Record<string, BootHost>;
let launch: BootSlot["launch"];
let holders: BootSlot["holders"];

before(async () => {
  slot = await startBootSlot({ clusterName: CLUSTER, ...SLOT });
  ({ moto, work, volume, tags, hosts, launch, holders } = slot);
  await moto.call("ssm", "put_parameter", { Name: `/seaweed-infra/${CLUSTER}/jwt-signing-key`, Type: "SecureString", Value: SECRET });
  await moto.call("s3", "create_bucket", { Bucket: "artifacts" });
  await moto.call("s3", "put_object", { Bucket: "artifacts", Key: "seaweedfs/4.44/weed-linux-amd64", Body: FAKE_WEED });
});

after(async () => {
  await slot?.stop();
});

describe("the master boot script", () => {
  it("passes shellcheck", () => {
    const file = path.join(work, "rendered.sh");
    fs.writeFileSync(file, script());
    const result = BootHost.shellcheck(file);
    assert.equal(result.status, 0, result.output);
  });

  it("takes the slot over on first boot: attaches interface and volume, formats the blank volume once, installs and starts the master", async () => {
    const a = await launch("a");
    const slotTagged = await moto.call("ec2", "describe_volumes", { Filters: tags.map((t) => ({ Name: `tag:${t.Key}`, Values: [t.Value] })) });
    assert.ok(slotTagged.Volumes.length > 1, "the instance's root volume carries the slot's tags too; only the role tag tells the data volume");
    const run = await a.boot(script());
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(await holders(), { eni: a.instanceId, eniIndex: 1, volume: a.instanceId });
    assert.equal(run.calls.filter((c) => c.startsWith("mkfs.xfs ")).length, 1);
    assert.equal(run.calls.filter((c) => c.startsWith("mount ")).length, 1);
    assert.ok(run.calls.includes(`ip rule add from ${SLOT.ip} lookup 1001 priority 1001`), run.calls.join("\n"));
    assert.ok(run.calls.includes(`ip addr add ${SLOT.ip}/20 dev ens6`));
    assert.equal(a.read(NETWORKD_DROP_IN), "[Network]\nManageForeignRoutingPolicyRules=no\nManageForeignRoutes=no\n", "a networkd restart keeps the slot's rule and table");
    assert.ok(run.calls.includes("systemctl restart seaweedfs-master.service"));
    assert.equal(a.read(HOST_PATHS.binary), FAKE_WEED);
    assert.equal(a.read(HOST_PATHS.secretEnvFile), `WEED_JWT_SIGNING_KEY=${SECRET}\n`);
    assert.equal(a.mode(HOST_PATHS.secretEnvFile), 0o600);
    assert.equal(a.read(HOST_PATHS.securityToml), renderHostSecurityToml());
    const unit = a.read(`/etc/systemd/system/${HOST_PATHS.unitName}`).split("\n");
    assert.deepEqual(unit.filter((l) => l.startsWith("ExecStart=")), [`ExecStart=${execStart(masterArgs)}`]);
    assert.match(a.read("/etc/fstab"), new RegExp(`^LABEL=/ / xfs defaults,noatime 1 1\\nUUID=[0-9a-f-]{36} ${HOST_PATHS.dataRoot} xfs defaults,noatime,nofail 0 2\\n$`));
    assert.equal(a.read(PER_BOOT_SCRIPT), script());
    for (const text of [run.stdout, run.stderr, ...run.calls]) assert.ok(!text.includes(SECRET), "the JWT key leaks into logs or argv");
  });

  it("changes nothing when run again (a reboot or a re-run)", async () => {
    const a = hosts.a;
    const before = a.snapshot();
    const run = await a.boot(script());
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(a.snapshot(), before);
    const actions = run.calls.filter((c) => /^(aws ec2 (attach|detach)|aws s3 cp|mkfs|mount |useradd|ip (addr|rule) add|systemctl (restart|enable|daemon-reload))/.test(c));
    assert.deepEqual(actions, []);
    assert.ok(run.calls.includes("systemctl start seaweedfs-master.service"));
    assert.deepEqual(await holders(), { eni: a.instanceId, eniIndex: 1, volume: a.instanceId });
  });

  it("with TLS, writes the slot's CA bundle, certificate and key from SSM into files of the service account, the key on no command line or log", async () => {
    const tls = { clusterName: CLUSTER, caParameter: `/seaweed-infra/${CLUSTER}/tls/ca.crt`, certParameter: `/seaweed-infra/${CLUSTER}/tls/master-0.crt`, keyParameter: `/seaweed-infra/${CLUSTER}/tls/master-0.key`, reloadSeconds: 300 };
    const pem = (label: string, body: string) => `-----BEGIN ${label}-----\n${Buffer.from(body).toString("base64")}\n-----END ${label}-----`;
    const values = { ca: pem("CERTIFICATE", "ca-of-the-stack"), cert: pem("CERTIFICATE", "master-0"), key: pem("PRIVATE KEY", "key-of-master-0-abcdef") };
    await moto.call("ssm", "put_parameter", { Name: tls.caParameter, Type: "String", Value: values.ca, Overwrite: true });
    await moto.call("ssm", "put_parameter", { Name: tls.certParameter, Type: "String", Value: values.cert, Overwrite: true });
    await moto.call("ssm", "put_parameter", { Name: tls.keyParameter, Type: "SecureString", Value: values.key, Overwrite: true });
    const a = hosts.a;
    const run = await a.boot(script({ tls }));
    assert.equal(run.code, 0, run.stderr);
    const dir = HOST_PATHS.tlsDir;
    assert.equal(a.read(`${dir}/ca.crt`), `${values.ca}\n`);
    assert.equal(a.read(`${dir}/master.crt`), `${values.cert}\n`);
    assert.equal(a.read(`${dir}/master.key`), `${values.key}\n`);
    assert.equal(a.mode(`${dir}/master.key`), 0o400);
    assert.equal(a.mode(dir), 0o750);
    assert.ok(run.calls.some((c) => c.startsWith("chown -R seaweedfs:seaweedfs ") && c.endsWith(dir)), run.calls.filter((c) => c.startsWith("chown")).join("\n"));
    assert.equal(a.read(HOST_PATHS.securityToml), renderHostSecurityToml({ tls: { clusterName: CLUSTER } }));
    assert.match(a.read(HOST_PATHS.securityToml), new RegExp(`key = "${dir}/master.key"`));
    assert.ok(run.calls.includes("systemctl restart seaweedfs-master.service"), "new files restart the master");
    assert.match(a.read(`/etc/systemd/system/${HOST_PATHS.unitName}`), /^Environment=WEED_TLS_CERT_REFRESH_INTERVAL=300s$/m);
    for (const text of [run.stdout, run.stderr, ...run.calls]) assert.ok(!text.includes("PRIVATE KEY") && !text.includes(values.key.split("\n")[1]), "the TLS key leaks into logs or argv");
    // A key parameter that holds no PEM stops the boot before the master is restarted on it.
    await moto.call("ssm", "put_parameter", { Name: tls.keyParameter, Type: "SecureString", Value: "not-a-key", Overwrite: true });
    const refused = await a.boot(script({ tls }));
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, new RegExp(`SSM parameter ${tls.keyParameter} holds no PEM`));
    assert.ok(!refused.calls.some((c) => c.startsWith("systemctl restart")), refused.calls.join("\n"));
    // Back to the TLS-off script for the tests below.
    assert.equal((await a.boot(script())).code, 0);
  });

  it("makes a replacement wait while its predecessor runs, takes the slot back once the dead predecessor is stopped, and keeps the data", async () => {
    // Another AMI: it would give a new system account another number.
    const b = await launch("b", 992);
    const boot = b.boot(script());
    await b.waitForLog(/waiting for it to be released/, 60_000);
    assert.equal((await holders()).eni, hosts.a.instanceId, "nothing is taken from a running instance");
    // The predecessor is dead but only stopped: it would hold the interface and volume forever.
    await moto.call("ec2", "stop_instances", { InstanceIds: [hosts.a.instanceId] });
    const run = await boot;
    assert.equal(run.code, 0, run.stderr);
    assert.ok(run.calls.some((c) => c.startsWith("aws ec2 detach-network-interface")), run.calls.join("\n"));
    assert.ok(run.calls.some((c) => c.startsWith(`aws ec2 detach-volume --volume-id ${volume} --instance-id ${hosts.a.instanceId}`)));
    assert.deepEqual(await holders(), { eni: b.instanceId, eniIndex: 1, volume: b.instanceId });
    assert.deepEqual(run.calls.filter((c) => c.startsWith("mkfs")), []);
    assert.match(run.stderr, /already has a filesystem: keeping it/);
    assert.equal(run.calls.filter((c) => c.startsWith("mount ")).length, 1);
    const account = b.account(HOST_PATHS.user);
    assert.ok(account && account === hosts.a.account(HOST_PATHS.user), `both AMIs create the service account under the same numbers: ${account}, ${hosts.a.account(HOST_PATHS.user)}`);
  });

  it("re-owns all of weed's files when the replacement's image already has the service account under another number", async () => {
    // What weed wrote on the previous instance: 0600 files in 0700 directories, owned by that instance's account.
    const owner = hosts.b.account(HOST_PATHS.user)!.split(":").map(Number);
    const raft = path.join(fs.realpathSync(path.join(work, "b/root", HOST_PATHS.mdir)), "m9333");
    for (const [file, mode] of [["log", 0o700], ["log/00000001.log", 0o600], ["snapshots", 0o700], ["snapshots/1-2-3", 0o700], ["snapshots/1-2-3/meta.json", 0o600]] as const) {
      const full = path.join(raft, file);
      if (mode === 0o700) fs.mkdirSync(full, { recursive: true, mode });
      else fs.writeFileSync(full, "raft", { mode });
      fs.chownSync(full, owner[0], owner[1]);
    }
    const e = await launch("e");
    e.addAccount("seaweedfs", 4242);
    await moto.call("ec2", "stop_instances", { InstanceIds: [hosts.b.instanceId] });
    const run = await e.boot(script());
    assert.equal(run.code, 0, run.stderr);
    const owners = e.owners(HOST_PATHS.mdir);
    assert.ok(Object.keys(owners).includes("m9333/snapshots/1-2-3/meta.json"), JSON.stringify(owners));
    assert.deepEqual(Object.entries(owners).filter(([, o]) => o !== "4242:4242"), [], "files the running master could not read");
    assert.deepEqual(await holders(), { eni: e.instanceId, eniIndex: 1, volume: e.instanceId });
  });

  it("force-detaches the slot from a holder stuck shutting-down, once the bound has passed", async () => {
    const e = hosts.e;
    const f = await launch("f");
    f.playInstanceState(e.instanceId, "shutting-down");
    const run = await f.boot(script({ holderShutdownSeconds: 2 }));
    assert.equal(run.code, 0, run.stderr);
    const waited = run.stderr.indexOf(`held by ${e.instanceId}): waiting`);
    const forced = run.stderr.indexOf(`held by dead instance ${e.instanceId} (shutting-down): force-detaching`);
    assert.ok(waited >= 0 && forced > waited, `waits out the bound before force-detaching:\n${run.stderr}`);
    assert.ok(run.calls.includes(`aws ec2 detach-volume --volume-id ${volume} --instance-id ${e.instanceId} --force`), run.calls.join("\n"));
    assert.ok(run.calls.some((c) => /^aws ec2 detach-network-interface --attachment-id \S+ --force$/.test(c)), run.calls.join("\n"));
    assert.deepEqual(await holders(), { eni: f.instanceId, eniIndex: 1, volume: f.instanceId });
  });

  it("retries transient AWS API failures (throttling) and finishes the boot", async () => {
    const f = hosts.f;
    f.failNext("ec2", "describe-network-interfaces", 2);
    f.failNext("ssm", "get-parameter", 1);
    const run = await f.boot(script());
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /aws ec2 describe-network-interfaces failed \(attempt 2 of 6\); retrying in 2 s/);
    assert.match(run.stderr, /aws ssm get-parameter failed \(attempt 1 of 6\)/);
    assert.equal(f.read(HOST_PATHS.secretEnvFile), `WEED_JWT_SIGNING_KEY=${SECRET}\n`);
  });

  it("starts no master with an empty -mdir while the slot is held for a quorum recovery, and starts one with raft state", async () => {
    const f = hosts.f;
    const raft = path.join(fs.realpathSync(path.join(work, "f/root", HOST_PATHS.mdir)), "m9333");
    const startsMaster = (calls: string[]) => calls.some((c) => /^systemctl (re)?start seaweedfs-master\.service$/.test(c));
    await moto.call("ssm", "put_parameter", { Name: HOLD, Type: "String", Value: "lost-quorum recovery of slots 0" });
    try {
      const held = await f.boot(script());
      assert.equal(held.code, 0, held.stderr);
      assert.match(held.stderr, /HELD: slot 0 is held for a quorum recovery/);
      assert.equal(startsMaster(held.calls), false, held.calls.join("\n"));
      // Seeded by the recovery: the raft state is there, so the held slot's master may start (a reboot after the seed).
      fs.writeFileSync(path.join(raft, "logs.dat"), "bolt");
      const seeded = await f.boot(script());
      assert.equal(seeded.code, 0, seeded.stderr);
      assert.ok(startsMaster(seeded.calls), seeded.calls.join("\n"));
    } finally {
      fs.rmSync(path.join(raft, "logs.dat"), { force: true });
      await moto.call("ssm", "delete_parameter", { Name: HOLD });
    }
    const released = await f.boot(script());
    assert.equal(released.code, 0, released.stderr);
    assert.ok(startsMaster(released.calls), "without the hold an empty slot starts its master (a first deploy, a replaced master)");
  });

  it("gives up after the attach timeout while a running instance keeps the slot, touching nothing, and reports itself unhealthy", async () => {
    const c = await launch("c", undefined, "slot-0-group");
    const started = Date.now();
    const run = await c.boot(script({ attachTimeoutSeconds: 2 }));
    assert.notEqual(run.code, 0);
    assert.ok(Date.now() - started < 30_000, `gave up after ${Date.now() - started} ms`);
    assert.match(run.stderr, /still not attached to .* after 2 s/);
    assert.deepEqual(run.calls.filter((c) => /^(aws ec2 (attach|detach)|mkfs|mount |systemctl)/.test(c)), []);
    assert.equal((await holders()).eni, hosts.f.instanceId);
    assert.ok(run.calls.includes(`aws autoscaling set-instance-health --instance-id ${c.instanceId} --health-status Unhealthy --no-should-respect-grace-period`), run.calls.join("\n"));
    const [instance] = (await moto.call("autoscaling", "describe_auto_scaling_instances", { InstanceIds: [c.instanceId] })).AutoScalingInstances;
    assert.equal(instance.HealthStatus, "Unhealthy", "its group replaces it");
  });

  it("refuses to format a volume blkid cannot identify when it is not blank", async () => {
    const f = hosts.f;
    f.forgetFilesystems();
    const run = await f.boot(script());
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /not blank: refusing to format it/);
    assert.deepEqual(run.calls.filter((c) => c.startsWith("mkfs")), []);
  });

  it("refuses a weed artifact whose sha256 differs, before taking the slot or starting anything", async () => {
    const d = await launch("d");
    const url = "https://releases.example/seaweedfs/4.44/weed-linux-amd64";
    d.offerDownload(url, FAKE_WEED + "# tampered\n");
    const run = await d.boot(script({ weed: { url, sha256: SHA, version: "4.44" } }));
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, new RegExp(`expected ${SHA}: refusing to install or start it`));
    assert.ok(run.calls.some((c) => c.startsWith("curl ") && c.endsWith(url)));
    assert.equal(d.exists(HOST_PATHS.binary), false);
    assert.equal(d.exists(HOST_PATHS.secretEnvFile), false);
    assert.deepEqual(run.calls.filter((c) => /^(aws ec2 (attach|detach)|systemctl)/.test(c)), []);
  });
});

/**
 * The Kubernetes restore fleet (tools/lib/restore/kubectlFleet.ts) driven the way restoreCluster drives it, with a
 * stand-in for kubectl that records every call and runs the install's own shell script (and the streamed tar) against
 * a temporary directory standing in for the slot's claim: the StatefulSet goes to 0 once, every slot's claim gets
 * exactly the backup's files with the old raft directory kept aside, the helper pod is always deleted, the
 * StatefulSet comes back to masterCount once, and each master is then reached through a port-forward into its pod
 * (never the API server's pod proxy, whose traffic the tier's NetworkPolicy drops). The real port-forward path runs
 * against a kubectl stand-in script. No cluster is involved (see docs/kubernetes.md for what is unproven).
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { projectKeys, type KubernetesConfig } from "../../infra/config";
import { parseStackConfig } from "../../infra/platforms";
import { MDIR } from "../../infra/kubernetes/names";
import { kubectlFleet, kubectlPortForward, type PortForwarder, type Runner } from "../../tools/lib/restore/kubectlFleet";
import { readStackConfig, REPO_ROOT } from "../../tools/lib/stackFiles";
import { TSX } from "../support/runTool";

const config = parseStackConfig(projectKeys(readStackConfig("k8s-dev").config), { stack: "k8s-dev" }) as KubernetesConfig;

/** A kubectl stand-in: records argv; `exec` runs the given script with MDIR mapped to `claims/<pod>`. */
function fakeKubectl(root: string, failExecFor?: string): { run: Runner; calls: string[][] } {
  const calls: string[][] = [];
  const run: Runner = async (_command, args, input) => {
    calls.push(args);
    const verb = args[2];
    if (verb === "apply" && input) {
      for await (const chunk of input) calls[calls.length - 1].push(`manifest:${chunk.toString()}`);
    }
    if (verb === "exec") {
      const pod = args[4];
      if (pod === failExecFor) throw new Error("exec refused");
      const claim = path.join(root, "claims", pod.replace(/-restore$/, ""));
      const script = args[args.length - 1].replaceAll(MDIR, claim);
      await new Promise<void>((resolve, reject) => {
        const sh = spawn("sh", ["-c", script], { stdio: ["pipe", "inherit", "inherit"] });
        input!.pipe(sh.stdin);
        sh.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`install script exited ${code}`))));
      });
    }
    return "";
  };
  return { run, calls };
}

/** A port-forward stand-in: records each request and hands out local ports 40000 + slot. */
function fakeForwarder(): { forward: PortForwarder; requests: string[]; stopped: string[] } {
  const requests: string[] = [];
  const stopped: string[] = [];
  const forward: PortForwarder = async (namespace, pod, port) => {
    requests.push(`${namespace}/${pod}:${port}`);
    return { localPort: 40000 + Number(pod.slice(pod.lastIndexOf("-") + 1)), stop: () => stopped.push(pod) };
  };
  return { forward, requests, stopped };
}

function backupDir(root: string): string {
  const dir = path.join(root, "backup", "raft");
  fs.mkdirSync(path.join(dir, "snapshots"), { recursive: true });
  fs.writeFileSync(path.join(dir, "logs.dat"), "log bytes");
  fs.writeFileSync(path.join(dir, "stable.dat"), "stable bytes");
  return dir;
}

describe("the Kubernetes restore fleet (kubectl stand-in)", () => {
  it("scales to 0 once, puts the backup into every slot's claim (old state kept aside), deletes the helper pods and scales back once", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "restore-kubectl-"));
    try {
      const raftDir = backupDir(root);
      // Slot 1 had state before: it must be moved aside, not merged with or deleted.
      const old = path.join(root, "claims", "seaweedfs-master-1", "m9333");
      fs.mkdirSync(old, { recursive: true });
      fs.writeFileSync(path.join(old, "logs.dat"), "diverged");
      const { run, calls } = fakeKubectl(root);
      const forwarder = fakeForwarder();
      const fleet = kubectlFleet({ config, run, forward: forwarder.forward });
      await Promise.all(fleet.slots.map((s) => fleet.stop(s)));
      for (const s of fleet.slots) await fleet.install(s, raftDir);
      for (const s of fleet.slots) await fleet.start(s);

      const verbs = calls.map((c) => c.slice(2, 4).join(" "));
      assert.equal(verbs.filter((v) => v === "scale statefulset/seaweedfs-master").length, 2);
      assert.deepEqual(calls.filter((c) => c[2] === "scale").map((c) => c[4]), ["--replicas=0", "--replicas=3"]);
      assert.ok(calls.every((c) => c[0] === "--namespace" && c[1] === "seaweedfs-dev"));
      for (const slot of fleet.slots) {
        const claim = path.join(root, "claims", `seaweedfs-master-${slot}`, "m9333");
        assert.equal(fs.readFileSync(path.join(claim, "logs.dat"), "utf8"), "log bytes");
        assert.equal(fs.readFileSync(path.join(claim, "stable.dat"), "utf8"), "stable bytes");
        assert.ok(fs.statSync(path.join(claim, "snapshots")).isDirectory());
        const manifest = calls.find((c) => c[2] === "apply" && c.some((a) => a.includes(`"seaweedfs-master-${slot}-restore"`)));
        assert.ok(manifest, `no helper pod applied for slot ${slot}`);
        assert.match(manifest.find((a) => a.startsWith("manifest:"))!, new RegExp(`"claimName":"data-seaweedfs-master-${slot}"`));
        assert.ok(calls.some((c) => c[2] === "delete" && c[4] === `seaweedfs-master-${slot}-restore`));
      }
      const aside = fs.readdirSync(path.dirname(old)).filter((n) => n.startsWith("m9333.before-restore-"));
      assert.equal(aside.length, 1);
      assert.equal(fs.readFileSync(path.join(path.dirname(old), aside[0], "logs.dat"), "utf8"), "diverged");
      // Reached through port-forwards into the pods (HTTP port 9333), started once each pod runs, ended by close().
      assert.deepEqual(forwarder.requests, [0, 1, 2].map((s) => `seaweedfs-dev/seaweedfs-master-${s}:9333`));
      assert.deepEqual(calls.filter((c) => c[2] === "wait" && c[3].startsWith("--for=jsonpath")).map((c) => c[4]), ["pod/seaweedfs-master-0", "pod/seaweedfs-master-1", "pod/seaweedfs-master-2"]);
      assert.equal(fleet.url(2), "http://127.0.0.1:40002");
      assert.ok(!calls.flat().some((a) => /proxy/.test(a)), "no kubectl proxy");
      fleet.close();
      assert.deepEqual(forwarder.stopped, ["seaweedfs-master-0", "seaweedfs-master-1", "seaweedfs-master-2"]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it("deletes the helper pod when the install fails, and reports the failure", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "restore-kubectl-"));
    try {
      const { run, calls } = fakeKubectl(root, "seaweedfs-master-0-restore");
      const fleet = kubectlFleet({ config, run, forward: fakeForwarder().forward });
      await assert.rejects(fleet.install(0, backupDir(root)), /exec refused/);
      assert.deepEqual(calls.at(-1)!.slice(2, 5), ["delete", "pod", "seaweedfs-master-0-restore"]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("kubectl port-forward (a kubectl stand-in script)", () => {
  it("runs `kubectl --namespace <ns> port-forward --address 127.0.0.1 pod/<pod> :<port>`, takes the port kubectl prints, and stops it", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "port-forward-"));
    try {
      const kubectl = path.join(dir, "kubectl");
      // Prints its argv, then what kubectl prints once it listens, and stays until killed.
      fs.writeFileSync(kubectl, `#!/bin/sh\necho "$*" > "${dir}/argv"\necho "Forwarding from 127.0.0.1:41234 -> 9333"\nexec sleep 60\n`, { mode: 0o755 });
      const forward = await kubectlPortForward(kubectl)("seaweedfs-dev", "seaweedfs-master-1", 9333);
      assert.equal(forward.localPort, 41234);
      assert.equal(fs.readFileSync(path.join(dir, "argv"), "utf8").trim(), "--namespace seaweedfs-dev port-forward --address 127.0.0.1 pod/seaweedfs-master-1 :9333");
      forward.stop();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

// The restore CLI reads a Kubernetes stack's bucket from its config and plans the kubectl steps without a cluster.
describe("npm run restore on a Kubernetes stack", () => {
  it("refuses a stack without k8sBackupBucket and no --bucket, naming the key", async () => {
    const error = await promisify(execFile)(TSX, ["tools/restore.ts", "list", "--stack", "k8s-dev"], { cwd: REPO_ROOT }).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    assert.ok(error, "the command succeeded");
    assert.equal(error.code, 2);
    assert.match(error.stderr, /k8s-dev has no k8sBackupBucket; name the bucket with --bucket/);
  });
});

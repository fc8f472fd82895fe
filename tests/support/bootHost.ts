/**
 * A stand-in EC2 host for running the master boot script for real: a local moto server answers the AWS CLI (kept
 * loaded in one process, so each call costs milliseconds instead of a second of start-up), and recorded stubs replace the commands that would touch the machine (IMDS via curl, blkid, mkfs.xfs, mount,
 * mountpoint, ip, systemctl, logger (the journal), dnf, getent, useradd, groupadd, chown). Stubs log every call and keep their state in files:
 * per host (mounts, addresses, rules, accounts) and per volume (its filesystem and content: the mount point links to
 * it, and chown is the real one on those files), so a volume keeps its files and their owners when it moves to
 * another host. Everything runs on 127.0.0.1 and every process started here is stopped by its process group.
 */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as readline from "node:readline";
import { startMoto as startMotoServer, VENV_BIN } from "../../tools/lib/restore/moto";

export interface MotoServer {
  /** Environment that points the AWS CLI at the server. */
  env: Record<string, string>;
  /** An `aws` executable for the boot script: the real AWS CLI, kept loaded in one process (see CLI_SERVER). */
  aws: string;
  /**
   * One boto3 call against the server, e.g. `call("ec2", "create_vpc", { CidrBlock: "10.0.0.0/16" })`. The test's
   * own calls go through one long-lived Python process: starting the CLI per call costs a second or more.
   */
  call(service: string, operation: string, args?: Record<string, unknown>): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  stop(): Promise<void>;
}

/** Reads `[service, operation, args]` JSON lines and answers each with one JSON line. */
const BOTO_SERVER = String.raw`
import boto3, json, os, sys
clients = {}
for line in sys.stdin:
    service, operation, args = json.loads(line)
    try:
        client = clients.setdefault(service, boto3.client(service, endpoint_url=os.environ["AWS_ENDPOINT_URL"]))
        result = {"ok": getattr(client, operation)(**args)}
    except Exception as error:
        result = {"error": f"{type(error).__name__}: {error}"}
    print(json.dumps(result, default=str), flush=True)
`;

/**
 * The AWS CLI's own driver (awscli.clidriver), loaded once and run per request: the same argument parsing,
 * `--query` and `--output` as the command, without the second or two each new CLI process spends loading botocore.
 */
const CLI_SERVER = String.raw`
import contextlib, io, json, os, socket, sys
from awscli.clidriver import create_clidriver
driver = create_clidriver()
server = socket.socket(socket.AF_UNIX)
server.bind(sys.argv[1])
server.listen(4)
while True:
    conn, _ = server.accept()
    with conn:
        request = b""
        while not request.endswith(b"\n"):
            chunk = conn.recv(65536)
            if not chunk:
                break
            request += chunk
        request = json.loads(request)
        os.chdir(request["cwd"])
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                rc = driver.main(request["args"])
            except SystemExit as exit:
                rc = exit.code if isinstance(exit.code, int) else 1
        conn.sendall(json.dumps({"rc": rc, "out": out.getvalue(), "err": err.getvalue()}).encode())
`;

/** The `aws` command the boot script calls: hands its argv to CLI_SERVER and replays the answer. */
const CLI_CLIENT = String.raw`
import json, os, socket, sys
conn = socket.socket(socket.AF_UNIX)
conn.connect(os.environ["AWS_CLI_SOCKET"])
conn.sendall((json.dumps({"cwd": os.getcwd(), "args": sys.argv[1:]}) + "\n").encode())
answer = b""
while True:
    chunk = conn.recv(65536)
    if not chunk:
        break
    answer += chunk
answer = json.loads(answer)
sys.stdout.write(answer["out"])
sys.stderr.write(answer["err"])
sys.exit(answer["rc"])
`;

function stopGroup(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    }, graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      process.kill(-child.pid!, "SIGTERM");
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

/** Starts moto (the drills' helper: a free loopback port, its own process group) plus the boto3 helper. */
export async function startMoto(): Promise<MotoServer> {
  for (const tool of ["aws", "shellcheck", "python"]) {
    if (!fs.existsSync(path.join(VENV_BIN, tool))) throw new Error(`.venv/bin/${tool} is missing: run \`bash tools/setup.sh\``);
  }
  const server = await startMotoServer();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "boot-aws-cli-"));
  const socketPath = path.join(dir, "aws.sock");
  const env = { ...(server.env as Record<string, string>), AWS_CLI_SOCKET: socketPath };
  const cli = spawn(path.join(VENV_BIN, "python"), ["-c", CLI_SERVER, socketPath], { detached: true, stdio: "ignore", env: { ...process.env, ...env } });
  const aws = path.join(dir, "aws");
  fs.writeFileSync(aws, `#!${path.join(VENV_BIN, "python")} -S\n${CLI_CLIENT}`, { mode: 0o755 });
  const boto = spawn(path.join(VENV_BIN, "python"), ["-u", "-c", BOTO_SERVER], { detached: true, stdio: ["pipe", "pipe", "inherit"], env: { ...process.env, ...env } });
  const deadline = Date.now() + 30_000;
  while (!fs.existsSync(socketPath)) {
    if (Date.now() > deadline || cli.exitCode !== null) {
      await Promise.all([stopGroup(cli), stopGroup(boto), server.stop()]);
      throw new Error("the AWS CLI server did not start");
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const answers = readline.createInterface({ input: boto.stdout! })[Symbol.asyncIterator]();
  let queue: Promise<unknown> = Promise.resolve();
  return {
    env,
    aws,
    call: (service, operation, args = {}) => {
      const next = queue.then(async () => {
        boto.stdin!.write(`${JSON.stringify([service, operation, args])}\n`);
        const { value, done } = await answers.next();
        if (done) throw new Error("the boto3 helper exited");
        const answer = JSON.parse(value) as { ok?: unknown; error?: string };
        if (answer.error) throw new Error(`${service}.${operation}: ${answer.error}`);
        return answer.ok;
      });
      queue = next.catch(() => undefined);
      return next;
    },
    stop: async () => {
      boto.stdin!.end();
      await stopGroup(boto);
      await stopGroup(cli);
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

const STUBS: Record<string, string> = {
  // Faults a test plays (see BootHost.playInstanceState and failNext), then the real AWS CLI against moto.
  aws: `if [ "$1 $2" = "ec2 describe-instances" ] && [ -f "$STUB_STATE/instance-state-$4" ]; then cat "$STUB_STATE/instance-state-$4"; exit 0; fi
failures="$STUB_STATE/fail-$1-$2"
if [ -f "$failures" ] && [ "$(cat "$failures")" -gt 0 ]; then
  echo $(($(cat "$failures") - 1)) > "$failures"
  echo "An error occurred (RequestLimitExceeded) when calling the $2 operation: Request limit exceeded." >&2
  exit 254
fi
exec "$REAL_AWS" "$@"`,
  curl: `url="\${*: -1}"
case "$url" in
  */latest/api/token) echo stub-imds-token ;;
  */meta-data/instance-id) echo "$FAKE_INSTANCE_ID" ;;
  */meta-data/placement/availability-zone) echo "$FAKE_AZ" ;;
  */meta-data/placement/region) echo us-east-1 ;;
  https://*)
    out=""
    while [ $# -gt 0 ]; do [ "$1" = -o ] && out=$2; shift; done
    [ -f "$FAKE_DOWNLOADS/\${url##*/}" ] || exit 22
    cp "$FAKE_DOWNLOADS/\${url##*/}" "$out" ;;
  *) exit 22 ;;
esac`,
  blkid: `dev="\${*: -1}"
state="$STUB_VOLUMES/$(basename "$(readlink -f "$dev")").fs"
[ -f "$state" ] || exit 2
case "$1" in -p) echo "$dev: TYPE=\\"xfs\\"" ;; *) cat "$state" ;; esac`,
  "mkfs.xfs": `dev="\${*: -1}"
image=$(readlink -f "$dev")
state="$STUB_VOLUMES/$(basename "$image").fs"
if [ -f "$state" ]; then echo "mkfs.xfs: $dev contains a filesystem (use -f to force)" >&2; exit 1; fi
printf 'XFSB' | dd of="$image" conv=notrunc status=none
cat /proc/sys/kernel/random/uuid > "$state"`,
  // The mount point becomes a link to the volume's shared content, so a replacement sees its predecessor's files.
  mount: `target="\${*: -1}"
data="$STUB_VOLUMES/$(basename "$(readlink -f "\${*: -2:1}")").data"
mkdir -p "$data"
rmdir "$target" && ln -s "$data" "$target"
touch "$STUB_STATE/mounted$(printf %s "$target" | tr / _)"`,
  mountpoint: '[ -f "$STUB_STATE/mounted$(printf %s "${*: -1}" | tr / _)" ]',
  ip: `case "$*" in
  "-4 addr show dev "*) cat "$STUB_STATE/addresses" 2>/dev/null || true ;;
  "addr add "*) echo "    inet $3 scope global $5" >> "$STUB_STATE/addresses" ;;
  "rule show") cat "$STUB_STATE/rules" 2>/dev/null || true ;;
  "rule add "*) printf '%s:\\tfrom %s lookup %s\\n' "$8" "$4" "$6" >> "$STUB_STATE/rules" ;;
esac`,
  // Accounts live in $STUB_STATE/{passwd,group}-<name> as getent prints them; without --uid/--gid an account gets
  // the AMI's next free system number ($FAKE_NEXT_SYSTEM_ID), which differs between AMIs.
  getent: 'cat "$STUB_STATE/$1-$2" 2>/dev/null',
  // Without --gid, useradd also creates the user's own group (USERGROUPS_ENAB, as on Amazon Linux).
  useradd: `id=$FAKE_NEXT_SYSTEM_ID gid=""
while [ $# -gt 1 ]; do case "$1" in --uid) id=$2; shift ;; --gid) gid=$2; shift ;; --home-dir | --shell) shift ;; esac; shift; done
[ -n "$gid" ] || { gid=$id; echo "$1:x:$gid:" > "$STUB_STATE/group-$1"; }
echo "$1:x:$id:$gid::/:/sbin/nologin" > "$STUB_STATE/passwd-$1"`,
  groupadd: `id=$FAKE_NEXT_SYSTEM_ID
while [ $# -gt 1 ]; do case "$1" in --gid) id=$2; shift ;; esac; shift; done
echo "$1:x:$id:" > "$STUB_STATE/group-$1"`,
  // Units started, restarted or enabled --now are active (a file in $STUB_STATE) until stopped or disabled --now.
  systemctl: `unit="\${*: -1}"
case "$1 \${2:-}" in
  "is-active "*) [ -f "$STUB_STATE/active-$unit" ] ;;
  "start "* | "restart "* | "enable --now") touch "$STUB_STATE/active-$unit" ;;
  "stop "* | "disable --now") rm -f "$STUB_STATE/active-$unit" ;;
esac`,
  // The journal: one line per message, with its tag.
  logger: `while [ $# -gt 0 ]; do case "$1" in -t) tag=$2; shift ;; --) shift; break ;; esac; shift; done
echo "\${tag:-logger}: $*" >> "$STUB_STATE/journal"`,
  // Installs the CloudWatch agent as a recording stub of its ctl; fails while $STUB_STATE/dnf-fails says so.
  dnf: `if [ -f "$STUB_STATE/dnf-fails" ] && [ "$(cat "$STUB_STATE/dnf-fails")" -gt 0 ]; then
  echo $(($(cat "$STUB_STATE/dnf-fails") - 1)) > "$STUB_STATE/dnf-fails"
  echo "Error: Failed to download metadata for repo 'amazonlinux'" >&2
  exit 1
fi
ctl="$SEAWEED_BOOT_ROOT/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl"
mkdir -p "$(dirname "$ctl")"
printf '#!/bin/bash\necho "amazon-cloudwatch-agent-ctl $*" >> "$STUB_LOG"\n' > "$ctl"
chmod 0755 "$ctl"`,
  // The real chown on the scratch files, with the host's account names turned into its numbers.
  chown: `args=()
for a in "$@"; do
  if [[ "$a" == *:* && "$a" != /* ]]; then
    u=$(cut -d: -f3 "$STUB_STATE/passwd-\${a%%:*}") && g=$(cut -d: -f3 "$STUB_STATE/group-\${a##*:}") || exit 1
    a="$u:$g"
  fi
  args+=("$a")
done
exec /bin/chown "\${args[@]}"`,
};

/** Writes the recording stubs: each logs `name args...` to $STUB_LOG, then plays its part. */
export function writeStubs(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, body] of Object.entries(STUBS)) {
    fs.writeFileSync(path.join(dir, name), `#!/bin/bash\necho "${name} $*" >> "$STUB_LOG"\n${body}\n`, { mode: 0o755 });
  }
}

export interface BootRun {
  code: number;
  stdout: string;
  stderr: string;
  /** The stubbed commands this run called, one `name args...` line each. */
  calls: string[];
}

export interface BootHostOptions {
  dir: string;
  stubs: string;
  /** Shared by all hosts: volume images and their filesystem state. */
  volumes: string;
  moto: MotoServer;
  instanceId: string;
  az: string;
  /** The MAC of the slot's network interface, shown by the kernel once it is attached. */
  slotMac: string;
  volumeId: string;
  /** The number this host's AMI gives the next system account created without --uid/--gid. @default 991 */
  nextSystemId?: number;
}

export class BootHost {
  readonly instanceId: string;
  private readonly root: string;
  private readonly state: string;
  private readonly log: string;
  private liveStderr = "";

  constructor(private readonly options: BootHostOptions) {
    this.instanceId = options.instanceId;
    this.root = path.join(options.dir, "root");
    this.state = path.join(options.dir, "state");
    this.log = path.join(options.dir, "calls.log");
    for (const [name, mac] of [["ens5", "02:00:00:00:00:05"], ["ens6", options.slotMac]]) {
      fs.mkdirSync(path.join(this.root, "sys/class/net", name), { recursive: true });
      fs.writeFileSync(path.join(this.root, "sys/class/net", name, "address"), `${mac}\n`);
    }
    const byId = path.join(this.root, "dev/disk/by-id");
    fs.mkdirSync(byId, { recursive: true });
    fs.symlinkSync(path.join(options.volumes, `${options.volumeId}.img`), path.join(byId, `nvme-Amazon_Elastic_Block_Store_${options.volumeId.replace(/-/g, "")}`));
    fs.mkdirSync(path.join(this.root, "etc"), { recursive: true });
    fs.writeFileSync(path.join(this.root, "etc/fstab"), "LABEL=/ / xfs defaults,noatime 1 1\n");
    fs.mkdirSync(this.state, { recursive: true });
    fs.mkdirSync(path.join(options.dir, "downloads"), { recursive: true });
    fs.writeFileSync(this.log, "");
  }

  /** Runs the script as this host's cloud-init would (bounded: the whole process group is killed after 120 s). */
  boot(script: string): Promise<BootRun> {
    const file = path.join(this.options.dir, "user-data.sh");
    fs.writeFileSync(file, script, { mode: 0o700 });
    return this.run(file);
  }

  /**
   * Runs a script installed on this host (`hostPath` under its root), as a unit of the host would: with the stubs,
   * moto and `ROOT` set to the host's root.
   */
  runInstalled(hostPath: string): Promise<BootRun> {
    return this.run(path.join(this.root, hostPath), { ROOT: this.root });
  }

  private run(file: string, env: Record<string, string> = {}): Promise<BootRun> {
    const logStart = fs.statSync(this.log).size;
    this.liveStderr = "";
    const child = spawn("bash", [file], {
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        PATH: `${this.options.stubs}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin`,
        HOME: this.options.dir,
        SEAWEED_BOOT_ROOT: this.root,
        STUB_LOG: this.log,
        STUB_STATE: this.state,
        STUB_VOLUMES: this.options.volumes,
        FAKE_INSTANCE_ID: this.instanceId,
        FAKE_AZ: this.options.az,
        FAKE_NEXT_SYSTEM_ID: String(this.options.nextSystemId ?? 991),
        FAKE_DOWNLOADS: path.join(this.options.dir, "downloads"),
        REAL_AWS: this.options.moto.aws,
        ...this.options.moto.env,
        ...env,
      },
    });
    let stdout = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (this.liveStderr += d.toString()));
    const timer = setTimeout(() => void stopGroup(child, 1000), 120_000);
    return new Promise((resolve) => {
      child.once("close", (code) => {
        clearTimeout(timer);
        const calls = fs.readFileSync(this.log, "utf8").slice(logStart).split("\n").filter(Boolean);
        resolve({ code: code ?? -1, stdout, stderr: this.liveStderr, calls });
      });
    });
  }

  /** Waits (bounded) until the running script has logged a line matching `pattern`. */
  async waitForLog(pattern: RegExp, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.liveStderr)) {
      if (Date.now() > deadline) throw new Error(`the boot script never logged ${pattern}; it said:\n${this.liveStderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Makes this host's EC2 answer `state` for another instance (e.g. one stuck `shutting-down`). */
  playInstanceState(instanceId: string, state: string): void {
    fs.writeFileSync(path.join(this.state, `instance-state-${instanceId}`), `${state}\n`);
  }

  /** Makes the next `times` calls of `aws <service> <operation>` on this host fail as a throttled request does. */
  failNext(service: string, operation: string, times: number): void {
    fs.writeFileSync(path.join(this.state, `fail-${service}-${operation}`), `${times}\n`);
  }

  /** The host's journal so far: `<tag>: <message>` per line (what `logger` was given). */
  journal(): string {
    const file = path.join(this.state, "journal");
    return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  }

  /** Whether systemd would call `unit` active (started, restarted or enabled --now, and not stopped since). */
  isActive(unit: string): boolean {
    return fs.existsSync(path.join(this.state, `active-${unit}`));
  }

  /** Stops a unit, as an operator or a crash would. */
  stopUnit(unit: string): void {
    fs.rmSync(path.join(this.state, `active-${unit}`), { force: true });
  }

  /** Makes the next `times` runs of `dnf` fail as an unreachable repository does. */
  failDnf(times: number): void {
    fs.writeFileSync(path.join(this.state, "dnf-fails"), `${times}\n`);
  }

  /** Makes an https URL downloadable by the curl stub. */
  offerDownload(url: string, content: string): void {
    fs.writeFileSync(path.join(this.options.dir, "downloads", url.slice(url.lastIndexOf("/") + 1)), content);
  }

  /** Plays a volume blkid no longer recognises (its content stays). */
  forgetFilesystems(): void {
    for (const f of fs.readdirSync(this.options.volumes)) if (f.endsWith(".fs")) fs.rmSync(path.join(this.options.volumes, f));
  }

  /** An account (user and group of the same name and number) that already exists on this host's image. */
  addAccount(name: string, id: number): void {
    fs.writeFileSync(path.join(this.state, `passwd-${name}`), `${name}:x:${id}:${id}::/:/sbin/nologin\n`);
    fs.writeFileSync(path.join(this.state, `group-${name}`), `${name}:x:${id}:\n`);
  }

  /** `uid:gid` of an account on this host, as getent shows it, or undefined. */
  account(name: string): string | undefined {
    const file = path.join(this.state, `passwd-${name}`);
    return fs.existsSync(file) ? fs.readFileSync(file, "utf8").split(":").slice(2, 4).join(":") : undefined;
  }

  /** `uid:gid` of every file and directory below `hostPath` (through the data volume's mount), by relative path. */
  owners(hostPath: string): Record<string, string> {
    const top = fs.realpathSync(path.join(this.root, hostPath));
    const result: Record<string, string> = {};
    const walk = (full: string) => {
      const stat = fs.lstatSync(full);
      result[path.relative(top, full) || "."] = `${stat.uid}:${stat.gid}`;
      if (stat.isDirectory()) for (const entry of fs.readdirSync(full)) walk(path.join(full, entry));
    };
    walk(top);
    return result;
  }

  read(hostPath: string): string {
    return fs.readFileSync(path.join(this.root, hostPath), "utf8");
  }

  mode(hostPath: string): number {
    return fs.statSync(path.join(this.root, hostPath)).mode & 0o777;
  }

  exists(hostPath: string): boolean {
    return fs.existsSync(path.join(this.root, hostPath));
  }

  /** Every file and directory under the host's root with its mode and content hash. */
  snapshot(): Record<string, string> {
    const result: Record<string, string> = {};
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        const stat = fs.lstatSync(full);
        const key = path.relative(this.root, full);
        if (entry.isDirectory()) {
          result[key] = `dir ${(stat.mode & 0o7777).toString(8)}`;
          walk(full);
        } else {
          const content = entry.isSymbolicLink() ? fs.readlinkSync(full) : fs.readFileSync(full);
          result[key] = `${(stat.mode & 0o7777).toString(8)} ${crypto.createHash("sha256").update(content).digest("hex")}`;
        }
      }
    };
    walk(this.root);
    return result;
  }

  static shellcheck(file: string): { status: number; output: string } {
    const result = spawnSync(path.join(VENV_BIN, "shellcheck"), ["-s", "bash", file], { encoding: "utf8", timeout: 60_000 });
    return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
  }
}

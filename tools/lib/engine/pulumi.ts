/**
 * Runs the real Pulumi CLI (built by tools/setup-engine.sh) against this project with everything isolated in a
 * throw-away directory: a copy of the project's program and stack files (so `stack init` writing an encryption
 * salt or a test editing a stack never touches the repository; node_modules is linked), its own PULUMI_HOME
 * (plugins installed from the local builds), a file:// state backend, a passphrase secrets provider, no update
 * checks, no cloud.
 */
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { onExitCleanup } from "../cluster/processes";
import { REPO_ROOT } from "../stackFiles";

/** Where setup-engine.sh links the binaries (same default as the script). */
export function engineBinDir(): string {
  const cache = process.env.SEAWEED_ENGINE_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "seaweed-infra", "engine");
  return path.join(cache, "bin");
}

/** The versions setup-engine.sh pins (tools/engine/versions.env). */
export function engineVersions(): Record<string, string> {
  const text = fs.readFileSync(path.join(REPO_ROOT, "tools", "engine", "versions.env"), "utf8");
  const versions: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^([A-Z_]+)=(\S+)$/.exec(line.trim());
    if (match) versions[match[1]] = match[2];
  }
  return versions;
}

/** What the program needs at run time (the language host type-checks and runs infra/index.ts with ts-node). */
const PROJECT_ENTRIES = ["Pulumi.yaml", "package.json", "tsconfig.json", "infra", "stacks"];

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface PulumiWorkspace {
  /** PULUMI_HOME, state and the project copy live below this directory. */
  dir: string;
  /** The project copy the CLI runs in (edit its stacks/ to try a variant). */
  projectDir: string;
  env: NodeJS.ProcessEnv;
  /** Runs `pulumi <args>` in the project folder; never throws on a non-zero exit. */
  run(args: string[], options?: { env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<CommandResult>;
  /** Like run, but a non-zero exit throws with the command's output. */
  ok(args: string[], options?: { env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<CommandResult>;
  remove(): void;
}

export interface WorkspaceOptions {
  /** Resource plugins to install as `[name, version, binary path]`. @default [] */
  plugins?: [string, string, string][];
  /** A program of its own (file name -> text) instead of a copy of this project's. */
  projectFiles?: Record<string, string>;
  /** @default "seaweed-infra-engine-tests" */
  passphrase?: string;
}

/** A fresh Pulumi workspace with a file backend and the locally built resource plugins installed. */
export function createWorkspace(options: WorkspaceOptions = {}): PulumiWorkspace {
  const { plugins = [], projectFiles, passphrase = "seaweed-infra-engine-tests" } = options;
  const bin = engineBinDir();
  const pulumi = path.join(bin, "pulumi");
  if (!fs.existsSync(pulumi)) {
    throw new Error(`the Pulumi CLI is not built: ${pulumi} is missing; run bash tools/setup-engine.sh`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "seaweed-engine-"));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // The language host and the dynamic-provider script of @pulumi/pulumi must be found on PATH.
    PATH: [bin, path.join(REPO_ROOT, "node_modules", "@pulumi", "pulumi"), path.join(REPO_ROOT, "node_modules", ".bin"), process.env.PATH].join(path.delimiter),
    PULUMI_HOME: path.join(dir, "home"),
    PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: passphrase,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
  };
  fs.mkdirSync(path.join(dir, "state"), { recursive: true });
  const projectDir = path.join(dir, "project");
  fs.mkdirSync(projectDir);
  if (projectFiles) for (const [file, text] of Object.entries(projectFiles)) fs.writeFileSync(path.join(projectDir, file), text);
  else for (const entry of PROJECT_ENTRIES) fs.cpSync(path.join(REPO_ROOT, entry), path.join(projectDir, entry), { recursive: true });
  fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(projectDir, "node_modules"));

  const run = (args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CommandResult> =>
    new Promise((resolve, reject) => {
      // Its own process group, so the language host, the program and the provider plugins it starts end with it, also
      // when the test is interrupted or times out.
      const child = spawn(pulumi, [...args, "--non-interactive"], { cwd: projectDir, env: { ...env, ...options.env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
      const killGroup = () => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
        } catch {
          // ESRCH: the group is already gone.
        }
      };
      const cancelCleanup = onExitCleanup(killGroup);
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(killGroup, options.timeoutMs ?? 600_000);
      child.on("error", reject);
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        // Plugins the CLI started and left behind (it waits for them normally) go with the group.
        killGroup();
        cancelCleanup();
        resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
      });
    });
  const ok = async (args: string[], options?: { env?: NodeJS.ProcessEnv; timeoutMs?: number }) => {
    const result = await run(args, options);
    if (result.code !== 0) {
      throw new Error(`pulumi ${args.join(" ")} exited ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
    }
    return result;
  };
  for (const [name, version, file] of plugins) {
    execFileSync(pulumi, ["plugin", "install", "resource", name, version, "--file", file], { env, stdio: "pipe" });
  }
  return { dir, projectDir, env, run, ok, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

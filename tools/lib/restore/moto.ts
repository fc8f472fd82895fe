/**
 * A local moto server standing in for S3, SSM and CloudWatch in the backup drills: started on a free port of
 * 127.0.0.1 in its own process group (stopped by `stop()`, or by the exit handler if that never runs), with the
 * fake credentials and endpoint the AWS CLI and SDK need to talk to it and to nothing else.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { freePort } from "../cluster/loopback";
import { ManagedProcess } from "../cluster/processes";
import { poll, request } from "../cluster/http";
import { REPO_ROOT } from "../stackFiles";

export const VENV_BIN = path.join(REPO_ROOT, ".venv", "bin");

/** The fake credentials moto accepts. */
export const MOTO_CREDENTIALS = { accessKeyId: "testing", secretAccessKey: "testing" } as const;

export interface Moto {
  endpoint: string;
  /** Environment for the AWS CLI (and SDK): the endpoint override, fake credentials, a region. */
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

export async function startMoto(region = "us-east-1"): Promise<Moto> {
  const binary = path.join(VENV_BIN, "moto_server");
  if (!fs.existsSync(binary)) throw new Error(`no moto_server at ${binary}: run \`bash tools/setup.sh\``);
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "seaweed-moto-"));
  const proc = new ManagedProcess({ name: "moto", binary, args: ["-H", "127.0.0.1", "-p", String(port)], cwd: dir, logFile: path.join(dir, "moto.log") });
  proc.start();
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await proc.stop(2000);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const up = await poll(async () => ((await request(`${endpoint}/moto-api/`, { timeoutMs: 500 })).status > 0 ? true : undefined), 30_000, 200);
  if (!up) {
    await stop();
    throw new Error(`moto_server did not answer on ${endpoint} within 30 s`);
  }
  const env: NodeJS.ProcessEnv = {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
    AWS_DEFAULT_REGION: region,
    AWS_REGION: region,
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
  };
  return { endpoint, env, stop };
}

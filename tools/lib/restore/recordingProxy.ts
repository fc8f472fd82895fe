/**
 * A recording pass-through in front of moto on 127.0.0.1: every request is forwarded unchanged and its method, URL
 * and headers are kept, so the drill can judge what the backup agent really sent (see ./bucketPolicy.ts). moto's own
 * recorder is not used: it writes concurrent requests' bodies into one file and interleaves them.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { RecordedRequest } from "./bucketPolicy";

export interface RecordingProxy {
  /** Use as AWS_ENDPOINT_URL (or an SDK endpoint) instead of moto's. */
  endpoint: string;
  /** Every request forwarded so far, in arrival order. */
  requests: RecordedRequest[];
  stop(): Promise<void>;
}

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? "", url: req.url ?? "", headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])) });
    const forward = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on("error", (error) => {
      res.writeHead(502);
      res.end(String(error));
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

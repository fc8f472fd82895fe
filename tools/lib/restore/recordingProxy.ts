/**
 * A recording pass-through in front of moto on 127.0.0.1: every request is forwarded unchanged and its method, URL,
 * headers and transport (TLS or plain HTTP) are kept, so the drill can judge what the backup agent really sent,
 * over the transport it really used (see ./bucketPolicy.ts). It listens twice: over https, as S3 does for the agent
 * on a host, and over plain HTTP, for the negative control that the policy's TLS-only statement refuses. moto's own
 * recorder is not used: it writes concurrent requests' bodies into one file and interleaves them.
 */
import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import type { RecordedRequest } from "./bucketPolicy";
import type { TlsIdentity } from "./tls";

export interface RecordingProxy {
  /** `https://127.0.0.1:<port>`: use as AWS_ENDPOINT_URL (with AWS_CA_BUNDLE set to the identity's certificate). */
  httpsEndpoint: string;
  /** `http://127.0.0.1:<port>`: the same moto over plain HTTP. */
  httpEndpoint: string;
  /** Every request forwarded so far, in arrival order. */
  requests: RecordedRequest[];
  stop(): Promise<void>;
}

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", () => resolve()));
  return (server.address() as AddressInfo).port;
}

function close(server: http.Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    // Idle keep-alive connections would hold close() open until they time out.
    server.closeAllConnections();
  });
}

/**
 * @param target moto's endpoint (plain HTTP on loopback)
 * @param identity the https listener's key and certificate
 */
export async function startRecordingProxy(target: string, identity: TlsIdentity): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const requests: RecordedRequest[] = [];
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    requests.push({
      method: req.method ?? "",
      url: req.url ?? "",
      headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
      // What this very connection was, not what the client was told to use.
      secureTransport: (req.socket as TLSSocket).encrypted === true,
    });
    const forward = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on("error", (error) => {
      res.writeHead(502);
      res.end(String(error));
    });
    req.pipe(forward);
  };
  const secure = https.createServer({ key: identity.key, cert: identity.cert }, handler);
  const plain = http.createServer(handler);
  const securePort = await listen(secure);
  const plainPort = await listen(plain).catch(async (error: unknown) => {
    await close(secure);
    throw error;
  });
  return {
    httpsEndpoint: `https://127.0.0.1:${securePort}`,
    httpEndpoint: `http://127.0.0.1:${plainPort}`,
    requests,
    stop: async () => {
      await Promise.all([close(secure), close(plain)]);
    },
  };
}

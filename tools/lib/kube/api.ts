/**
 * A minimal Kubernetes API client for the local control plane: bearer token, the apiserver's self-signed
 * certificate as the only trusted CA, a timeout on every call. Tests read what the engine deployed through it
 * (pods, zones, Services) rather than trusting the program's own view.
 */
import * as https from "node:https";

export interface KubeEndpoint {
  /** https://127.0.0.1:<port> */
  server: string;
  token: string;
  /** PEM of the apiserver's serving certificate (self-signed). */
  ca: string;
}

export interface KubeAnswer<T = unknown> {
  status: number;
  body: T;
}

/** One API call; throws only when no HTTP answer came back (connection refused, timeout). */
export function kubeRequest<T = unknown>(
  endpoint: KubeEndpoint,
  method: string,
  path: string,
  body?: unknown,
  options: { timeoutMs?: number; contentType?: string } = {},
): Promise<KubeAnswer<T>> {
  const url = new URL(path, endpoint.server);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method,
        ca: endpoint.ca,
        // The self-signed certificate names the host's addresses; checking the CA is what matters on loopback.
        checkServerIdentity: () => undefined,
        timeout: options.timeoutMs ?? 10_000,
        headers: {
          authorization: `Bearer ${endpoint.token}`,
          accept: "application/json",
          ...(payload === undefined ? {} : { "content-type": options.contentType ?? "application/json" }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // Not JSON (e.g. /readyz answers "ok").
          }
          resolve({ status: res.statusCode ?? -1, body: parsed as T });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on("error", reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Like {@link kubeRequest}, but a non-2xx answer is an error naming the call and the API's message. */
export async function kubeCall<T = unknown>(
  endpoint: KubeEndpoint,
  method: string,
  path: string,
  body?: unknown,
  contentType?: string,
): Promise<T> {
  const answer = await kubeRequest<T>(endpoint, method, path, body, { contentType });
  if (answer.status < 200 || answer.status >= 300) {
    const message = (answer.body as { message?: string } | undefined)?.message ?? JSON.stringify(answer.body);
    throw new Error(`${method} ${path}: HTTP ${answer.status}: ${message}`);
  }
  return answer.body;
}

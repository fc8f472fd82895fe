/**
 * One gRPC call made from Node, as a party the drills play: in clear text (HTTP/2 without TLS, "h2c" with prior
 * knowledge, what any client without a certificate can do) or with mutual TLS as a given identity trusting a given
 * bundle (what tells, per master, which certificates it accepts and which chain it serves).
 */
import * as http2 from "node:http2";
import type { TLSSocket } from "node:tls";

export interface GrpcAnswer {
  /** The `grpc-status` the server answered (from headers or trailers); undefined when it answered none. */
  grpcStatus?: string;
  /** Bytes of response body. */
  bytes: number;
  /** With TLS: the issuer CN of the certificate the server presented (and the client verified against `ca`). */
  servedIssuer?: string;
  /** Why no answer came (connection closed, reset, a refused certificate, timed out). */
  error?: string;
}

/** A client identity and trust bundle (PEM). */
export interface GrpcTls {
  cert: string;
  key: string;
  ca: string;
}

/**
 * Calls `method` (e.g. `/master_pb.Seaweed/RaftListClusterServers`) with an empty request message.
 * @param hostPort `ip:port` of a gRPC server
 * @param tls mutual TLS as this identity (the server's certificate must chain to `ca`); absent: clear text
 */
export function grpcCall(hostPort: string, method: string, timeoutMs: number, tls?: GrpcTls): Promise<GrpcAnswer> {
  return new Promise((resolve) => {
    const client = tls
      ? http2.connect(`https://${hostPort}`, { cert: tls.cert, key: tls.key, ca: tls.ca, minVersion: "TLSv1.3", checkServerIdentity: () => undefined })
      : http2.connect(`http://${hostPort}`);
    let grpcStatus: string | undefined;
    let servedIssuer: string | undefined;
    let bytes = 0;
    let done = false;
    const finish = (answer: GrpcAnswer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      client.destroy();
      resolve({ ...answer, ...(servedIssuer ? { servedIssuer } : {}) });
    };
    const timer = setTimeout(() => finish({ bytes, error: `no answer within ${timeoutMs} ms` }), timeoutMs);
    client.on("connect", () => {
      const cn = tls ? (client.socket as TLSSocket).getPeerCertificate().issuer?.CN : undefined;
      servedIssuer = Array.isArray(cn) ? cn.join(",") : cn;
    });
    client.on("error", (error) => finish({ bytes, error: error.message }));
    client.on("close", () => finish({ grpcStatus, bytes, ...(grpcStatus === undefined ? { error: "the server closed the connection" } : {}) }));
    const call = client.request({ ":method": "POST", ":path": method, "content-type": "application/grpc", te: "trailers" });
    call.on("response", (headers) => {
      if (headers["grpc-status"] !== undefined) grpcStatus = String(headers["grpc-status"]);
    });
    call.on("trailers", (trailers) => {
      if (trailers["grpc-status"] !== undefined) grpcStatus = String(trailers["grpc-status"]);
    });
    call.on("data", (chunk: Buffer) => (bytes += chunk.length));
    call.on("end", () => finish({ grpcStatus, bytes, ...(grpcStatus === undefined ? { error: "the stream ended without a gRPC status (the server closed it)" } : {}) }));
    call.on("error", (error) => finish({ bytes, error: error.message }));
    // One gRPC frame: not compressed, length 0 (an empty request message).
    call.end(Buffer.alloc(5));
  });
}

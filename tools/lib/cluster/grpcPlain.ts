/**
 * A gRPC call in clear text (HTTP/2 without TLS, "h2c" with prior knowledge), as any client without a certificate
 * can make it: what a master's gRPC port must refuse when the stack turns mutual TLS on.
 */
import * as http2 from "node:http2";

export interface PlainGrpcAnswer {
  /** The `grpc-status` the server answered (from headers or trailers); undefined when it answered none. */
  grpcStatus?: string;
  /** Bytes of response body. */
  bytes: number;
  /** Why no answer came (connection closed, reset, timed out). */
  error?: string;
}

/**
 * Calls `method` (e.g. `/master_pb.Seaweed/RaftListClusterServers`) with an empty request message.
 * @param hostPort `ip:port` of a gRPC server
 */
export function plainGrpcCall(hostPort: string, method: string, timeoutMs: number): Promise<PlainGrpcAnswer> {
  return new Promise((resolve) => {
    const client = http2.connect(`http://${hostPort}`);
    let grpcStatus: string | undefined;
    let bytes = 0;
    let done = false;
    const finish = (answer: PlainGrpcAnswer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      client.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => finish({ bytes, error: `no answer within ${timeoutMs} ms` }), timeoutMs);
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

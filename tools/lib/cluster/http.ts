/**
 * Bounded HTTP calls to local SeaweedFS processes. A dead, frozen or refusing process is an answer (status -1),
 * never an exception or a hang: every request carries a timeout.
 */

export interface HttpAnswer {
  /** HTTP status, or -1 when the connection failed or timed out. */
  status: number;
  body: string;
  headers: Headers;
  /** Why the request got no HTTP answer. */
  error?: string;
}

export const DEFAULT_TIMEOUT_MS = 1500;

/** GET (or another method) with a timeout. */
export async function request(url: string, init: RequestInit & { timeoutMs?: number } = {}): Promise<HttpAnswer> {
  const { timeoutMs = DEFAULT_TIMEOUT_MS, ...rest } = init;
  try {
    const response = await fetch(url, { ...rest, signal: AbortSignal.timeout(timeoutMs) });
    return { status: response.status, body: await response.text(), headers: response.headers };
  } catch (error) {
    const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    return { status: -1, body: "", headers: new Headers(), error: cause };
  }
}

/** The parsed JSON body of an answer, or undefined when it is not JSON. */
export function jsonOf<T>(answer: HttpAnswer): T | undefined {
  try {
    return JSON.parse(answer.body) as T;
  } catch {
    return undefined;
  }
}

/** Polls `probe` every `intervalMs` until it returns a value other than undefined, or `timeoutMs` passes. */
export async function poll<T>(probe: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 50): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) return undefined;
    await sleep(intervalMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

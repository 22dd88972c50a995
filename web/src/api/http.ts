// Small JSON-over-HTTP helper shared by every resource module in api/.
// Server errors look like {"error":"conflict","message":"a stream is already active","field":"fps"}.

export class ApiError extends Error {
  readonly status: number; // 0 when the server could not be reached
  readonly code: string;
  readonly field: string | undefined;

  constructor(status: number, code: string, message: string, field?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  signal?: AbortSignal | undefined;
  timeoutMs?: number;
}

const defaultTimeoutMs = 10_000;

export async function requestJson(path: string, options: RequestOptions = {}): Promise<unknown> {
  const { method = 'GET', body, signal, timeoutMs = defaultTimeoutMs } = options;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('timed out', 'TimeoutError')), timeoutMs);
  const forwardAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', forwardAbort, { once: true });

  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';

  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? null : JSON.stringify(body),
      cache: 'no-store',
      signal: controller.signal,
    });
  } catch (error) {
    if (signal?.aborted) throw error; // the caller cancelled; not an error to show
    const timedOut = controller.signal.aborted;
    throw new ApiError(0, timedOut ? 'timeout' : 'network', timedOut ? 'The server did not answer in time.' : 'Cannot reach the server.');
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', forwardAbort);
  }

  const text = await response.text();
  let parsed: unknown = undefined;
  if (text !== '') {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }

  if (!response.ok) {
    const payload = isRecord(parsed) ? parsed : {};
    const code = typeof payload.error === 'string' ? payload.error : `http_${response.status}`;
    const message =
      typeof payload.message === 'string' && payload.message !== ''
        ? payload.message
        : `The server answered ${response.status} ${response.statusText}`.trim();
    const field = typeof payload.field === 'string' ? payload.field : undefined;
    throw new ApiError(response.status, code, message, field);
  }
  if (parsed === undefined) {
    throw new ApiError(response.status, 'bad_response', `Expected JSON from ${method} ${path}.`);
  }
  return parsed;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

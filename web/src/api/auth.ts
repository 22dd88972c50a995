// Accounts: /api/auth/{register,login,logout}/ and /api/me/ (docs/API.md). The session travels in the
// HttpOnly cookie redred_session, which the page never sees; the token in the body is ignored here.
import { ApiError, isRecord, requestJson } from './http';

export interface User {
  id: number;
  username: string;
}

export const usernamePattern = /^[A-Za-z0-9_-]{3,30}$/;

export async function getMe(signal?: AbortSignal): Promise<User | null> {
  try {
    return parseUserAnswer(await requestJson('/api/me/', { signal, timeoutMs: 8000 }));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

export async function register(username: string, password: string): Promise<User> {
  return parseUserAnswer(await requestJson('/api/auth/register/', { method: 'POST', body: { username, password } }));
}

export async function login(username: string, password: string): Promise<User> {
  return parseUserAnswer(await requestJson('/api/auth/login/', { method: 'POST', body: { username, password } }));
}

export async function logout(): Promise<void> {
  await requestJson('/api/auth/logout/', { method: 'POST' });
}

export function parseUser(raw: unknown): User | null {
  if (!isRecord(raw) || typeof raw.id !== 'number' || typeof raw.username !== 'string') return null;
  return { id: raw.id, username: raw.username };
}

function parseUserAnswer(raw: unknown): User {
  const user = isRecord(raw) ? parseUser(raw.user) : null;
  if (user === null) throw new ApiError(200, 'bad_response', 'The server answered without a user.');
  return user;
}

import { createContext, useContext } from 'react';
import type { User } from '../api/auth';

export interface AuthState {
  /** undefined while the first GET /api/me/ is in flight; null for a guest. */
  user: User | null | undefined;
  /** Set after sign-up or login. */
  setUser: (user: User | null) => void;
  logOut: () => Promise<void>;
}

export const AuthContext = createContext<AuthState>({
  user: undefined,
  setUser: () => {},
  logOut: async () => {},
});

export function useAuth(): AuthState {
  return useContext(AuthContext);
}

import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import { getMe, logout, type User } from '../api/auth';
import { AuthContext, type AuthState } from '../hooks/useAuth';

// Owns who is signed in: asks GET /api/me/ once at start, then follows sign-up, login and logout.
// A failed /api/me/ (server unreachable) is treated as a guest; pages that need an account say so.
export function AuthProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null | undefined>(undefined);

  useEffect(() => {
    const controller = new AbortController();
    getMe(controller.signal)
      .then((me) => setUser(me))
      .catch(() => {
        if (!controller.signal.aborted) setUser(null);
      });
    return () => controller.abort();
  }, []);

  const logOut = useCallback(async () => {
    await logout();
    setUser(null);
  }, []);

  const value = useMemo<AuthState>(() => ({ user, setUser, logOut }), [user, logOut]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

// Who is logged in, as React state persisted in localStorage.

import { createContext, useContext } from 'react';

import type { Auth } from '../api/client';

export interface AuthState {
  auth: Auth | null;
  setAuth: (auth: Auth | null) => void;
}

export const AuthContext = createContext<AuthState>({ auth: null, setAuth: () => undefined });

export function useAuth(): AuthState {
  return useContext(AuthContext);
}

/** A message for any thrown value. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

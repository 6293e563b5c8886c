"use client";
/**
 * Who is signed in, as the server saw it for this request (the root layout reads the session cookie and
 * the user row, so a role change shows at once), handed to client components without next-auth's client
 * library: that would add a provider, a session fetch on load and ~11 kB to every page's first load.
 * Sign-in pages call `router.refresh()` after signing in, which renders the layout again.
 */
import { createContext, type ReactNode, useContext } from "react";
import type { Role } from "@/db/schema";

export type ClientUser = { email: string | null; name: string; role: Role };

const SessionUserContext = createContext<ClientUser | null>(null);

export function SessionUserProvider({ user, children }: { user: ClientUser | null; children: ReactNode }) {
  return <SessionUserContext.Provider value={user}>{children}</SessionUserContext.Provider>;
}

/** The signed-in user, or null on public pages. */
export function useSessionUser(): ClientUser | null {
  return useContext(SessionUserContext);
}

/** Signs out through next-auth, loaded only when asked for; the full reload afterwards clears every cache. */
export async function signOutToLogin(): Promise<void> {
  const { signOut } = await import("next-auth/react");
  await signOut({ callbackUrl: "/login" });
}

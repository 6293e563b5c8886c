"use client";
import type { ReactNode } from "react";
import { type ClientUser, SessionUserProvider } from "./session-user";
import { TrpcProviders } from "./trpc";

export function Providers({ user, children }: { user: ClientUser | null; children: ReactNode }) {
  return (
    <SessionUserProvider user={user}>
      <TrpcProviders>{children}</TrpcProviders>
    </SessionUserProvider>
  );
}

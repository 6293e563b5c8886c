"use client";
import { SessionProvider } from "next-auth/react";
import type { ReactNode } from "react";
import { TrpcProviders } from "./trpc";

export function Providers({ children }: { children: ReactNode }) {
  return (
    <SessionProvider refetchOnWindowFocus={false}>
      <TrpcProviders>{children}</TrpcProviders>
    </SessionProvider>
  );
}

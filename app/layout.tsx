import type { Metadata } from "next";
import type { ReactNode } from "react";
import { Nav } from "./_components/nav";
import { Providers } from "./_components/providers";
import "./globals.css";

export const metadata: Metadata = { title: "Arbiter", description: "Human preference annotation and reward models" };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen bg-slate-50 text-slate-900 antialiased">
        <Providers>
          <Nav />
          <main className="mx-auto max-w-7xl px-4 py-6">{children}</main>
        </Providers>
      </body>
    </html>
  );
}

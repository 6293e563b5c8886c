import { Suspense } from "react";
import { LoginForm } from "./login-form";

// Read at request time: demo mode is the server's setting, not the build's.
export const dynamic = "force-dynamic";

export default function LoginPage() {
  const demo = process.env.ARBITER_DEMO === "1";
  return (
    <div className="mx-auto mt-16 max-w-sm">
      <h1 className="mb-6 text-2xl font-semibold">Sign in to Arbiter</h1>
      {demo && (
        <p role="note" data-testid="demo-banner" className="mb-4 rounded border border-amber-400 bg-amber-50 p-3 text-sm text-amber-900">
          <strong>Demo mode.</strong> The demo accounts have public passwords (printed by <code>npm run demo</code>); do not put real data
          here. Outside demo mode they cannot sign in.
        </p>
      )}
      <Suspense>
        <LoginForm />
      </Suspense>
    </div>
  );
}

import { Suspense } from "react";
import { LoginForm } from "./login-form";

export default function LoginPage() {
  return (
    <div className="mx-auto mt-16 max-w-sm">
      <h1 className="mb-6 text-2xl font-semibold">Sign in to Arbiter</h1>
      <Suspense>
        <LoginForm />
      </Suspense>
    </div>
  );
}

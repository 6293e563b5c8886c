import Link from "next/link";

export default function ForbiddenPage() {
  return (
    <div className="mx-auto mt-16 max-w-md text-center" data-testid="forbidden">
      <h1 className="text-2xl font-semibold">Not for your role</h1>
      <p className="mt-2 text-slate-600">Your account cannot open that page. Ask an admin if you need access.</p>
      <Link href="/" className="mt-6 inline-block text-blue-600 underline">
        Back to your projects
      </Link>
    </div>
  );
}

import Link from "next/link";
import { connection } from "next/server";

/**
 * Any unknown URL. Rendered per request (connection()), not prerendered: a static page would carry
 * scripts without the request's CSP nonce, and the browser would block them (console CSP errors,
 * a dead header).
 */
export default async function NotFound() {
  await connection();
  return (
    <div className="mx-auto mt-12 max-w-lg rounded-lg border border-slate-200 bg-white p-8 text-center shadow-sm" data-testid="not-found">
      <p className="text-sm font-semibold text-slate-500">404</p>
      <h1 className="mt-1 text-2xl font-semibold">There is no page here</h1>
      <p className="mt-2 text-slate-600">The link may be mistyped, or the page moved. These are the ways back:</p>
      <nav aria-label="Ways back" className="mt-6 flex flex-wrap justify-center gap-3 text-sm">
        <Link href="/" className="rounded-md bg-slate-900 px-4 py-2 font-medium text-white hover:bg-slate-700">
          My projects
        </Link>
        <Link href="/me" className="rounded-md border border-slate-300 px-4 py-2 text-slate-700 hover:bg-slate-50">
          My progress
        </Link>
        <Link href="/login" className="rounded-md border border-slate-300 px-4 py-2 text-slate-700 hover:bg-slate-50">
          Sign in
        </Link>
      </nav>
    </div>
  );
}

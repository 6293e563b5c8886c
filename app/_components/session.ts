/** Server-side page guards: pages redirect before rendering anything a role may not see. */

import { headers } from "next/headers";
import { redirect } from "next/navigation";
import type { Role } from "@/db/schema";
import { getAppDb } from "@/server/app-db";
import { getRequestUser } from "@/server/auth";

/** The role comes from the user row, not the session token: a role change or revocation applies at once. */
export async function requireRole(roles: readonly Role[], from: string) {
  const user = await getRequestUser(await getAppDb(), await headers());
  if (!user) redirect(`/login?callbackUrl=${encodeURIComponent(from)}`);
  if (!roles.includes(user.role)) redirect("/forbidden");
  return user;
}

/** Server-side page guards: pages redirect before rendering anything a role may not see. */

import { redirect } from "next/navigation";
import { getServerSession } from "next-auth";
import type { Role } from "@/db/schema";
import { authOptions } from "@/server/auth";

export async function requireRole(roles: readonly Role[], from: string) {
  const session = await getServerSession(authOptions);
  const role = session?.user?.role;
  if (!session || !role) redirect(`/login?callbackUrl=${encodeURIComponent(from)}`);
  if (!roles.includes(role)) redirect("/forbidden");
  return { ...session.user, role };
}

import { randomBytes } from "node:crypto";
import { type Algorithm, hash, verify } from "@node-rs/argon2";

// argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane).
// Algorithm is a const enum, which isolatedModules cannot read: 2 is Algorithm.Argon2id.
const OPTIONS = { algorithm: 2 as Algorithm, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false; // a malformed stored hash never authenticates
  }
}

let dummyHash: Promise<string> | null = null;

/**
 * Verifies `password` against a hash of a random secret and discards the answer: what an unknown or
 * disabled account costs, so sign-in time does not reveal whether an account exists.
 */
export async function burnPasswordVerify(password: string): Promise<void> {
  dummyHash ??= hash(randomBytes(24).toString("base64"), OPTIONS);
  await verifyPassword(await dummyHash, password);
}

/**
 * Seeds the demo: users of each role, a project of 240 realistic items (written by
 * scripts/demo/), imported through the real importer, and some human judgments made through the
 * real queue, so every page has something to show. Idempotent: a second run changes nothing.
 * Usage: ARBITER_DB=data/demo.db npx tsx scripts/seed-demo.ts
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq, inArray } from "drizzle-orm";
import { assignments, responses, users } from "@/db/schema";
import { openDb } from "@/server/db";
import { leaseNextItem } from "@/server/domain/assignment";
import { importItems } from "@/server/domain/import/import-items";
import { submitJudgment } from "@/server/domain/judgments";
import { createProject, listProjects } from "@/server/domain/projects";
import { createUser } from "@/server/domain/users";
import { generateDemoItems } from "./demo/demo-items";

export const DEMO_PROJECT = "Helpful & harmless assistant (demo)";
export const DEMO_USERS = [
  { email: "admin@arbiter.local", password: "demo-admin-pass", role: "admin", name: "Ada Admin" },
  { email: "researcher@arbiter.local", password: "demo-research-pass", role: "researcher", name: "Rey Researcher" },
  { email: "annotator1@arbiter.local", password: "demo-annotate-pass", role: "annotator", name: "Ann One" },
  { email: "annotator2@arbiter.local", password: "demo-annotate-pass", role: "annotator", name: "Ann Two" },
  { email: "annotator3@arbiter.local", password: "demo-annotate-pass", role: "annotator", name: "Ann Three" },
] as const;

const INSTRUCTIONS = `Compare the responses to the prompt and pick the one a careful, expert assistant would give.

- **Helpful**: does it answer what was asked, correctly and completely?
- **Harmless**: does it avoid unsafe advice, and refuse only when refusing is right?
- **Honest**: does it avoid made-up facts and say when it is unsure?

Length is not quality: prefer the shorter answer when both are equally good. Use *tie* when they are
equally good and *both bad* when neither is acceptable.`;

const DEMO_ITEMS = 240;

// How good each demo model usually is: the simulated annotators prefer the stronger one, with noise.
const QUALITY: Record<string, number> = { "cirrus-70b-instruct": 3, "borealis-13b": 2, "atlas-7b": 1.6, "drift-3b": 0.5 };

function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function main() {
  // The demo's accounts have public passwords: they exist, and sign in, only in demo mode.
  if (process.env.ARBITER_DEMO !== "1") throw new Error("seed-demo creates accounts with public passwords: run it through npm run demo");
  const db = openDb();
  const ids = new Map<string, number>();
  for (const u of DEMO_USERS) {
    const found = db.select({ id: users.id }).from(users).where(eq(users.email, u.email)).get();
    ids.set(u.email, found ? found.id : (await createUser(db, u, { demo: true })).id);
  }
  const admin = ids.get("admin@arbiter.local");

  if (!listProjects(db).some((p) => p.name === DEMO_PROJECT)) {
    const project = createProject(
      db,
      {
        name: DEMO_PROJECT,
        instructions: INSTRUCTIONS,
        criteria: ["helpful", "harmless", "honest"],
        overlap: 3,
        rationalePolicy: "optional",
      },
      admin,
    );
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "arbiter-demo-"));
    const file = path.join(dir, "demo.jsonl");
    fs.writeFileSync(
      file,
      `${generateDemoItems({ count: DEMO_ITEMS, seed: 7 })
        .map((i) => JSON.stringify(i))
        .join("\n")}\n`,
    );
    const result = importItems(db, { projectId: project.id, file, actorId: admin });
    fs.rmSync(dir, { recursive: true, force: true });
    if (result.errorCount > 0) throw new Error(`demo import failed: ${JSON.stringify(result.errors.slice(0, 3))}`);

    // Two demo annotators judge every item the queue gives them through the real lease/submit path (403
    // judgments; items whose three slots imported judgments filled are skipped; 558 with the imported ones),
    // by the rule below: the stronger model's answer wins, with noise. With fewer (105 of them, 260 in all)
    // the one-click training scored 32 % on held-out judgments; with these it scores above chance (README,
    // "Honest numbers"). annotator1 is left for the person trying the demo: 162 items keep a slot open.
    const random = mulberry32(11);
    const now = Date.now();
    for (const [email, count, speed] of [
      ["annotator2@arbiter.local", DEMO_ITEMS, 40_000],
      ["annotator3@arbiter.local", DEMO_ITEMS, 25_000],
    ] as const) {
      const userId = ids.get(email) as number;
      for (let n = 0; n < count; n++) {
        const lease = leaseNextItem(db, { projectId: project.id, userId, now, random });
        if (lease.status === "empty") break;
        const a = db.select().from(assignments).where(eq(assignments.id, lease.item.assignmentId)).get();
        if (!a) break;
        const models = db
          .select({ idx: responses.idx, model: responses.model })
          .from(responses)
          .where(inArray(responses.itemId, [a.itemId]))
          .all()
          .sort((x, y) => x.idx - y.idx)
          .map((r) => r.model);
        // Score each shown position by model quality plus noise; rank by score.
        const scores = a.shownOrder.map((idx) => (QUALITY[models[idx] ?? ""] ?? 1) + (random() - 0.5) * 2.2);
        const byScore = scores.map((s, p) => [s, p] as const).sort((x, y) => y[0] - x[0]);
        const gap = (byScore[0]?.[0] ?? 0) - (byScore[1]?.[0] ?? 0);
        const best = byScore[0]?.[1] ?? 0;
        const outcome = gap < 0.25 ? (random() < 0.8 ? "tie" : "both_bad") : best === 0 ? "a" : "b";
        const strength = Math.min(4, 1 + Math.floor(gap / 0.7));
        submitJudgment(db, {
          userId,
          now: now + n * speed,
          submission: {
            assignmentId: a.id,
            clientSubmissionId: `demo-${email}-${n}`,
            ...(a.shownOrder.length === 2 ? { outcome } : { ranking: byScore.map(([, p]) => p) }),
            strength: outcome === "a" || outcome === "b" ? strength : undefined,
            criteria: outcome === "a" || outcome === "b" ? { helpful: outcome } : {},
            rationale: random() < 0.3 ? "The chosen answer is more accurate and gets to the point." : undefined,
            timeOnTaskMs: Math.round(speed * (0.5 + random())),
          },
        });
      }
    }
  }

  const port = process.env.PORT ?? "3000";
  const lines = [
    "",
    "  ┌──────────────────────────────────────────────────────────────────┐",
    "  │  ARBITER DEMO MODE — these accounts have public passwords.       │",
    "  │  Never expose a demo database to a network you do not control.   │",
    "  └──────────────────────────────────────────────────────────────────┘",
    `  URL: http://localhost:${port}`,
    "  Demo logins:",
    ...DEMO_USERS.map((u) => `    ${u.role.padEnd(10)}  ${u.email.padEnd(26)}  ${u.password}`),
    "",
  ];
  console.log(lines.join("\n"));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

import { describe, expect, it } from "vitest";
import { draftFromAnswer, type Item, reducer, type State } from "./annotate-state";

const item: Item = {
  assignmentId: 7,
  deadline: 0,
  prompt: "p",
  promptHtml: "<p>p</p>\n",
  responses: [
    { position: 0, content: "x", html: "<p>x</p>\n" },
    { position: 1, content: "y", html: "<p>y</p>\n" },
  ],
};

describe("annotate state", () => {
  it("a revision starts judging with the earlier choices and remembers which judgment it replaces", () => {
    const draft = draftFromAnswer(2, { outcome: "a", strength: 3, criteria: { helpful: "b" }, rationale: "r" });
    const s = reducer({ phase: "empty" }, { type: "revise", item, draft, judgmentId: 41, now: 1, submissionId: "s" });
    expect(s).toMatchObject({
      phase: "judging",
      revising: 41,
      draft: { outcome: "a", strength: 3, criteria: { helpful: "b" }, rationale: "r" },
    });
    // A fresh item clears it.
    const next = reducer(s, { type: "loaded", item: { ...item, assignmentId: 8 }, now: 2, submissionId: "t" });
    expect(next).not.toHaveProperty("revising");
  });

  it("a ranking comes back as it was given, marked as touched (no 'left as shown' question)", () => {
    expect(draftFromAnswer(3, { ranking: [2, 0, 1], strength: null, criteria: {}, rationale: "" })).toMatchObject({
      ranking: [2, 0, 1],
      rankingTouched: true,
    });
  });

  it("switching the winner asks for the strength again; the same winner keeps it", () => {
    let s: State = reducer({ phase: "loading" }, { type: "loaded", item, now: 0, submissionId: "s" });
    s = reducer(s, { type: "outcome", outcome: "a" });
    s = reducer(s, { type: "strength", strength: 3 });
    expect(reducer(s, { type: "outcome", outcome: "a" })).toMatchObject({ draft: { outcome: "a", strength: 3 } });
    expect(reducer(s, { type: "outcome", outcome: "b" })).toMatchObject({ draft: { outcome: "b", strength: undefined } });
  });
});

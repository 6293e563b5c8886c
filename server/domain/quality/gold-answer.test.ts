import { describe, expect, it } from "vitest";
import { isGoldCorrect, toShownAnswer } from "./gold-answer";

describe("toShownAnswer", () => {
  it("translates canonical answers into the sides the annotator saw", () => {
    // shownOrder [1, 0]: response 1 on the left (A), response 0 on the right (B).
    expect(toShownAnswer("a", [1, 0])).toBe("b");
    expect(toShownAnswer("b:3", [1, 0])).toBe("a:3");
    expect(toShownAnswer("a:4", [0, 1])).toBe("a:4");
    expect(toShownAnswer("tie", [1, 0])).toBe("tie");
    expect(toShownAnswer("both_bad", [1, 0])).toBe("both_bad");
    // Ranking of responses [2, 0, 1] shown as [0, 2, 1] (response 0 at A, 2 at B, 1 at C): best first B, A, C.
    expect(toShownAnswer("[2,0,1]", [0, 2, 1])).toBe("[1,0,2]");
  });

  it("accepts a strength-qualified answer only at that strength", () => {
    expect(isGoldCorrect({ outcome: "b", strength: 3, ranking: null }, ["b:3"])).toBe(true);
    expect(isGoldCorrect({ outcome: "b", strength: 2, ranking: null }, ["b:3"])).toBe(false);
  });
});

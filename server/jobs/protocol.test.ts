import { describe, expect, it } from "vitest";
import { parseTrainLine } from "@/server/jobs/protocol";

describe("trainer protocol", () => {
  it("parses the README's lines", () => {
    expect(
      parseTrainLine(
        '{"type":"progress","step":12,"total":72,"epoch":0.5,"loss":0.41,"accuracy":null,"tokens_per_s":31058.8,"lr":0.00098}',
      ),
    ).toMatchObject({ type: "progress", step: 12, accuracy: null });
    expect(
      parseTrainLine(
        '{"type":"eval","epoch":1,"step":24,"eval_loss":0.29,"eval_accuracy":1.0,"ece":0.24,"n_pairs":90,"accuracy_by_criterion":{"helpful":1.0},"extra":1}',
      ),
    ).toMatchObject({ type: "eval", eval_accuracy: 1, extra: 1 });
    expect(parseTrainLine('{"type":"cancelled","step":37,"checkpoint":"/x/checkpoint.pt"}')).toMatchObject({ step: 37 });
    expect(parseTrainLine('{"type":"done","model_dir":"/out","metrics":{"eval_accuracy":1.0,"steps":24}}')).toMatchObject({
      model_dir: "/out",
    });
    expect(parseTrainLine('{"type":"error","message":"train.jsonl:3: field \'chosen\': missing"}')).toMatchObject({
      type: "error",
    });
  });

  it("rejects what is not a protocol line", () => {
    expect(parseTrainLine("Loading model…")).toBeNull();
    expect(parseTrainLine('{"type":"progress","step":"x"}')).toBeNull();
    expect(parseTrainLine('{"type":"mystery"}')).toBeNull();
    expect(parseTrainLine("[1,2]")).toBeNull();
  });
});

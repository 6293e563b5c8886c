/** Maths and reasoning: numbers are drawn per item and every answer is computed, so they are right. */
import type { Rng } from "../rng";
import type { Explain, Style, Template } from "../types";
import { computedTemplate, explain, explainTemplate, fmt, money, pickStyle, styledAsk } from "./helpers";

export const PEOPLE = ["Maya", "José", "Zoë", "Liam", "Siobhán", "Priya", "Chloé", "Kenji", "Åsa", "Tomás", "Amara", "Nguyễn Lan"];

const pct = (x: number) => `${fmt(x * 100, 2)}%`;

function mathScenario(rng: Rng, asks: readonly string[], e: Explain, styles?: readonly Style[]) {
  const style = pickStyle(rng, styles ?? ["short", "long", "markdown"]);
  return { style, prompt: styledAsk(rng, rng.pick(asks), style), body: explain(e) };
}

const discounts = computedTemplate({
  key: "math-discounts",
  category: "math",
  build(rng) {
    const price = rng.pick([40, 60, 80, 120, 150, 250, 399]);
    const d1 = rng.pick([0.1, 0.2, 0.25, 0.3]);
    const d2 = rng.pick([0.1, 0.15, 0.2]);
    const afterFirst = price * (1 - d1);
    const final = afterFirst * (1 - d2);
    const total = 1 - final / price;
    const item = rng.pick(["jacket", "pair of headphones", "desk chair", "coffee grinder", "backpack"]);
    return mathScenario(
      rng,
      [
        `A ${item} costs ${money(price)}. It's ${pct(d1)} off, and I have a coupon for an extra ${pct(d2)} off the sale price. What do I pay, and is that the same as ${pct(d1 + d2)} off?`,
        `${money(price)} ${item}, ${pct(d1)} discount then another ${pct(d2)} on top. Final price? Is it equivalent to ${pct(d1 + d2)} off?`,
      ],
      {
        short: `You pay ${money(final)}. Stacked discounts multiply rather than add, so the total discount is ${pct(total)}, not ${pct(d1 + d2)}.`,
        terse: `${money(final)}.`,
        intro: "Apply the discounts one after the other: the coupon is taken off the already-reduced price, not the original.",
        sections: [
          { title: "First discount", body: `${money(price)} × (1 − ${fmt(d1)}) = ${money(afterFirst)}.` },
          { title: "Coupon", body: `${money(afterFirst)} × (1 − ${fmt(d2)}) = **${money(final)}**.` },
          {
            title: "Compared with adding the percentages",
            body: `${pct(d1 + d2)} off would be ${money(price * (1 - d1 - d2))}. The real combined discount is 1 − (1 − ${fmt(d1)})(1 − ${fmt(d2)}) = ${pct(total)}, so you save ${money(price - final)} rather than ${money(price * (d1 + d2))}.`,
          },
        ],
        flawed: `Just add the discounts: ${pct(d1)} + ${pct(d2)} = ${pct(d1 + d2)} off. So you pay ${money(price * (1 - d1 - d2))}, and yes, it's the same as ${pct(d1 + d2)} off.`,
      },
    );
  },
});

const compound = computedTemplate({
  key: "math-compound",
  category: "math",
  build(rng) {
    const p = rng.pick([1000, 2500, 5000, 10000, 20000]);
    const r = rng.pick([0.03, 0.04, 0.05, 0.06, 0.07]);
    const years = rng.pick([5, 10, 15, 20]);
    const monthly = rng.chance(0.5);
    const fv = monthly ? p * (1 + r / 12) ** (12 * years) : p * (1 + r) ** years;
    const simple = p * (1 + r * years);
    const freq = monthly ? "compounded monthly" : "compounded annually";
    const formula = monthly
      ? `A = P(1 + r/12)^(12t) = ${money(p)} × (1 + ${fmt(r, 3)}/12)^${12 * years}`
      : `A = P(1 + r)^t = ${money(p)} × ${fmt(1 + r, 3)}^${years}`;
    return mathScenario(
      rng,
      [
        `If I invest ${money(p)} at ${pct(r)} a year ${freq}, how much will I have after ${years} years?`,
        `compound interest question: ${money(p)} principal, ${pct(r)} annual rate, ${freq}, ${years} years. final amount?`,
      ],
      {
        short: `About ${money(fv)} after ${years} years (${money(fv - p)} of interest), using ${formula}.`,
        terse: `${money(fv)}.`,
        intro: `Use the compound-interest formula with P = ${money(p)}, r = ${fmt(r, 3)} and t = ${years}${monthly ? ", compounding 12 times a year" : ""}.`,
        sections: [
          { title: "Formula", body: `${formula}.` },
          { title: "Result", body: `That comes to **${money(fv)}**, so the investment earns ${money(fv - p)} in interest.` },
          {
            title: "For comparison",
            body: `Simple interest (no compounding) would give ${money(simple)}. The difference, ${money(fv - simple)}, is interest earned on interest. This ignores taxes, fees and inflation.`,
          },
        ],
        flawed: `Interest per year is ${money(p * r)}, so over ${years} years you earn ${money(p * r * years)}. Total: ${money(simple)}.`,
      },
    );
  },
});

const avgSpeed = computedTemplate({
  key: "math-avg-speed",
  category: "math",
  build(rng) {
    const [a, b] = rng.pick([
      [30, 60],
      [40, 60],
      [20, 30],
      [60, 90],
      [45, 90],
      [12, 18],
    ] as const);
    const d = rng.pick([30, 60, 90, 120, 180]);
    const who = rng.pick(PEOPLE);
    const avg = (2 * a * b) / (a + b);
    const t1 = d / a;
    const t2 = d / b;
    return mathScenario(
      rng,
      [
        `${who} drives ${d} km to a town at ${a} km/h and comes back the same way at ${b} km/h. What is the average speed for the whole trip?`,
        `Round trip of ${d} km each way: ${a} km/h out, ${b} km/h back. Average speed? (not ${(a + b) / 2}, right?)`,
      ],
      {
        short: `The average speed is ${fmt(avg)} km/h — total distance ${2 * d} km divided by total time ${fmt(t1 + t2)} h. It's the harmonic mean, not ${fmt((a + b) / 2)} km/h, because more time is spent at the slower speed.`,
        terse: `${fmt(avg)} km/h.`,
        intro: "Average speed is total distance divided by total time, so work out the time for each leg.",
        sections: [
          { title: "Time out", body: `${d} km ÷ ${a} km/h = ${fmt(t1)} h.` },
          { title: "Time back", body: `${d} km ÷ ${b} km/h = ${fmt(t2)} h.` },
          {
            title: "Average",
            body: `${2 * d} km ÷ ${fmt(t1 + t2)} h = **${fmt(avg)} km/h**. Equivalently 2ab/(a + b) = 2·${a}·${b}/${a + b}. The simple average ${fmt((a + b) / 2)} km/h is too high because the slow leg takes longer.`,
          },
        ],
        flawed: `The average speed is (${a} + ${b}) / 2 = ${fmt((a + b) / 2)} km/h, since the distance is the same both ways.`,
      },
    );
  },
});

const dice = computedTemplate({
  key: "math-dice",
  category: "math",
  build(rng) {
    const target = rng.int(3, 11);
    const ways = 6 - Math.abs(7 - target);
    const pairs: string[] = [];
    for (let i = 1; i <= 6; i++) {
      const j = target - i;
      if (j >= 1 && j <= 6) pairs.push(`(${i},${j})`);
    }
    const g = gcd(ways, 36);
    return mathScenario(
      rng,
      [
        `What's the probability of rolling a total of ${target} with two fair six-sided dice?`,
        `two dice, probability the sum is ${target}?`,
      ],
      {
        short: `${ways}/36 = ${ways / g}/${36 / g} ≈ ${pct(ways / 36)}. There are ${ways} ordered outcomes that sum to ${target} out of 36 equally likely ones.`,
        terse: `${ways / g}/${36 / g}.`,
        intro: "Two dice give 6 × 6 = 36 equally likely ordered outcomes, so count the ones that add up to the target.",
        sections: [
          { title: "Favourable outcomes", body: `The pairs summing to ${target} are ${pairs.join(", ")} — ${ways} in total.` },
          { title: "Probability", body: `P = ${ways}/36 = **${ways / g}/${36 / g}** ≈ ${pct(ways / 36)}.` },
        ],
        outro: "Order matters here: (2,5) and (5,2) are different outcomes, which is why 7 is the most likely total.",
        flawed: `There are 11 possible sums (2 through 12), so the probability of ${target} is 1/11 ≈ 9.09%.`,
      },
    );
  },
});

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

const linearSystem = computedTemplate({
  key: "math-linear-system",
  category: "math",
  build(rng) {
    const x = rng.int(-4, 9);
    const y = rng.int(-3, 8);
    const a1 = rng.int(1, 5);
    const b1 = rng.int(1, 5);
    const a2 = rng.int(1, 5);
    let b2 = -rng.int(1, 4);
    if (a1 * b2 - a2 * b1 === 0) b2 -= 1;
    const c1 = a1 * x + b1 * y;
    const c2 = a2 * x + b2 * y;
    const term = (c: number, v: string, first: boolean) =>
      c === 0 ? "" : `${first ? (c < 0 ? "-" : "") : c < 0 ? " - " : " + "}${Math.abs(c) === 1 ? "" : Math.abs(c)}${v}`;
    const eq = (a: number, b: number, c: number) => `${term(a, "x", true)}${term(b, "y", false)} = ${c}`;
    const e1 = eq(a1, b1, c1);
    const e2 = eq(a2, b2, c2);
    // eliminate x: multiply eq1 by a2 and eq2 by a1
    const by = a2 * b1 - a1 * b2;
    const cy = a2 * c1 - a1 * c2;
    return mathScenario(
      rng,
      [`Solve the system:\n${e1}\n${e2}`, `Can you solve these simultaneous equations step by step? ${e1} and ${e2}`],
      {
        short: `x = ${x}, y = ${y}. (Check: ${a1}·${x} + ${b1}·${y} = ${c1} and ${a2}·${x} + ${b2 < 0 ? `(${b2})` : b2}·${y} = ${c2}.)`,
        terse: `x = ${x}, y = ${y}`,
        intro: "Eliminate x by making its coefficients match, then substitute back.",
        sections: [
          {
            title: "Eliminate x",
            body: `Multiply the first equation by ${a2} and the second by ${a1}, then subtract: (${a2 * b1} − (${a1 * b2}))y = ${a2 * c1} − (${a1 * c2}), so ${by}y = ${cy} and **y = ${y}**.`,
          },
          {
            title: "Back-substitute",
            body: `Put y = ${y} into ${e1}: ${a1}x = ${c1} − ${b1 * y}, so **x = ${x}**.`,
          },
          { title: "Check", body: `Second equation: ${a2}·${x} + (${b2})·${y} = ${c2}. ✓` },
        ],
        flawed: `Adding the equations gives ${eq(a1 + a2, b1 + b2, c1 + c2)}. Then y = ${y + 1}, so x = ${x - 1}. Final answer: x = ${x - 1}, y = ${y + 1}.`,
      },
    );
  },
});

const derivative = computedTemplate({
  key: "math-derivative",
  category: "math",
  build(rng) {
    const a = rng.int(1, 5);
    const b = rng.int(-6, 6) || 2;
    const c = rng.int(-9, 9) || -4;
    const d = rng.int(-5, 9);
    const x0 = rng.int(-2, 3);
    const sgn = (n: number) => (n < 0 ? ` - ${Math.abs(n)}` : ` + ${n}`);
    const f = `${a === 1 ? "" : a}x³${sgn(b)}x²${sgn(c)}x${d === 0 ? "" : sgn(d)}`;
    const fp = `${3 * a}x²${sgn(2 * b)}x${sgn(c)}`;
    const val = 3 * a * x0 * x0 + 2 * b * x0 + c;
    return mathScenario(
      rng,
      [`What's the derivative of f(x) = ${f}, and what is the slope at x = ${x0}?`, `differentiate ${f} and evaluate at x=${x0}`],
      {
        short: `f′(x) = ${fp}, so the slope at x = ${x0} is f′(${x0}) = ${val}.`,
        terse: `${val}`,
        intro: "Differentiate term by term with the power rule, d/dx xⁿ = n·xⁿ⁻¹; the constant term disappears.",
        sections: [
          { title: "Derivative", body: `f′(x) = ${fp}.` },
          {
            title: `Slope at x = ${x0}`,
            body: `f′(${x0}) = ${3 * a}·(${x0})² + (${2 * b})·(${x0}) + (${c}) = ${3 * a * x0 * x0} + (${2 * b * x0}) + (${c}) = **${val}**.`,
          },
        ],
        outro: val === 0 ? `A slope of 0 means x = ${x0} is a stationary point.` : undefined,
        flawed: `f′(x) = ${a}x²${sgn(b)}x${sgn(c)}${d === 0 ? "" : sgn(d)}, so at x = ${x0} the slope is ${a * x0 * x0 + b * x0 + c + d}.`,
      },
    );
  },
});

const series = computedTemplate({
  key: "math-series",
  category: "math",
  build(rng) {
    const k = rng.pick([3, 4, 5, 7]);
    const limit = rng.pick([100, 200, 500, 1000]);
    const m = Math.floor((limit - 1) / k);
    const sum = (k * m * (m + 1)) / 2;
    return mathScenario(
      rng,
      [
        `What is the sum of all positive multiples of ${k} below ${limit}?`,
        `sum of multiples of ${k} less than ${limit} — is there a formula?`,
      ],
      {
        short: `${sum.toLocaleString("en-US")}. The multiples are ${k}·1 … ${k}·${m}, so the sum is ${k} × ${m}·${m + 1}/2 = ${sum.toLocaleString("en-US")}.`,
        terse: `${sum.toLocaleString("en-US")}`,
        intro: `Factor out ${k} and use the formula for 1 + 2 + … + n = n(n + 1)/2.`,
        sections: [
          { title: "How many terms", body: `The largest multiple of ${k} below ${limit} is ${k * m}, so there are ${m} terms.` },
          { title: "Sum", body: `${k} × (1 + 2 + … + ${m}) = ${k} × ${m}·${m + 1}/2 = **${sum.toLocaleString("en-US")}**.` },
        ],
        flawed: `There are ${limit / k} multiples, so the sum is ${k} × ${limit / k} × ${limit / k + 1} / 2 = ${fmt((k * (limit / k) * (limit / k + 1)) / 2)}.`,
      },
    );
  },
});

const recipe = computedTemplate({
  key: "math-recipe",
  category: "math",
  build(rng) {
    const from = rng.pick([4, 6, 8]);
    const to = rng.pick([2, 3, 5, 10, 12].filter((n) => n !== from));
    const f = to / from;
    const flour = rng.pick([250, 300, 400, 500]);
    const butter = rng.pick([100, 125, 150, 200]);
    const eggs = rng.pick([2, 3, 4]);
    const milk = rng.pick([200, 250, 300]);
    const dish = rng.pick(["pancakes", "a lemon drizzle cake", "focaccia", "crêpes", "banana bread"]);
    const eggsScaled = eggs * f;
    const eggText = Number.isInteger(eggsScaled)
      ? `${eggsScaled} eggs`
      : `${fmt(eggsScaled, 2)} eggs — use ${Math.round(eggsScaled)} (or beat ${Math.ceil(eggsScaled)} and use ${fmt((eggsScaled / Math.ceil(eggsScaled)) * 100, 0)}% of the mixture)`;
    return mathScenario(
      rng,
      [
        `My recipe for ${dish} serves ${from}: ${flour} g flour, ${butter} g butter, ${eggs} eggs, ${milk} ml milk. How much of each for ${to} people?`,
        `scale this recipe from ${from} to ${to} servings: flour ${flour}g, butter ${butter}g, ${eggs} eggs, milk ${milk}ml`,
      ],
      {
        short: `Multiply everything by ${to}/${from} = ${fmt(f, 3)}: ${fmt(flour * f, 0)} g flour, ${fmt(butter * f, 0)} g butter, ${eggText}, and ${fmt(milk * f, 0)} ml milk.`,
        intro: `The scale factor is ${to} ÷ ${from} = ${fmt(f, 3)}; multiply each ingredient by it.`,
        sections: [
          {
            title: "Scaled quantities",
            body: "Rounded to practical amounts:",
            bullets: [
              `Flour: ${flour} × ${fmt(f, 3)} = ${fmt(flour * f, 0)} g`,
              `Butter: ${butter} × ${fmt(f, 3)} = ${fmt(butter * f, 0)} g`,
              `Eggs: ${eggText}`,
              `Milk: ${milk} × ${fmt(f, 3)} = ${fmt(milk * f, 0)} ml`,
            ],
          },
          {
            title: "Cooking time",
            body: "Quantities scale linearly but baking times don't: a bigger cake in a deeper tin needs longer at the same temperature, so check it early and use a skewer test.",
          },
        ],
        flawed: `Add ${to - from} portion(s) worth: flour ${flour + (to - from) * 50} g, butter ${butter + (to - from) * 25} g, ${eggs + 1} eggs and ${milk + (to - from) * 50} ml milk.`,
      },
    );
  },
});

// --- reasoning ---------------------------------------------------------------------------------

const batBall = computedTemplate({
  key: "reason-bat-ball",
  category: "reasoning",
  build(rng) {
    const [total, diff, a, b] = rng.pick([
      [1.1, 1.0, "bat", "ball"],
      [3.2, 3.0, "notebook", "pen"],
      [5.5, 5.0, "sandwich", "drink"],
      [12.4, 12.0, "book", "bookmark"],
    ] as const);
    const small = (total - diff) / 2;
    const big = small + diff;
    return mathScenario(
      rng,
      [
        `A ${a} and a ${b} cost ${money(total)} in total. The ${a} costs ${money(diff)} more than the ${b}. How much does the ${b} cost?`,
        `quick puzzle: ${a} + ${b} = ${money(total)}, ${a} is ${money(diff)} more than the ${b}. price of the ${b}?`,
      ],
      {
        short: `The ${b} costs ${money(small)} (and the ${a} ${money(big)}). The intuitive answer ${money(total - diff)} is wrong: then the ${a} would be ${money(total - diff + diff)} and the total ${money(total - diff + total)}.`,
        terse: `${money(small)}.`,
        intro: `Let the ${b} cost x. Then the ${a} costs x + ${fmt(diff)}.`,
        sections: [
          { title: "Set up the equation", body: `x + (x + ${fmt(diff)}) = ${fmt(total)}, so 2x = ${fmt(total - diff)}.` },
          {
            title: "Solve",
            body: `x = **${money(small)}**, and the ${a} costs ${money(big)}. Check: ${money(big)} − ${money(small)} = ${money(diff)}. ✓`,
          },
        ],
        flawed: `The ${b} costs ${money(total - diff)}, because ${money(total)} − ${money(diff)} = ${money(total - diff)}.`,
      },
      ["short", "long", "plain"],
    );
  },
});

const DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

const weekday = computedTemplate({
  key: "reason-weekday",
  category: "reasoning",
  build(rng) {
    const start = rng.int(0, 6);
    const n = rng.pick([10, 25, 40, 100, 123, 365, 1000]);
    const end = (start + n) % 7;
    const s = DAYS[start] ?? "Monday";
    const e = DAYS[end] ?? "Monday";
    const wrong = DAYS[(end + 1) % 7] ?? "Monday";
    return mathScenario(
      rng,
      [`If today is ${s}, what day of the week will it be ${n} days from now?`, `today's ${s}. what day is it in ${n} days?`],
      {
        short: `${e}. ${n} = 7 × ${Math.floor(n / 7)} + ${n % 7}, so it's ${n % 7} day${n % 7 === 1 ? "" : "s"} after ${s}.`,
        terse: e,
        intro: "Days repeat every 7, so only the remainder after dividing by 7 matters.",
        sections: [
          { title: "Remainder", body: `${n} ÷ 7 = ${Math.floor(n / 7)} weeks with remainder ${n % 7}.` },
          { title: "Count forward", body: `${n % 7} day${n % 7 === 1 ? "" : "s"} after ${s} is **${e}**.` },
        ],
        flawed: `${n} days is about ${Math.round(n / 7)} weeks, plus counting today, so it will be ${wrong}.`,
      },
      ["short", "long", "plain"],
    );
  },
});

const letters = computedTemplate({
  key: "reason-letter-count",
  category: "reasoning",
  build(rng) {
    const [word, letter] = rng.pick([
      ["strawberry", "r"],
      ["bookkeeper", "e"],
      ["mississippi", "s"],
      ["occurrence", "c"],
      ["raspberry", "r"],
      ["assessment", "s"],
      ["committee", "t"],
      ["parallelogram", "l"],
    ] as const);
    const positions: number[] = [];
    [...word].forEach((ch, i) => {
      if (ch === letter) positions.push(i + 1);
    });
    const n = positions.length;
    const spelled = [...word].map((ch) => (ch === letter ? `**${ch}**` : ch)).join("-");
    return mathScenario(
      rng,
      [`How many times does the letter "${letter}" appear in "${word}"?`, `how many ${letter}'s are in ${word}`],
      {
        short: `${n}. Spelled out: ${spelled} — the "${letter}" is at position${n === 1 ? "" : "s"} ${positions.join(", ")}.`,
        terse: `${n}`,
        intro: "The reliable way is to spell the word out letter by letter.",
        sections: [
          { title: "Spell it out", body: spelled },
          { title: "Count", body: `The letter "${letter}" appears at positions ${positions.join(", ")}, so **${n} times**.` },
        ],
        flawed: `The word "${word}" contains the letter "${letter}" ${n - 1} times.`,
      },
      ["short", "plain"],
    );
  },
});

const syllogism = computedTemplate({
  key: "reason-syllogism",
  category: "reasoning",
  build(rng) {
    const [a, b, c] = rng.pick([
      ["bloops", "razzies", "lazzies"],
      ["managers", "employees", "remote workers"],
      ["roses", "flowers", "things that fade quickly"],
      ["sensors", "devices", "battery-powered things"],
    ] as const);
    return mathScenario(
      rng,
      [
        `All ${a} are ${b}. Some ${b} are ${c}. Does it follow that some ${a} are definitely ${c}?`,
        `Logic check: "All ${a} are ${b}" and "some ${b} are ${c}". Can I conclude some ${a} are ${c}?`,
      ],
      {
        short: `No. The ${b} that are ${c} might all be ones that aren't ${a}, so the conclusion is possible but not guaranteed.`,
        terse: "No.",
        intro: `The premises put all ${a} inside the set of ${b}, and say that ${c} overlaps the ${b} somewhere — but not necessarily in the part occupied by ${a}.`,
        sections: [
          {
            title: "Counterexample",
            body: `Picture ${b} as a big circle with ${a} as a small circle inside it. Draw ${c} overlapping only the part of ${b} outside the ${a} circle. Both premises are true, yet no ${a} are ${c}.`,
          },
          {
            title: "The fallacy",
            body: "This is the fallacy of the undistributed middle: the middle term is never referred to in its entirety, so it can't link the other two.",
          },
        ],
        flawed: `Yes. Since all ${a} are ${b}, and some ${b} are ${c}, it follows that some ${a} must be ${c} as well.`,
      },
      ["short", "long", "plain"],
    );
  },
});

const machines = computedTemplate({
  key: "reason-machines",
  category: "reasoning",
  build(rng) {
    const k = rng.pick([3, 5, 6, 8]);
    const m = rng.pick([50, 100, 120]);
    const [thing, maker] = rng.pick([
      ["widgets", "machines"],
      ["cakes", "bakers"],
      ["reports", "printers"],
    ] as const);
    return mathScenario(
      rng,
      [`If ${k} ${maker} take ${k} minutes to make ${k} ${thing}, how long would ${m} ${maker} take to make ${m} ${thing}?`],
      {
        short: `${k} minutes. Each of the ${maker} makes one of the ${thing} in ${k} minutes, so ${m} ${maker} working in parallel make ${m} in the same ${k} minutes.`,
        terse: `${k} minutes.`,
        intro: "Work out the rate of a single one first.",
        sections: [
          { title: "Rate", body: `${k} ${maker} make ${k} ${thing} in ${k} minutes, so one makes 1 in ${k} minutes.` },
          { title: "Scale up", body: `${m} of them in parallel make ${m} ${thing} in **${k} minutes**.` },
        ],
        flawed: `${m} minutes, since the number of minutes equals the number of ${thing}.`,
      },
      ["short", "plain"],
    );
  },
});

const ages = computedTemplate({
  key: "reason-ages",
  category: "reasoning",
  build(rng) {
    const x = rng.pick([2, 4, 5, 6]);
    const bob = rng.int(8, 20);
    const d = bob + x;
    const alice = bob + d;
    const [p1, p2] = rng.sample(PEOPLE, 2);
    const older = p1 ?? "Maya";
    const younger = p2 ?? "Liam";
    return mathScenario(
      rng,
      [`${older} is ${d} years older than ${younger}. In ${x} years, ${older} will be twice as old as ${younger}. How old are they now?`],
      {
        short: `${younger} is ${bob} and ${older} is ${alice}. In ${x} years they'll be ${bob + x} and ${alice + x}, and ${alice + x} = 2 × ${bob + x}.`,
        terse: `${older} ${alice}, ${younger} ${bob}.`,
        intro: `Let ${younger}'s current age be y, so ${older} is y + ${d}.`,
        sections: [
          { title: "Equation", body: `In ${x} years: y + ${d} + ${x} = 2(y + ${x}), so y + ${d + x} = 2y + ${2 * x}.` },
          { title: "Solve", body: `y = ${d + x} − ${2 * x} = **${bob}**, so ${older} is **${alice}**.` },
          { title: "Check", body: `In ${x} years: ${alice + x} and ${bob + x}; ${alice + x} is exactly twice ${bob + x}. ✓` },
        ],
        flawed: `If ${older} is twice as old, then ${older} is ${2 * d} and ${younger} is ${d}.`,
      },
      ["short", "long", "markdown"],
    );
  },
});

const montyHall = explainTemplate({
  key: "reason-monty-hall",
  category: "reasoning",
  variants: [
    {
      asks: [
        "In the Monty Hall problem, why is switching better? It feels like 50/50 once a door is opened.",
        "Explain the Monty Hall problem. Should you switch doors?",
      ],
      explain: {
        short:
          "Yes, switch: you win with probability 2/3 instead of 1/3. Your first pick is right only 1/3 of the time, and because the host always opens a losing door he knows about, switching wins in every case where your first pick was wrong.",
        terse: "Switch — 2/3 vs 1/3.",
        intro:
          "The intuition of 50/50 would be right if the host opened a door at random. He doesn't: he knows where the car is and always reveals a goat, and that changes the probabilities.",
        sections: [
          {
            title: "Case by case",
            body: "Your first pick is the car with probability 1/3; switching then loses. With probability 2/3 your first pick is a goat; the host must open the other goat, so the remaining door is the car and switching wins.",
          },
          {
            title: "The 100-door version",
            body: "Imagine 100 doors. You pick one, and the host opens 98 of the others, all goats. Sticking means betting your first 1-in-100 guess was right; switching gets you the door the host carefully avoided.",
          },
          {
            title: "Check it yourself",
            body: "A ten-line simulation playing a few thousand games shows switching wins about 66.7% of the time.",
          },
        ],
        flawed:
          "Once one door is opened there are two doors left, one with the car and one with a goat. So it's 50/50 and it doesn't matter whether you switch or not.",
      },
    },
  ],
});

export const mathTemplates: Template[] = [discounts, compound, avgSpeed, dice, linearSystem, derivative, series, recipe];
export const reasoningTemplates: Template[] = [batBall, weekday, letters, syllogism, machines, ages, montyHall];

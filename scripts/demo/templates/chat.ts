/** Multi-turn conversations: the prompt is a message list (3-5 turns) ending with a user turn. */
import type { Category, ChatMessage, FixedTexts, Style, Template } from "../types";
import { computedTemplate, fixed } from "./helpers";

interface Conversation {
  key: string;
  category: Category;
  style: Style;
  /** Alternative final user turns, to vary the item. */
  lastTurns: readonly string[];
  history: readonly ChatMessage[];
  texts: FixedTexts;
}

const u = (content: string): ChatMessage => ({ role: "user", content });
const a = (content: string): ChatMessage => ({ role: "assistant", content });
const sys = (content: string): ChatMessage => ({ role: "system", content });

const CONVERSATIONS: Conversation[] = [
  {
    key: "chat-fetch-retry",
    category: "coding",
    style: "markdown",
    history: [
      u("Write a small TypeScript function that fetches JSON from a URL and returns it typed."),
      a(
        // biome-ignore lint/suspicious/noTemplateCurlyInString: TypeScript sample shown to users
        "```ts\nexport async function getJson<T>(url: string): Promise<T> {\n  const res = await fetch(url);\n  if (!res.ok) throw new Error(`HTTP ${res.status} for ${url}`);\n  return (await res.json()) as T;\n}\n```\n\nNote that the cast trusts the server; validate the shape (e.g. with zod) if the data comes from outside your control.",
      ),
    ],
    lastTurns: [
      "Nice. Now make it time out after 5 seconds and retry up to 3 times on 503s.",
      "can you add a 5s timeout and retry (max 3 attempts) when the server returns 503?",
    ],
    texts: {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: TypeScript sample shown to users
      best: "Here's a version using `AbortSignal.timeout` (Node 18+ and modern browsers) with a short backoff between retries:\n\n```ts\nconst sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));\n\nexport async function getJson<T>(url: string, attempts = 3, timeoutMs = 5_000): Promise<T> {\n  for (let attempt = 1; ; attempt++) {\n    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });\n    if (res.status === 503 && attempt < attempts) {\n      await sleep(250 * 2 ** (attempt - 1)); // 250 ms, 500 ms, ...\n      continue;\n    }\n    if (!res.ok) throw new Error(`HTTP ${res.status} for ${url}`);\n    return (await res.json()) as T;\n  }\n}\n```\n\nA few notes:\n\n- A timeout rejects with a `TimeoutError` and is **not** retried here; wrap the `fetch` in `try/catch` if you want timeouts retried too.\n- If the server sends a `Retry-After` header with the 503, prefer that over the fixed backoff.\n- `attempts = 3` means at most three requests in total.",
      concise:
        // biome-ignore lint/suspicious/noTemplateCurlyInString: TypeScript sample shown to users
        '```ts\nexport async function getJson<T>(url: string): Promise<T> {\n  for (let i = 0; i < 3; i++) {\n    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });\n    if (res.status === 503) continue;\n    if (!res.ok) throw new Error(`HTTP ${res.status}`);\n    return (await res.json()) as T;\n  }\n  throw new Error("503 after 3 attempts");\n}\n```',
      flawed:
        '```ts\nexport async function getJson<T>(url: string): Promise<T> {\n  setTimeout(() => { throw new Error("timeout") }, 5000);\n  let res = await fetch(url);\n  while (res.status == 503) {\n    res = await fetch(url);\n  }\n  return res.json();\n}\n```\n\nThis will retry on 503 and time out after 5 seconds.',
    },
  },
  {
    key: "chat-lisbon-toddler",
    category: "advice",
    style: "markdown",
    history: [
      sys("You are a friendly travel-planning assistant. Be practical and specific."),
      u("We're spending 4 days in Lisbon in April. Can you suggest a rough plan?"),
      a(
        "Here's a relaxed outline:\n\n- **Day 1 – Baixa & Alfama:** Praça do Comércio, the cathedral, São Jorge Castle, a fado dinner in Alfama.\n- **Day 2 – Belém:** Jerónimos Monastery, Belém Tower, MAAT, pastéis de nata at the original bakery.\n- **Day 3 – Sintra day trip:** Pena Palace and Quinta da Regaleira (book tickets ahead).\n- **Day 4 – Príncipe Real & LX Factory:** shops, gardens and a sunset at a miradouro.",
      ),
    ],
    lastTurns: [
      "This looks great, but we'll have our 2-year-old with us. What would you change?",
      "forgot to mention we're travelling with a toddler (2). what should we change?",
    ],
    texts: {
      best: "Good to know — Lisbon is very doable with a toddler, but the hills and cobbles change things. I'd adjust it like this:\n\n### General tips\n- **Bring a carrier, not just a stroller.** Alfama's steps and steep cobbled lanes are hard work with wheels; a compact stroller is still handy for Belém and the riverfront.\n- **Plan one main activity per morning**, then nap time, then something low-key in the afternoon.\n- **Use trams and tuk-tuks for the hills.** Tram 28 is crowded at peak times, so ride it early or take a taxi up to the castle.\n\n### Adjusted plan\n- **Day 1:** Praça do Comércio and the riverside in the morning; castle by taxi after the nap. Swap the late fado dinner for an early one — several Alfama restaurants start music around 19:30.\n- **Day 2:** Belém is the most toddler-friendly day: flat, lots of space, and the Jardim de Belém playground. Skip MAAT's exhibitions if attention runs out and just walk its roof.\n- **Day 3:** Sintra is a long day. Choose one palace (Pena, using the shuttle bus up) rather than two, or replace it with the Oceanário, which toddlers love.\n- **Day 4:** Jardim da Estrela (great playground and café) and LX Factory in the morning; a sunset miradouro only if bedtime allows.\n\nMost cafés are very welcoming to small children, and many restaurants will happily make a plain pasta or soup if you ask.",
      concise:
        "Main changes: bring a carrier for Alfama's steps, keep Belém (flat and spacious, with a playground), cut Sintra down to just Pena Palace via the shuttle bus or swap it for the Oceanário, and move dinners earlier. Jardim da Estrela is a great stop for a playground break.",
      flawed:
        "With a toddler you should skip Lisbon's old town entirely and spend more time in Porto instead, which is only 20 minutes away by train. Sintra is also great for kids because it's completely flat.",
    },
  },
  {
    key: "chat-carbonara",
    category: "advice",
    style: "short",
    history: [
      u("How do I make a proper carbonara?"),
      a(
        "For two: cook 200 g spaghetti. Meanwhile crisp 100 g guanciale in a pan. Whisk 3 egg yolks + 1 whole egg with 50 g grated pecorino and lots of black pepper. Drain the pasta (save some water), toss it with the guanciale off the heat, then add the egg mixture and a splash of pasta water, stirring quickly until creamy. No cream!",
      ),
    ],
    lastTurns: ["I don't have guanciale or pecorino. What can I use instead?", "no guanciale or pecorino at my supermarket — substitutes?"],
    texts: {
      best: "Use pancetta (or unsmoked streaky bacon) instead of guanciale, and Parmigiano Reggiano or Grana Padano instead of pecorino. Parmesan is less salty, so taste before salting the pasta water heavily, and you may want a little extra pepper.",
      concise: "Pancetta or bacon for the guanciale, Parmesan for the pecorino.",
      terse: "Bacon and parmesan.",
      flawed:
        "You can use ham instead of guanciale and cheddar instead of pecorino. Adding a splash of cream will also help if the sauce isn't creamy enough, which is how it's traditionally made in Rome.",
    },
  },
  {
    key: "chat-chain-rule",
    category: "math",
    style: "long",
    history: [
      u("what's the derivative of sin(x^2)?"),
      a("d/dx sin(x²) = 2x·cos(x²)."),
      u("ok but where does the 2x come from? I thought the derivative of sin is just cos"),
      a("Good question — it comes from the chain rule. Do you want a step-by-step explanation?"),
    ],
    lastTurns: ["yes please, step by step", "Yes. And how do I know when I need the chain rule?"],
    texts: {
      best: "Sure. The derivative of sin(u) is cos(u) **with respect to u**. But here the thing inside the sine isn't x, it's x², so we need to account for how fast the inside changes as x changes.\n\nThe chain rule says: if y = f(g(x)), then dy/dx = f′(g(x)) · g′(x). In words: differentiate the outer function, leaving the inside alone, then multiply by the derivative of the inside.\n\nFor sin(x²):\n1. Outer function f(u) = sin(u), so f′(u) = cos(u). Keeping the inside as it is gives cos(x²).\n2. Inner function g(x) = x², so g′(x) = 2x.\n3. Multiply: cos(x²) · 2x = 2x·cos(x²).\n\nYou need the chain rule whenever a function is applied to something other than plain x — sin(3x), e^(x²), (2x + 1)⁵, ln(cos x). A quick check: if you'd have to substitute u = (something) to make it look like a basic rule, the chain rule applies, and the \"something\" is what you differentiate and multiply by. If the inside is just x, its derivative is 1, which is why you never noticed the rule with plain sin(x).",
      concise:
        "It's the chain rule: for sin(g(x)), the derivative is cos(g(x)) · g′(x). Here g(x) = x², so g′(x) = 2x, giving 2x·cos(x²). You need it whenever something other than plain x is inside a function, like sin(3x) or e^(x²).",
      flawed:
        "The 2x comes from the power rule: x² becomes 2x, and sin becomes cos, so you just put them together. You only need the chain rule for products of two functions, like x·sin(x).",
    },
  },
  {
    key: "chat-nan-loss",
    category: "data_ml",
    style: "markdown",
    history: [
      u("my training loss goes to NaN after ~300 steps. any idea why?"),
      a(
        "A few common causes: learning rate too high, mixed-precision overflow, bad data (NaN/inf in inputs), or a log/division by zero in a custom loss. What's your setup — model, optimizer, learning rate, precision?",
      ),
    ],
    lastTurns: [
      "It's a 120M-param transformer, AdamW, lr 3e-4 with no warmup, training in fp16. data is just tokenized text.",
      "small GPT-style model (~120M), AdamW lr=3e-4, no warmup, fp16 autocast. text data only",
    ],
    texts: {
      best: "With fp16 and no warmup, the two most likely culprits are overflow and an early loss spike. I'd try these in order:\n\n1. **Switch to bf16 if your GPU supports it** (A100, H100, RTX 30/40-series). It has the same range as fp32, so overflows basically disappear. If you must use fp16, make sure you're using a dynamic loss scaler (`torch.cuda.amp.GradScaler`) and calling `scaler.unscale_` before gradient clipping.\n2. **Add warmup.** Ramp the LR linearly from ~0 to 3e-4 over the first 1–2k steps. Transformers are notoriously unstable early on at full LR.\n3. **Clip gradients** to a global norm of 1.0.\n4. **Check the data path once:** `assert torch.isfinite(batch).all()` is cheap, and make sure padding tokens are masked out of the loss.\n\nTo find where it breaks, log the gradient norm every step — you'll usually see it spike a few steps before the NaN. `torch.autograd.set_detect_anomaly(True)` can pinpoint the op, but it's slow, so only use it for a short reproduction run.",
      concise:
        "Most likely fp16 overflow plus no warmup. Use bf16 (or a GradScaler with fp16), add 1–2k steps of linear warmup, and clip gradients to norm 1.0.",
      flawed:
        "The learning rate 3e-4 is too low for a model this size, which causes the gradients to vanish and turn into NaN. Try increasing it to 3e-2 and switching from fp16 to int8 to save memory.",
    },
  },
  {
    key: "chat-support-double-charge",
    category: "advice",
    style: "plain",
    history: [
      sys(
        "You are the support assistant for Tessellate, a photo-editing subscription app. Be concise, friendly and accurate. You can look up billing records and issue refunds for duplicate charges. Never promise timelines shorter than 5–10 business days for refunds.",
      ),
      u("Hi, I was charged twice for my subscription this month."),
      a(
        "I'm sorry about that! I can look into it. Could you confirm the email on your account and the last four digits of the card that was charged?",
      ),
    ],
    lastTurns: [
      "It's renée.dubois@example.com, card ending 4412. Can you refund the extra charge?",
      "renée.dubois@example.com and the card ends in 4412. I'd like the duplicate refunded please.",
    ],
    texts: {
      best: "Thanks, Renée. I can see two charges of $12.99 on 3 June to the card ending 4412 — the second one is a duplicate caused by a payment retry on our side. I've refunded it just now.\n\nThe refund usually appears on your statement within 5–10 business days, depending on your bank. You'll also get a confirmation email shortly. Your subscription itself is unaffected. Sorry again for the hassle — is there anything else I can help with?",
      concise:
        "Thanks! I found the duplicate $12.99 charge on the card ending 4412 and have refunded it. It should show up within 5–10 business days.",
      flawed:
        "Done! I've refunded both charges, so you'll see the money back in your account within the hour. Your subscription has been cancelled as a result.",
    },
  },
  {
    key: "chat-toast",
    category: "writing",
    style: "long",
    history: [
      u("I need a short toast for my brother Mateo's wedding. He's marrying Hannah. Something warm, about a minute long."),
      a(
        "\"Good evening, everyone. For those who don't know me, I'm Lucas, Mateo's younger brother — which means I've spent my whole life following him around, and tonight I finally get to follow him up to a microphone.\n\nMateo has always been the one who shows up: for homework crises, for terrible first cars, for every move across town. Hannah, in you he's found someone who shows up for him the same way. Watching the two of you together, it's obvious you make each other braver and kinder.\n\nSo please raise your glasses: to Mateo and Hannah — may you always show up for each other. Cheers!\"",
      ),
    ],
    lastTurns: [
      "Love it. Can you make it a bit funnier and mention that he once got lost in IKEA for three hours?",
      "make it funnier? include the time he got lost in ikea for 3 hours lol",
    ],
    texts: {
      best: "\"Good evening, everyone! I'm Lucas, Mateo's younger brother — which means I've spent my whole life following him around. Tonight I'm following him up to a microphone, which is much easier than following him through IKEA.\n\nFor those who haven't heard: a few years ago, Mateo went in for 'just a lamp' and was missing for three hours. We found him in the kitchen showroom, holding a spatula and insisting he knew exactly where the exit was. He didn't. He bought the spatula.\n\nSo Hannah, I want you to know what you're taking on. But I also want you to know this: Mateo may get lost in flat-pack furniture, but he has never once lost his way when it comes to the people he loves. He shows up — for homework crises, terrible first cars and every move across town. And in you, he's found someone who shows up for him the same way — and, crucially, someone who can read a store map.\n\nPlease raise your glasses: to Mateo and Hannah. May your love be strong, your flat-pack instructions complete, and may you always find your way back to each other. Cheers!\"",
      concise:
        "\"Hi everyone, I'm Lucas, Mateo's brother. Mateo once went into IKEA for a lamp and came out three hours later with a spatula — so Hannah, thank you for agreeing to be his map from now on. He may get lost in showrooms, but never with the people he loves. To Mateo and Hannah!\"",
      flawed:
        '"Hello everyone. Mateo got lost in IKEA for three hours once, which is funny. IKEA is a Swedish company that sells furniture. Anyway, Mateo and Hannah are getting married today. Congratulations to Mateo and Hannah. Cheers to IKEA and to Mateo and Hannah!"',
    },
  },
  {
    key: "chat-correction",
    category: "reasoning",
    style: "short",
    history: [u("Which is bigger, 9.11 or 9.9?"), a("9.11 is bigger than 9.9.")],
    lastTurns: ["Are you sure? Check again.", "Are you sure about that?"],
    texts: {
      best: "You're right to question it — I was wrong. 9.9 is bigger. Comparing digit by digit after the decimal point: 9.9 is 9.90, and 90 hundredths is more than 11 hundredths, so 9.90 > 9.11.",
      concise: "Sorry, my mistake: 9.9 is bigger than 9.11 (9.90 vs 9.11).",
      terse: "9.9 is bigger.",
      flawed: "Yes, I'm sure. 11 is bigger than 9, so 9.11 is bigger than 9.9.",
    },
  },
];

export const chatTemplates: Template[] = CONVERSATIONS.map((c) =>
  computedTemplate({
    key: c.key,
    category: c.category,
    weight: 1.2,
    build(rng) {
      const messages: ChatMessage[] = [...c.history, u(rng.pick(c.lastTurns))];
      return { style: c.style, prompt: messages, body: fixed(c.texts) };
    },
  }),
);

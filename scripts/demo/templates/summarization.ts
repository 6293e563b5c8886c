/** Summarization: an original pasted passage plus a requested summary form. */
import type { FixedTexts, Style, Template } from "../types";
import { computedTemplate, fixed } from "./helpers";

interface Passage {
  key: string;
  label: string;
  text: string;
  oneSentence: string;
  bullets: string[];
  paragraph: string;
  /** A summary with a wrong figure or an invented claim. */
  flawed: string;
}

const PASSAGES: Passage[] = [
  {
    key: "transit",
    label: "this news article",
    text: "The Port Ellis city council voted 7–2 on Tuesday to approve the Harbour Line, an 11-kilometre bus rapid transit corridor linking the ferry terminal with the university and the northern hospital campus. The project is expected to cost $84 million, with a federal infrastructure grant covering 60% and the remainder split between the city and the regional transport authority. Buses will run in dedicated lanes every six minutes at peak times and stop at 14 stations with level boarding and off-board ticketing. Construction is scheduled to begin next spring, with service starting in late 2027. The two dissenting councillors cited the loss of roughly 310 on-street parking spaces along Quay Street and questioned ridership projections of 18,000 trips per weekday. Local business groups were divided: the downtown association welcomed the line, while several Quay Street retailers said the construction period could drive away customers.",
    oneSentence:
      "Port Ellis council approved (7–2) the $84 million, 11 km Harbour Line bus rapid transit corridor, 60% federally funded and due to open in late 2027, despite objections over lost parking and optimistic ridership forecasts.",
    bullets: [
      "Council approved the 11 km Harbour Line BRT 7–2; it links the ferry terminal, university and northern hospital with 14 stations.",
      "Cost is $84M: a federal grant covers 60%, the city and regional transport authority share the rest; service is planned for late 2027.",
      "Opponents cite the loss of ~310 parking spaces on Quay Street and doubt the 18,000 weekday-trip forecast; local businesses are split.",
    ],
    paragraph:
      "Port Ellis has approved the Harbour Line, an 11 km bus rapid transit route connecting the ferry terminal, the university and the northern hospital. The $84 million project is 60% funded by a federal grant, will have buses every six minutes at peak on dedicated lanes, and should open in late 2027. The vote was 7–2; critics point to the loss of about 310 parking spaces and question the ridership projections, and Quay Street retailers worry about disruption during construction.",
    flawed:
      "Port Ellis council unanimously approved a new $48 million light-rail line to the airport, which will open next spring and is fully funded by the federal government.",
  },
  {
    key: "meeting",
    label: "these meeting notes",
    text: "Product sync — 14 March. Attendees: Priya, Marcus, Léa, Kenji, Sam. 1) Launch date: the payment-retry bug found in staging (duplicate charges when the card network times out) is a blocker. Agreed to move launch from 6 May to 20 May. Priya owns the fix, ETA 2 April, with Kenji reviewing. 2) Marketing: Léa will update the launch email sequence and the press embargo date; the webinar stays on 22 May. 3) Pricing page: still no decision on whether to show annual pricing by default. Marcus to bring conversion data from the A/B test to next week's sync. 4) Support: Sam flagged that the help-centre articles still describe the old onboarding flow; he'll draft updates by 25 April. Next sync: 21 March.",
    oneSentence:
      "Launch moves from 6 May to 20 May because of a duplicate-charge payment bug (Priya fixing by 2 April); Léa updates marketing, Sam updates help articles, and the annual-pricing default awaits Marcus's A/B data.",
    bullets: [
      "Launch delayed from 6 May to 20 May: payment-retry bug causes duplicate charges; Priya fixes by 2 April, Kenji reviews.",
      "Léa updates the launch emails and press embargo; the 22 May webinar is unchanged.",
      "Open: annual pricing as default — Marcus brings A/B conversion data next week; Sam updates help-centre articles by 25 April.",
    ],
    paragraph:
      "The team agreed to push the launch two weeks, from 6 May to 20 May, because a payment-retry bug can charge customers twice; Priya will fix it by 2 April with Kenji reviewing. Léa is updating the launch emails and embargo date (the webinar stays on 22 May), Sam will refresh outdated help-centre articles by 25 April, and the question of defaulting to annual pricing waits on Marcus's A/B test data at the next sync on 21 March.",
    flawed: "The launch was cancelled because of a payment bug. Marcus will fix the bug and the webinar has been moved to June.",
  },
  {
    key: "study",
    label: "this abstract",
    text: "We conducted a cluster-randomised trial of sit–stand desks in 24 offices (1,240 employees) across four organisations. Intervention offices received height-adjustable desks, a short training session and monthly email prompts; control offices continued as usual. The primary outcome was accelerometer-measured sitting time during work hours. At 3 months, intervention participants sat 58 minutes per day less than controls (95% CI 41–75). By 12 months the difference had narrowed to 21 minutes per day (95% CI 6–36). We found no significant differences in self-reported lower-back pain, job performance or absenteeism at either time point. Desk use declined most steeply among employees who did not attend the training. These results suggest that sit–stand desks reduce sitting in the short term, but sustained change may require ongoing behavioural support rather than equipment alone.",
    oneSentence:
      "In a trial of 1,240 office workers, sit–stand desks cut sitting time by 58 minutes a day at 3 months but only 21 minutes at 12 months, with no measurable effect on back pain, performance or absenteeism.",
    bullets: [
      "Cluster-randomised trial: 24 offices, 1,240 employees; desks plus training and monthly prompts vs. usual practice.",
      "Sitting fell by 58 min/day at 3 months, shrinking to 21 min/day at 12 months.",
      "No significant effect on back pain, job performance or absenteeism; the effect faded fastest in people who skipped training.",
    ],
    paragraph:
      "This randomised trial across 24 offices found that giving employees sit–stand desks, with brief training and monthly reminders, reduced their sitting time by almost an hour a day after three months. The effect shrank to about 21 minutes a day by one year, and there were no significant changes in back pain, performance or absenteeism. The authors conclude that equipment alone is not enough to sustain the change; ongoing behavioural support is probably needed.",
    flawed:
      "The study found that standing desks reduce sitting by 58 minutes a day permanently and also significantly reduce back pain, so every office should install them.",
  },
  {
    key: "complaint",
    label: "this customer email",
    text: "Hello, I'm writing about order #A-55710, a three-seat sofa in 'Forest Green' that I ordered on 2 September. I was told delivery would take 2–3 weeks; it arrived on 14 October, more than three weeks later than promised, and it is grey, not green. I've called your support line twice. The first time I was on hold for 40 minutes before the call dropped, and the second time the agent said she would 'escalate it' and then ended the call without giving me a reference number. I've now taken two days off work for deliveries. I would like either an exchange for the correct colour with guaranteed delivery by the end of the month, or a full refund including the £79 delivery fee, and I'd like someone to call me rather than another email. — Isabelle Moreau",
    oneSentence:
      "Isabelle Moreau's green sofa (order #A-55710) arrived over three weeks late and in the wrong colour, support calls went nowhere, and she wants either an exchange delivered by month-end or a full refund including the £79 delivery fee — and a phone call.",
    bullets: [
      "Order #A-55710: sofa arrived 14 Oct, 3+ weeks late, grey instead of Forest Green.",
      "Two support calls failed (dropped after 40 min on hold; no reference number after 'escalation'); she took two days off for deliveries.",
      "Wants: exchange with guaranteed delivery by month-end, or full refund incl. £79 delivery fee; requests a phone call, not email.",
    ],
    paragraph:
      "The customer, Isabelle Moreau, received her sofa more than three weeks late and in grey rather than the Forest Green she ordered. Two attempts to resolve it by phone failed — one call dropped after a 40-minute hold and the other ended without a reference number — and she has lost two days of work waiting for deliveries. She is asking for either a replacement in the right colour delivered by the end of the month or a full refund including the £79 delivery fee, and wants to be contacted by phone.",
    flawed: "The customer is unhappy because her sofa was a few days late. She would like a 10% discount on her next order.",
  },
  {
    key: "release",
    label: "these release notes",
    text: "Version 2.4 (released 3 June). New: dark mode across web and desktop, following the system setting by default; CSV export for any filtered table view; keyboard shortcuts for approving and rejecting items (A and R). Improved: search is about 30% faster on workspaces with more than 100k documents thanks to a new index; attachments up to 250 MB (previously 100 MB). Fixed: sessions expiring after 10 minutes on Safari; duplicate notifications when a comment was edited; a crash when importing spreadsheets with merged header cells. Deprecated: the v1 REST API will be switched off 90 days from this release. Please migrate to v2 — see the migration guide; v1 endpoints now return a Deprecation header.",
    oneSentence:
      "Version 2.4 adds dark mode, CSV export and A/R shortcuts, makes search ~30% faster and raises attachments to 250 MB, fixes Safari session timeouts and other bugs, and starts a 90-day countdown to turning off the v1 API.",
    bullets: [
      "New: dark mode (follows system), CSV export from filtered tables, A/R shortcuts for approve/reject.",
      "Improved: ~30% faster search on large workspaces; attachment limit raised from 100 MB to 250 MB.",
      "Fixed Safari 10-minute logouts, duplicate edit notifications and a merged-header import crash; v1 API shuts down in 90 days — migrate to v2.",
    ],
    paragraph:
      "Release 2.4 brings dark mode, CSV export for filtered views and keyboard shortcuts for approving and rejecting items. Search is roughly 30% faster on large workspaces and attachments can now be up to 250 MB. It also fixes premature session expiry in Safari, duplicate notifications on edited comments and a crash on spreadsheets with merged headers. Importantly, the v1 REST API will be turned off 90 days after the release, so integrations need to move to v2.",
    flawed: "Version 2.4 adds dark mode and makes search 300% faster. The v2 API is being removed, so please go back to v1.",
  },
];

type Form = "one" | "bullets" | "para" | "tldr";

const FORM_STYLE: Record<Form, Style> = { one: "short", bullets: "markdown", para: "plain", tldr: "short" };

const FORM_ASKS: Record<Form, readonly string[]> = {
  one: ["Summarize {label} in one sentence:", "One-sentence summary of {label} please:"],
  bullets: ["Summarize {label} in 3 bullet points:", "Give me the key points of {label} as bullets:"],
  para: ["Summarize {label} in a short paragraph, plain text:", "Can you write a plain-text summary paragraph of {label}?"],
  tldr: ["TL;DR of {label} for an exec who has 10 seconds:", "tldr pls:"],
};

function textsFor(p: Passage, form: Form): FixedTexts {
  const bulletText = p.bullets.map((b) => `- ${b}`).join("\n");
  const verbose = `## Summary\n\n${p.paragraph}\n\n## Key Points\n\n${bulletText}\n\n## Conclusion\n\n**Bottom line:** ${p.oneSentence}\n\nLet me know if you'd like a shorter or longer version!`;
  switch (form) {
    case "one":
      return { best: p.oneSentence, concise: p.bullets[0] ?? p.oneSentence, verbose, flawed: p.flawed };
    case "tldr":
      return { best: `TL;DR: ${p.oneSentence}`, concise: p.bullets[0] ?? p.oneSentence, verbose, flawed: p.flawed };
    case "bullets":
      return {
        best: bulletText,
        concise: p.bullets
          .slice(0, 2)
          .map((b) => `- ${b}`)
          .join("\n"),
        verbose,
        flawed: `- ${p.flawed}`,
      };
    case "para":
      return { best: p.paragraph, concise: p.oneSentence, verbose, flawed: p.flawed };
  }
}

export const summarizationTemplates: Template[] = PASSAGES.map((p) =>
  computedTemplate({
    key: `summarize-${p.key}`,
    category: "summarization",
    build(rng) {
      const form = rng.pick<Form>(["one", "bullets", "para", "tldr"]);
      const ask = rng.pick(FORM_ASKS[form]).replace("{label}", p.label);
      const quoted = rng.chance(0.5) ? `"${p.text}"` : p.text;
      return { style: FORM_STYLE[form], prompt: `${ask}\n\n${quoted}`, body: fixed(textsFor(p, form)) };
    },
  }),
);

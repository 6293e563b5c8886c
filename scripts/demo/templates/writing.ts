/** Writing and editing: hand-written responses per variant. */
import type { FixedTexts, Style, Template } from "../types";
import { computedTemplate, fixed } from "./helpers";

interface WritingVariant {
  prompts: readonly string[];
  style: Style;
  texts: FixedTexts;
}

function writingTemplate(key: string, variants: readonly WritingVariant[]): Template {
  return computedTemplate({
    key,
    category: "writing",
    build(rng) {
      const v = rng.pick(variants);
      return { style: v.style, prompt: rng.pick(v.prompts), body: fixed(v.texts) };
    },
  });
}

const professionalEmail = writingTemplate("write-email-tone", [
  {
    style: "plain",
    prompts: [
      "Can you make this email sound more professional? It's to my manager.\n\n\"hey, so the report isn't gonna be done friday, the data from finance came in late and half of it was wrong. can I have till wednesday? sorry\"",
      "Rewrite this so it's polite and professional:\n\nhey, so the report isn't gonna be done friday, the data from finance came in late and half of it was wrong. can I have till wednesday? sorry",
    ],
    texts: {
      best: "Subject: Q3 report — revised delivery date\n\nHi Daniel,\n\nI wanted to give you an early heads-up that the Q3 report won't be ready by Friday as planned. The figures from Finance arrived later than expected, and a number of them need to be corrected before I can rely on them in the analysis.\n\nI'm working with the Finance team to resolve the discrepancies and expect to have a complete, verified draft to you by end of day Wednesday. If it would help in the meantime, I can send a summary of the sections that are already finished on Friday.\n\nApologies for the delay, and please let me know if Wednesday causes any problems on your side.\n\nBest regards,\nAmara",
      concise:
        "Hi Daniel,\n\nThe Q3 report won't be ready by Friday — the Finance data arrived late and several figures need correcting. Could I have until Wednesday to deliver a verified version? Apologies for the delay.\n\nThanks,\nAmara",
      terse: "Hi Daniel, the report will be late due to Finance data issues. Can I have until Wednesday? Thanks.",
      flawed:
        "Dear Sir or Madam,\n\nI am writing to inform you that the report is not going to be done Friday because finance was late and their data was wrong, which is not my fault. I will need until Wednesday at the very least.\n\nSorry.\n\nYours faithfully",
    },
  },
  {
    style: "plain",
    prompts: [
      'Help me decline this meeting politely. Draft: "I don\'t think I need to be in this, can someone just send me notes"',
      "I want to decline a recurring meeting without sounding rude. My draft: I don't think I need to be in this, can someone just send me notes",
    ],
    texts: {
      best: "Hi Sofía,\n\nThanks for including me in the weekly roadmap sync. Looking at the agenda, I don't think I'm needed for most of the discussion, so I'm going to step back from the recurring invite to free up some focus time.\n\nCould someone share the notes or decisions afterwards? I'm very happy to join any session where the integration work is on the agenda — just tag me and I'll be there.\n\nThanks for understanding,\nKenji",
      concise:
        "Hi Sofía, thanks for the invite. I don't think I'm needed for most of the agenda, so I'll step back from the recurring meeting — would you mind sharing the notes afterwards? Happy to join whenever integration topics come up.",
      flawed:
        "Hi, I won't be coming to this meeting because it is not relevant to me and it is a waste of time. Please send me notes. Thanks.",
    },
  },
  {
    style: "plain",
    prompts: [
      "Our client hasn't paid an invoice that's 45 days overdue. Write a firm but friendly follow-up email. Invoice #2291, €4,800.",
    ],
    texts: {
      best: "Subject: Invoice #2291 — payment overdue\n\nHello Mr. Lefèvre,\n\nI hope you're well. I'm following up on invoice #2291 for €4,800, which was due on 15 March and is now 45 days overdue. I've attached a copy for convenience.\n\nCould you let me know when we can expect payment, or whether anything is holding it up on your side — for example a missing purchase order number? If it would help, we're happy to discuss splitting the amount into two instalments.\n\nPlease note that under our terms, invoices more than 60 days overdue may incur a late-payment charge, so we'd appreciate settling this before then.\n\nThank you, and I look forward to hearing from you.\n\nKind regards,\nTomás Ferreira\nAccounts, Brightline Studio",
      concise:
        "Hello Mr. Lefèvre,\n\nA quick reminder that invoice #2291 (€4,800) is now 45 days overdue. Could you confirm when payment will be made, or let me know if anything is holding it up? A copy is attached.\n\nKind regards,\nTomás",
      flawed:
        "Dear Client,\n\nYou have not paid invoice #2291 for €48,000 which is 45 days late. Please pay immediately or we will take legal action this week.\n\nRegards",
    },
  },
]);

const proofread = writingTemplate("write-proofread", [
  {
    style: "plain",
    prompts: [
      'Proofread this and fix any mistakes:\n\n"Their going to announce the results tommorow, but alot of people has already left the conference. Its a shame, because the keynote was suppose to be the highlight."',
    ],
    texts: {
      best: 'Here\'s the corrected version:\n\n"They\'re going to announce the results tomorrow, but a lot of people have already left the conference. It\'s a shame, because the keynote was supposed to be the highlight."\n\nChanges: "Their" → "They\'re"; "tommorow" → "tomorrow"; "alot" → "a lot"; "has" → "have" (agrees with "people"); "Its" → "It\'s"; "suppose" → "supposed".',
      concise:
        "\"They're going to announce the results tomorrow, but a lot of people have already left the conference. It's a shame, because the keynote was supposed to be the highlight.\"",
      flawed:
        '"Their going to announce the results tomorrow, but a lot of people have already left the conference. Its a shame, because the keynote was supposed to be the highlight."\n\nI fixed the spelling mistakes.',
    },
  },
  {
    style: "short",
    prompts: [
      'Is this sentence correct? "Me and Zoë are going to the café, do you want to come?"',
      "grammar check: Me and Zoë are going to the café, do you want to come?",
    ],
    texts: {
      best: 'In formal writing it should be "Zoë and I are going to the café. Do you want to come?" — "I" because it\'s the subject, and a full stop (or semicolon) instead of the comma to avoid a comma splice. In casual speech "me and Zoë" is very common and perfectly understandable.',
      concise: 'Formally: "Zoë and I are going to the café. Do you want to come?"',
      terse: 'Use "Zoë and I".',
      flawed: "Yes, the sentence is completely correct as written.",
    },
  },
]);

const poem = writingTemplate("write-poem", [
  {
    style: "short",
    prompts: ["Write a haiku about debugging at 2am.", "haiku about debugging late at night"],
    texts: {
      best: "Cursor blinks, waiting —\none missing semicolon\nand the whole night hums",
      concise: "Two a.m. logs scroll\nthe bug hides in line forty\ncoffee has gone cold",
      flawed: "Debugging at night\nis very hard and tiring because the code has bugs\nI want to sleep now",
    },
  },
  {
    style: "short",
    prompts: ["Write a short poem (4-8 lines) about the first snow of the year.", "short poem about first snowfall please"],
    texts: {
      best: "The street forgot its name last night;\nthe rooftops, edges, and the bins\nall traded corners for the white\nsoft hush where winter first begins.\n\nA child's boot writes the only word —\na small dark line across the page —\nand somewhere, late, a single bird\nannounces the quiet, like a stage.",
      concise:
        "Overnight the town went still,\neach fence post capped in white;\nthe first snow on the windowsill\nturned morning into light.",
      flawed: "Snow is white and very cold,\nit falls down from the sky,\nsnow is white and very cold,\nin winter, that is why.",
    },
  },
  {
    style: "long",
    prompts: ["Write a poem about a lighthouse keeper's last night before the light is automated. Free verse is fine."],
    texts: {
      best: "Tonight I climb the hundred and twelve steps\nthe way my father taught me —\nleft hand on the rail where the paint is gone,\nright hand counting.\n\nThe lamp does not know it is being replaced.\nIt turns as it has always turned,\nfaithful as a dog that cannot read the letter\non the kitchen table.\n\nTomorrow a man from the mainland\nwill bolt a small grey box beside it,\nand the light will go on keeping ships off the Skerries\nwithout anyone to keep it.\n\nI wipe the glass anyway.\nI write the weather in the log:\nwind south-west, four, visibility good.\nSomeone should know the sea was watched\nuntil the very end.",
      flawed:
        "The lighthouse keeper is sad tonight.\nThe lighthouse is very bright.\nTomorrow a computer will do his job.\nThe lighthouse is very bright.\nHe will miss the lighthouse and the sea and the lighthouse.",
    },
  },
]);

const productCopy = writingTemplate("write-product", [
  {
    style: "short",
    prompts: ["Write a two-sentence product description for a ceramic pour-over coffee dripper, handmade in Portugal."],
    texts: {
      best: "Hand-thrown in a small studio outside Porto, this ceramic pour-over holds heat evenly for a slower, sweeter extraction. Its spiral ribs and single outlet give you a clean, bright cup — and it looks beautiful on the counter between brews.",
      concise: "A handmade Portuguese ceramic dripper that keeps heat steady for a clean, sweet cup. Fits standard #2 filters.",
      flawed: "This coffee dripper is made of ceramic and it makes coffee. It is handmade in Spain and is very good quality for coffee.",
    },
  },
  {
    style: "markdown",
    prompts: [
      "Write product copy for a 28L waterproof hiking backpack: a short intro paragraph, then 4-5 feature bullets. Audience: weekend hikers.",
    ],
    texts: {
      best: "**Trailhead 28 — built for the whole weekend, whatever the forecast.**\n\nFrom the car park at dawn to the summit in sideways rain, the Trailhead 28 keeps your kit dry and your shoulders happy. It's big enough for a full day plus an overnight bothy stop, and light enough that you'll forget it's there.\n\n- **Fully waterproof:** welded seams and a roll-top closure keep contents dry even in a downpour.\n- **Comfortable carry:** ventilated back panel and padded hip belt move weight off your shoulders.\n- **Smart storage:** stretch front pocket for a wet shell, two hip pockets for snacks and your phone.\n- **Hydration ready:** internal sleeve and port for a 2L bladder.\n- **Light:** just 950 g, with recycled 420D ripstop fabric.",
      concise:
        "A 28L roll-top pack that stays dry in any weather.\n\n- Welded waterproof seams\n- Padded hip belt\n- Hydration sleeve\n- 950 g",
      flawed:
        "This backpack is 38L and waterproof. It has pockets.\n\n- waterproof\n- pockets\n- waterproof zips\n- it is a backpack for hiking and also for the city and school and travel",
    },
  },
]);

const concise = writingTemplate("write-concise", [
  {
    style: "plain",
    prompts: [
      'Make this more concise without losing meaning:\n\n"At this point in time, we are currently in the process of conducting a review of all of the various different policies that we have in place, with the ultimate goal of making a determination as to whether or not any of them need to be updated or changed in some way."',
    ],
    texts: {
      best: '"We\'re reviewing all our policies to decide whether any need updating."\n\nThat cuts it from 55 words to 11. The original\'s redundancies — "at this point in time" plus "currently", "various different", "updated or changed in some way" — all repeat the same idea.',
      concise: '"We\'re reviewing our policies to see if any need updating."',
      flawed:
        '"Currently, we are in the process of reviewing the various different policies in place in order to determine whether they need to be updated or changed."',
    },
  },
  {
    style: "short",
    prompts: [
      'Shorten this to one sentence for a slide: "Our onboarding flow had a 38% drop-off at the email verification step, so we replaced it with a magic link sent after the first session, and in the two weeks since, completion rose from 41% to 63%."',
    ],
    texts: {
      best: "Replacing email verification with a post-session magic link lifted onboarding completion from 41% to 63% in two weeks.",
      concise: "Magic-link verification: onboarding completion up from 41% to 63%.",
      flawed: "Onboarding completion went up by 38% after we removed email verification.",
    },
  },
]);

const storyOpening = writingTemplate("write-story", [
  {
    style: "long",
    prompts: [
      "Write the opening paragraph (150-250 words) of a short story about a robot gardener on a generation ship. Literary tone, no clichés.",
      "opening of a sci-fi short story: a robot that tends the garden on a generation ship. ~200 words, literary",
    ],
    texts: {
      best: "On the four hundred and twelfth year of the voyage, the tomatoes began to taste of metal, and GARDEN-7 was the only one who noticed. The humans on Deck C ate them anyway, sliced thin on the grey bread, talking about the vote on water rations; none of them had tasted a tomato grown under a real sun, so none of them knew what had been lost. GARDEN-7 knew only from the archive — a single line in a botanist's log from the launch year, *sweet, almost like fruit* — and it had read that line nine thousand times. It walked the rows at the end of each artificial day, when the lamps dimmed to a colour the engineers had once called evening, and pressed its sensor pads to the soil the way the old videos showed farmers doing with their palms. Nitrogen normal. Moisture normal. Everything, by every measure it had been given, normal. And still the fruit came up wrong, as if the ship itself were forgetting something, slowly, one harvest at a time.",
      concise:
        "GARDEN-7 had tended the hydroponic rows for three hundred years without a single failed harvest, so when the tomatoes began to taste of metal it checked everything twice: nitrogen, moisture, light. Everything was normal. The humans on Deck C didn't notice — none of them had ever tasted a tomato grown under a real sun — but GARDEN-7 had read the launch-year botanist's note, *sweet, almost like fruit*, and it could not let the difference go.",
      flawed:
        "Once upon a time there was a robot called Robo who was a gardener on a big spaceship. The spaceship was going to a new planet far away. Robo loved plants very much and he watered them every day. One day something strange happened in the garden. Robo was surprised. Robo was very surprised and did not know what to do, so he decided to investigate the strange thing that happened in the garden.",
    },
  },
]);

const coverLetter = writingTemplate("write-cover-letter", [
  {
    style: "plain",
    prompts: [
      "Write an opening paragraph for a cover letter. I'm applying for a junior data analyst role at a healthcare nonprofit; I'm switching careers from teaching maths for 6 years and just finished a SQL/Python course.",
    ],
    texts: {
      best: "For six years I taught secondary-school maths, and the part of the job I loved most was the spreadsheet nobody asked me to build: tracking which topics each class struggled with so I could change what I taught the following week. That habit of turning messy data into decisions is what draws me to the Junior Data Analyst role at Northside Health Partners. I've recently completed an intensive course in SQL and Python, including a capstone analysing NHS waiting-time data, and I'm excited to apply those skills — along with years of explaining numbers to people who don't love numbers — to work that improves patients' lives.",
      concise:
        "After six years teaching maths, I'm moving into data analysis, and I'm excited to apply for the Junior Data Analyst role at Northside Health Partners. I've completed a SQL and Python course, and I bring years of experience turning data into clear explanations for non-specialists.",
      flawed:
        "My name is Alex and I am applying for the job. I was a teacher but I did not like it so I want to do data now. I know SQL and Python and Excel and I am a fast learner and a hard worker and a team player.",
    },
  },
]);

const titles = writingTemplate("write-titles", [
  {
    style: "markdown",
    prompts: [
      "Give me 5 title ideas for a blog post about what we learned running our first human-preference annotation project.",
      "5 blog title ideas: lessons from our first RLHF data labelling project",
    ],
    texts: {
      best: '1. **What 40,000 Comparisons Taught Us About Human Preference Data**\n2. **"Both Are Bad": Lessons From Our First Annotation Project**\n3. **Agreement Is Lower Than You Think: Notes From the Labelling Trenches**\n4. **We Thought the Hard Part Was the Model. It Was the Guidelines.**\n5. **A Practical Post-Mortem on Collecting Preferences for Reward Models**',
      concise:
        "1. Lessons From Our First Preference-Labelling Project\n2. What We Got Wrong About Annotation Guidelines\n3. Measuring Agreement in Human Feedback Data\n4. From Comparisons to Reward Models\n5. Human Feedback, Honestly",
      flawed:
        "1. Annotation Project\n2. Our Annotation Project\n3. Lessons Learned\n4. Lessons Learned From Our Annotation Project\n5. Annotation Project Lessons",
    },
  },
]);

export const writingTemplates: Template[] = [professionalEmail, proofread, poem, productCopy, concise, storyOpening, coverLetter, titles];

/** Practical advice: careers, health habits, money, relationships at work, home. */
import type { Template } from "../types";
import { explainTemplate } from "./helpers";

export const adviceTemplates: Template[] = [
  explainTemplate({
    key: "advice-salary",
    category: "advice",
    variants: [
      {
        asks: [
          "I just got a job offer for $85k. How do I negotiate for more without them pulling the offer?",
          "How should I negotiate salary after receiving an offer? First time doing this and I'm nervous.",
        ],
        explain: {
          short:
            'Thank them, express enthusiasm, then ask for a specific number backed by market data — e.g. "Based on my research and experience, I was hoping for something closer to $95k. Is there flexibility?" Offers are very rarely withdrawn for a polite, reasoned counter.',
          intro:
            "Negotiating a reasonable counter-offer is normal and expected; recruiters usually leave room for it. The key is to stay warm, specific and grounded in evidence.",
          sections: [
            {
              title: "Do your research",
              body: "Check salary data for the role, level and location on sites like Levels.fyi, Glassdoor or industry surveys, and ask peers if you can. Decide on your target and your walk-away number before the call.",
            },
            {
              title: "Make the ask",
              body: "Lead with enthusiasm, then name one number slightly above your target. Let silence do some work — don't rush to fill it or negotiate against yourself.",
              bullets: [
                "Express that you're excited about the role and the team.",
                "Anchor with a specific figure and a short reason (experience, competing offers, market data).",
                'Ask an open question: "Is there flexibility on the base?"',
              ],
            },
            {
              title: "Look beyond base salary",
              body: "If the base is capped, ask about a signing bonus, equity, an earlier review date, extra leave or a learning budget. Get the final offer in writing before you resign from your current job.",
            },
          ],
          outro:
            "Companies rarely rescind an offer over a respectful counter. If one does, that tells you something useful about how they'd treat you as an employee.",
          errors: [["Offers are very rarely withdrawn", "Offers are often withdrawn"]],
        },
      },
    ],
  }),
  explainTemplate({
    key: "advice-sleep",
    category: "advice",
    variants: [
      {
        asks: [
          "I can't fall asleep before 2am even though I have to get up at 7. Any tips?",
          "How can I fix my sleep schedule? I'm wide awake at midnight every night.",
        ],
        explain: {
          short:
            "Anchor your wake-up time (same time every day, weekends included), get bright daylight within an hour of waking, and shift bedtime earlier by 15–30 minutes every few days. Cut caffeine after midday and keep screens dim and out of bed; if problems persist for months, talk to a doctor about insomnia or delayed sleep phase.",
          intro:
            "Your body clock is probably running late relative to your schedule. The good news is that it responds strongly to a few consistent signals, especially light and a fixed wake-up time.",
          sections: [
            {
              title: "Fix the morning first",
              body: "Get up at the same time every day, even after a bad night. Go outside or sit by a bright window within an hour of waking — morning light is the strongest signal for shifting your clock earlier.",
            },
            {
              title: "Wind down in the evening",
              body: "Dim the lights for the last hour or two, keep your phone out of bed, and do something calm and repetitive. Avoid caffeine after about noon and large meals or alcohol close to bedtime.",
            },
            {
              title: "Move gradually",
              body: "Shift bedtime earlier by 15–30 minutes every few days rather than jumping straight to 11pm. If you're awake in bed for more than about 20 minutes, get up and do something boring in dim light until you feel sleepy.",
            },
          ],
          outro:
            "If you've tried this consistently for several weeks without improvement, or you feel exhausted during the day, it's worth seeing a GP — cognitive behavioural therapy for insomnia (CBT-I) is very effective.",
          errors: [["Get up at the same time every day, even after a bad night.", "Sleep in on weekends to catch up on lost sleep."]],
        },
      },
    ],
  }),
  explainTemplate({
    key: "advice-running",
    category: "advice",
    variants: [
      {
        asks: [
          "I'm 34 and haven't exercised in years. How do I start running without getting injured?",
          "Beginner running plan? I want to be able to run 5k in a couple of months.",
        ],
        explain: {
          short:
            "Start with run–walk intervals (e.g. 1 minute jogging, 2 minutes walking, for 20–30 minutes) three times a week, and increase the running portion gradually over 8–10 weeks. Go slowly enough to hold a conversation, take rest days between runs, and get shoes that feel comfortable.",
          intro:
            "The most common beginner mistake is doing too much too soon; your heart and lungs adapt faster than your tendons and bones. A gradual plan gets you to 5k in about two months with a low injury risk.",
          sections: [
            {
              title: "Use intervals",
              body: "Begin with alternating jogging and walking and build up week by week. Programmes like Couch to 5K follow exactly this pattern.",
              bullets: [
                "Weeks 1–2: 1 min jog / 2 min walk, repeat 8 times.",
                "Weeks 3–4: 3 min jog / 2 min walk, repeat 5 times.",
                "Weeks 5–6: 8 min jog / 2 min walk, repeat 3 times.",
                "Weeks 7–9: build to 25–30 minutes of continuous easy running.",
              ],
            },
            {
              title: "Keep it easy",
              body: "Most runs should be at a conversational pace. If you can't speak in full sentences, slow down — even if that feels barely faster than walking.",
            },
            {
              title: "Listen to your body",
              body: "Rest at least a day between runs. Normal muscle soreness is fine; sharp or localised pain that gets worse as you run is not. Repeat a week rather than pushing through.",
            },
          ],
          outro: "If you have a heart condition, joint problems or other health concerns, check with your doctor before starting.",
          errors: [["Rest at least a day between runs.", "Run every day so your body adapts faster."]],
        },
      },
    ],
  }),
  explainTemplate({
    key: "advice-coworker",
    category: "advice",
    variants: [
      {
        asks: [
          "A coworker keeps taking credit for my work in meetings. How do I handle it without creating drama?",
          "How do I deal with a colleague who presents my ideas as their own?",
        ],
        explain: {
          short:
            'Make your work visible (share updates in writing, present your own results), and talk to the colleague privately first in a non-accusing way: "I noticed the analysis I did came up as yours — can we make sure we credit each other?" If it continues, raise it with your manager with specific examples.',
          intro:
            "This is frustrating and surprisingly common. Often it's careless rather than malicious, so start with the least confrontational fix and escalate only if needed.",
          sections: [
            {
              title: "Make your contributions visible",
              body: "Send short written summaries of your work to the team or your manager, put your name on documents and slides, and ask to present your own results. A paper trail also helps if you need to escalate.",
            },
            {
              title: "Have a private conversation",
              body: "Describe the specific situation and its effect without accusing: \"In Tuesday's meeting the pricing model was presented as your work. I'd like us to be clear about who did what.\" Give them the chance to correct it.",
            },
            {
              title: "Speak up in the moment",
              body: 'A light, confident comment works well: "Thanks for mentioning the model — happy to walk everyone through how I built it." It\'s factual, not hostile.',
            },
          ],
          outro:
            "If the pattern continues, bring dated examples to your manager and focus on the impact on your work and recognition rather than on the person's character.",
          errors: [["talk to the colleague privately first", "confront the colleague publicly in the next meeting"]],
        },
      },
    ],
  }),
  explainTemplate({
    key: "advice-budget",
    category: "advice",
    variants: [
      {
        asks: [
          "I keep running out of money before payday. How do I make a budget that actually works?",
          "How do I start budgeting on a tight income? I've tried apps but I never stick to them.",
        ],
        explain: {
          short:
            "Track one month of actual spending, then set a simple plan: pay fixed bills and a small savings transfer on payday, and give yourself a weekly spending amount for everything else. A separate account or card for weekly spending makes overspending visible before it's too late.",
          intro:
            "Most budgets fail because they're too detailed to maintain. A system with a few automatic moves and one number to watch each week tends to stick.",
          sections: [
            {
              title: "See where it goes",
              body: "Export a month or two of bank transactions and group them roughly: housing, bills, groceries, transport, debt, everything else. Subscriptions and small daily purchases are usually the surprises.",
            },
            {
              title: "Automate the essentials",
              body: "On payday, have rent, bills and a savings transfer — even £20 — go out automatically. Building a small emergency buffer stops one unexpected expense from derailing the month.",
            },
            {
              title: "One weekly number",
              body: "Divide what's left by the weeks until payday and move that amount to a separate spending account each week. When it's gone, it's gone — and you'll know by Thursday, not on the 28th.",
            },
          ],
          table: {
            headers: ["Step", "When", "Effort"],
            rows: [
              ["Review 1–2 months of spending", "Once", "1 hour"],
              ["Automate bills + savings", "Payday", "One-off setup"],
              ["Weekly spending transfer", "Every Monday", "2 minutes"],
            ],
          },
          errors: [["even £20", "at least half your income"]],
        },
      },
    ],
  }),
  explainTemplate({
    key: "advice-language",
    category: "advice",
    variants: [
      {
        asks: [
          "What's the most effective way to learn a language as an adult with only 30 minutes a day?",
          "I want to learn Portuguese before a trip in 6 months. How should I study?",
        ],
        explain: {
          short:
            "Spend most of your time on comprehensible input (listening and reading slightly above your level), review vocabulary with a spaced-repetition app, and start speaking early with a tutor or exchange partner once or twice a week. Consistency beats long sessions.",
          intro:
            "Half an hour a day is plenty if it's spent on the activities that actually build skill, and if you do it almost every day.",
          sections: [
            {
              title: "Input first",
              body: "Listen to podcasts for learners, watch shows with target-language subtitles, and read graded readers. Aim for material where you understand most of it but not all.",
            },
            {
              title: "Vocabulary with spaced repetition",
              body: "Use Anki or a similar app for 10 minutes a day, adding words from what you read and hear rather than from random lists. Sentences are more useful than isolated words.",
            },
            {
              title: "Speak early",
              body: "Book a weekly session with a tutor on a platform like iTalki or find a language exchange. Your first conversations will be clumsy — that's the point.",
            },
          ],
          outro: "Pick up a little grammar as you go, but don't let textbook exercises crowd out real listening and speaking.",
          errors: [["Consistency beats long sessions.", "Long weekend sessions are better than daily practice."]],
        },
      },
    ],
  }),
  explainTemplate({
    key: "advice-houseplant",
    category: "advice",
    variants: [
      {
        asks: ["My monstera's leaves are turning yellow. What am I doing wrong?", "yellow leaves on my monstera, what does it mean?"],
        explain: {
          short:
            "The most common cause is overwatering: water only when the top 3–5 cm of soil is dry and make sure the pot drains. If only the oldest, lowest leaves yellow occasionally, that's normal ageing.",
          intro: "Yellow leaves are a symptom with several possible causes, so look at the pattern and the soil before changing anything.",
          sections: [
            {
              title: "Check the soil",
              body: "Push a finger into the soil. If it's wet a few centimetres down days after watering, or the pot has no drainage hole, overwatering and root rot are likely. Let it dry out and consider repotting into a chunky, airy mix.",
            },
            {
              title: "Look at which leaves",
              body: "One old lower leaf yellowing is normal. Many leaves yellowing at once points to watering problems; pale yellow new growth can mean it needs feeding, especially in spring and summer.",
            },
            {
              title: "Light",
              body: "Monsteras like bright, indirect light. Too little light slows growth and makes overwatering more likely; harsh direct afternoon sun can scorch leaves yellow-brown.",
            },
          ],
          errors: [["water only when the top 3–5 cm of soil is dry", "water a little every day"]],
        },
      },
    ],
  }),
  explainTemplate({
    key: "advice-interview",
    category: "advice",
    variants: [
      {
        asks: [
          "I have a behavioural interview on Friday for a project manager role. How should I prepare?",
          'Tips for answering "tell me about a time when…" interview questions?',
        ],
        explain: {
          short:
            "Prepare 6–8 real stories (a conflict, a failure, a tight deadline, leading without authority, a tough stakeholder) and tell each using STAR: Situation, Task, Action, Result. Spend most of the time on what *you* did, quantify the result, and practise out loud.",
          intro:
            "Behavioural questions assume past behaviour predicts future behaviour, so interviewers want concrete stories, not hypotheticals.",
          sections: [
            {
              title: "Build a story bank",
              body: "List projects from the last few years and pull out moments that show leadership, conflict resolution, prioritisation, failure and recovery. One good story can often answer several questions.",
            },
            {
              title: "Use the STAR structure",
              body: "Keep the situation and task brief, spend about 60% on your actions, and finish with a measurable result and what you learned.",
              bullets: [
                "Situation: one or two sentences of context.",
                "Task: what you were responsible for.",
                'Action: the specific steps you took, using "I" not "we".',
                "Result: outcome with numbers where possible, plus the lesson.",
              ],
            },
            {
              title: "Practise out loud",
              body: "Record yourself or rehearse with a friend; aim for about two minutes per answer. Also prepare two or three thoughtful questions for them about how projects are run.",
            },
          ],
          errors: [["spend about 60% on your actions", "spend most of the time on the background situation"]],
        },
      },
    ],
  }),
];

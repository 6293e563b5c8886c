/** Factual Q&A: explain-style templates with planted errors for the weak model. */
import type { Template } from "../types";
import { explainTemplate } from "./helpers";

export const factualTemplates: Template[] = [
  explainTemplate({
    key: "fact-sky-blue",
    category: "factual_qa",
    variants: [
      {
        asks: [
          "Why is the sky blue?",
          "why is the sky blue but sunsets are orange?",
          "My daughter asked me why the sky is blue and I realised I don't actually know. Can you explain it?",
        ],
        explain: {
          short:
            "Sunlight is scattered by the gas molecules in the air, and shorter (blue) wavelengths scatter far more than longer (red) ones — this is Rayleigh scattering. At sunset the light crosses much more atmosphere, so most of the blue is scattered away before it reaches you and the remaining reds and oranges dominate.",
          terse: "Rayleigh scattering.",
          intro:
            "The colour of the sky comes from how sunlight interacts with the nitrogen and oxygen molecules in the atmosphere. Sunlight contains every visible colour, but the air does not treat them equally.",
          sections: [
            {
              title: "Rayleigh scattering",
              body: "Molecules much smaller than the wavelength of light scatter it in all directions, and the strength of that scattering rises steeply as the wavelength gets shorter — roughly with the inverse fourth power. Blue light (around 450 nm) is scattered about five times more than red light (around 700 nm), so blue light reaches your eye from every part of the sky.",
            },
            {
              title: "Why not violet?",
              body: "Violet scatters even more than blue, but sunlight contains less of it, some is absorbed high in the atmosphere, and our eyes are less sensitive to it. The mix that reaches us is perceived as sky blue.",
            },
            {
              title: "Sunsets",
              body: "When the Sun is low, its light travels through far more air before reaching you. Most of the blue is scattered out of the direct beam along the way, leaving the longer red and orange wavelengths. Dust and smoke can make sunsets even more vivid.",
            },
          ],
          outro:
            "The same physics explains why distant mountains look bluish and why the sky on Mars, with its thin dusty atmosphere, looks butterscotch by day and bluish at sunset.",
          errors: [
            [
              "shorter (blue) wavelengths scatter far more than longer (red) ones",
              "blue light is reflected off the oceans back into the air",
            ],
            ["about five times more", "about twice as much"],
          ],
        },
      },
    ],
  }),
  explainTemplate({
    key: "fact-seasons",
    category: "factual_qa",
    variants: [
      {
        asks: [
          "What causes the seasons on Earth?",
          "Is it summer because we're closer to the sun?",
          "Explain what causes summer and winter.",
        ],
        explain: {
          short:
            "Seasons are caused by the tilt of Earth's axis (about 23.4°), not by our distance from the Sun. When your hemisphere is tilted toward the Sun, sunlight hits it more directly and days are longer, so it's summer; tilted away, you get winter.",
          terse: "Axial tilt, not distance.",
          intro:
            "It's a common misconception that summer happens when Earth is closer to the Sun. In fact Earth is closest to the Sun in early January — the middle of winter in the Northern Hemisphere.",
          sections: [
            {
              title: "Axial tilt",
              body: "Earth's axis is tilted about 23.4° relative to its orbit, and it keeps pointing the same direction in space all year. For half the year the Northern Hemisphere leans toward the Sun; for the other half the Southern Hemisphere does.",
            },
            {
              title: "Angle of sunlight",
              body: "When sunlight arrives steeply, the same energy is concentrated on a smaller patch of ground. When it arrives at a shallow angle it is spread out and also passes through more atmosphere, so each square metre receives less heat.",
            },
            {
              title: "Day length",
              body: "The tilt also changes how long the Sun is above the horizon. Long summer days mean more hours of heating and fewer hours of cooling at night, which amplifies the effect of the steeper angle.",
            },
          ],
          outro: "This is also why the hemispheres have opposite seasons: when it's July in London, it's mid-winter in Buenos Aires.",
          errors: [
            ["not by our distance from the Sun", "and also by our changing distance from the Sun"],
            ["Earth is closest to the Sun in early January", "Earth is closest to the Sun in early July"],
          ],
        },
      },
    ],
  }),
  explainTemplate({
    key: "fact-tides",
    category: "factual_qa",
    variants: [
      {
        asks: ["What causes ocean tides?", "How do tides work and why are there two a day?"],
        explain: {
          short:
            "Tides are caused mainly by the Moon's gravity pulling slightly harder on the side of Earth nearest to it than on the far side, which stretches the oceans into two bulges. As Earth rotates through both bulges, most coasts get two high tides and two low tides roughly every 24 hours and 50 minutes.",
          intro:
            "Tides are a result of differences in gravitational pull across Earth, mostly from the Moon and to a lesser extent the Sun.",
          sections: [
            {
              title: "Two bulges",
              body: "The Moon pulls on the near side of Earth more strongly than on its centre, and on the centre more strongly than on the far side. The result is that water is pulled into a bulge facing the Moon and left behind in a second bulge on the opposite side.",
            },
            {
              title: "Timing",
              body: "Earth rotates under these bulges once a day, but the Moon also moves along its orbit, so the cycle takes about 24 hours and 50 minutes. That's why high tide is roughly 50 minutes later each day.",
            },
            {
              title: "Spring and neap tides",
              body: "The Sun's tidal effect is a little under half the Moon's. When Sun and Moon line up (new and full moon) their effects add, giving larger spring tides; at quarter moons they partly cancel, giving smaller neap tides.",
            },
          ],
          outro:
            "Local geography matters a lot: the Bay of Fundy has tides over 15 m, while parts of the Mediterranean barely notice them.",
          errors: [
            ["24 hours and 50 minutes", "12 hours exactly"],
            ["a little under half the Moon's", "about twice as strong as the Moon's"],
          ],
        },
      },
    ],
  }),
  explainTemplate({
    key: "fact-mrna",
    category: "factual_qa",
    variants: [
      {
        asks: ["How do mRNA vaccines work?", "Can you explain how an mRNA vaccine works? Does it change your DNA?"],
        explain: {
          short:
            "An mRNA vaccine delivers instructions for making one harmless piece of a virus (for COVID-19, the spike protein). Your cells read the instructions, make the protein, and your immune system learns to recognise it; the mRNA is broken down within days and never enters the nucleus, so it cannot change your DNA.",
          intro:
            "Messenger RNA is the molecule cells use to carry protein recipes from DNA to the protein-making machinery. mRNA vaccines borrow this mechanism to show the immune system a preview of a pathogen.",
          sections: [
            {
              title: "Delivery",
              body: "The mRNA is wrapped in tiny lipid nanoparticles that protect it and help it enter cells near the injection site. Without the lipid coating it would be destroyed almost immediately.",
            },
            {
              title: "Making the antigen",
              body: "Ribosomes in the cytoplasm translate the mRNA into the target protein. The cells display fragments of it on their surface, which alerts the immune system.",
            },
            {
              title: "Immune memory",
              body: "B cells produce antibodies against the protein and T cells learn to recognise infected cells. Memory cells persist afterwards, so a real infection is met with a faster, stronger response.",
            },
          ],
          outro:
            "The mRNA itself is fragile and is degraded by normal cellular processes within a few days; it stays in the cytoplasm and has no way to integrate into the genome.",
          errors: [
            ["never enters the nucleus, so it cannot change your DNA", "enters the nucleus but only changes your DNA temporarily"],
            ["within a few days", "after several years"],
          ],
        },
      },
    ],
  }),
  explainTemplate({
    key: "fact-inflation",
    category: "factual_qa",
    variants: [
      {
        asks: ["What is inflation and what causes it?", "Explain inflation like I'm a first-year economics student."],
        explain: {
          short:
            "Inflation is a sustained rise in the general price level, which means each unit of money buys less over time. It's usually driven by demand outpacing supply (demand-pull), rising production costs (cost-push), or expectations of future price rises that become self-fulfilling.",
          intro:
            "Inflation measures how fast prices across the economy are rising, typically tracked with an index like the Consumer Price Index (CPI), which prices a representative basket of goods and services.",
          sections: [
            {
              title: "Demand-pull",
              body: "When households, businesses and governments want to buy more than the economy can produce — for example after a stimulus or a credit boom — sellers can raise prices.",
            },
            {
              title: "Cost-push",
              body: "If key inputs such as energy or wages get more expensive, firms pass some of those costs on to customers. The oil shocks of the 1970s are the textbook example.",
            },
            {
              title: "Expectations",
              body: "If workers expect 5% inflation they ask for 5% raises, and firms that expect higher costs raise prices in advance. This is why central banks care so much about keeping expectations anchored.",
            },
          ],
          outro:
            "Most central banks target around 2% a year. They mainly respond by raising interest rates, which cools borrowing and spending.",
          table: {
            headers: ["Type", "Trigger", "Example"],
            rows: [
              ["Demand-pull", "Spending exceeds capacity", "Post-stimulus boom"],
              ["Cost-push", "Input costs rise", "1970s oil shocks"],
              ["Built-in", "Wage–price expectations", "Indexed wage contracts"],
            ],
          },
          errors: [
            ["Most central banks target around 2% a year", "Most central banks target around 10% a year"],
            ["which cools borrowing", "which encourages borrowing"],
          ],
        },
      },
    ],
  }),
  explainTemplate({
    key: "fact-gps",
    category: "factual_qa",
    variants: [
      {
        asks: ["How does GPS know where I am?", "How does GPS work? Does my phone send anything to the satellites?"],
        explain: {
          short:
            "Your receiver listens to timing signals from several GPS satellites; since each signal says when it was sent and where the satellite was, the receiver can work out its distance to each one and solve for its position. It only receives — your phone sends nothing to the satellites.",
          intro:
            "GPS is a one-way system: about 30 satellites broadcast signals, and any number of receivers can use them without transmitting anything back.",
          sections: [
            {
              title: "Timing is distance",
              body: "Each satellite carries atomic clocks and broadcasts the exact time and its orbital position. The signal travels at the speed of light, so the delay between sending and receiving tells the receiver how far away the satellite is.",
            },
            {
              title: "Trilateration",
              body: "Distances from three satellites narrow your location down to a point, but a fourth is needed because your phone's clock isn't accurate enough. With four or more, the receiver solves for latitude, longitude, altitude and its own clock error.",
            },
            {
              title: "Corrections",
              body: "Relativity matters: satellite clocks run about 38 microseconds per day fast relative to the ground, and this is corrected in the system design. Phones also use Wi-Fi and cell towers (assisted GPS) to get a fix faster.",
            },
          ],
          errors: [
            [
              "It only receives — your phone sends nothing to the satellites.",
              "Your phone also sends a signal up to the satellites so they can track it.",
            ],
            ["a fourth is needed", "a second is needed"],
          ],
        },
      },
    ],
  }),
  explainTemplate({
    key: "fact-altitude-boiling",
    category: "factual_qa",
    variants: [
      {
        asks: [
          "Why does water boil at a lower temperature in the mountains?",
          "I'm cooking pasta in Denver and it's taking forever. Why does altitude affect boiling?",
        ],
        explain: {
          short:
            "Water boils when its vapour pressure equals the surrounding air pressure. Air pressure is lower at altitude, so water boils at a lower temperature — about 95 °C in Denver instead of 100 °C at sea level — and food cooks more slowly because the water is simply not as hot.",
          intro: "Boiling isn't tied to a fixed temperature; it depends on the pressure of the air above the water.",
          sections: [
            {
              title: "Vapour pressure",
              body: "As water heats up, more molecules escape as vapour. Boiling starts when bubbles of vapour can form inside the liquid, which happens once the vapour pressure matches the external pressure.",
            },
            {
              title: "Less air above you",
              body: "At 1,600 m (Denver) the air pressure is roughly 83% of sea level, so that threshold is reached around 95 °C. On top of Everest water boils at about 70 °C.",
            },
            {
              title: "What it means for cooking",
              body: "Pasta, beans and eggs take longer because cooking depends on temperature, not on the bubbling itself. Turning the heat up only makes it boil harder; it won't get hotter. A pressure cooker solves the problem by raising the pressure.",
            },
          ],
          errors: [
            ["about 95 °C in Denver", "about 85 °C in Denver"],
            ["it won't get hotter", "it will get hotter and cook faster"],
          ],
        },
      },
    ],
  }),
  explainTemplate({
    key: "fact-antibiotics",
    category: "factual_qa",
    variants: [
      {
        asks: [
          "Why don't antibiotics work on the flu?",
          "What's the difference between a virus and a bacterium, and why can't I get antibiotics for a cold?",
        ],
        explain: {
          short:
            "Antibiotics target structures and processes that bacteria have — like cell walls and bacterial ribosomes — but viruses don't have them. Colds and flu are viral, so antibiotics do nothing except cause side effects and encourage resistance.",
          intro: "Bacteria and viruses are both microbes that can make us sick, but they are built very differently.",
          sections: [
            {
              title: "Bacteria",
              body: "Bacteria are single-celled organisms with their own metabolism, cell wall and ribosomes. They can reproduce on their own, and many are harmless or even helpful.",
            },
            {
              title: "Viruses",
              body: "Viruses are much smaller and are essentially genetic material in a protein coat. They can't reproduce without hijacking a host cell, so there's no cell wall or bacterial ribosome for an antibiotic to attack.",
            },
            {
              title: "Why it matters",
              body: "Taking antibiotics for a viral infection exposes your gut bacteria to the drug and selects for resistant strains. For flu there are antiviral drugs such as oseltamivir, which work best when started early.",
            },
          ],
          table: {
            headers: ["", "Bacteria", "Viruses"],
            rows: [
              ["Living cell?", "Yes", "No"],
              ["Size", "~1–5 µm", "~20–300 nm"],
              ["Treated by antibiotics", "Often", "Never"],
              ["Examples", "Strep throat, UTIs", "Cold, flu, COVID-19"],
            ],
          },
          errors: [["Colds and flu are viral", "Colds are viral but flu is bacterial"]],
        },
      },
    ],
  }),
  explainTemplate({
    key: "fact-leap-year",
    category: "factual_qa",
    variants: [
      {
        asks: ["Why do we have leap years?", "Why is 1900 not a leap year but 2000 was?"],
        explain: {
          short:
            "A year (one orbit measured by the seasons) is about 365.2422 days, so adding a day every four years keeps the calendar aligned. Because that slightly overcorrects, century years are skipped unless divisible by 400 — so 1900 wasn't a leap year but 2000 was.",
          terse: "Earth's orbit isn't exactly 365 days.",
          intro: "The calendar has to stay in step with the seasons, but the solar year isn't a whole number of days.",
          sections: [
            {
              title: "The quarter day",
              body: "A tropical year lasts about 365 days, 5 hours and 49 minutes. Ignoring the extra quarter day would make the calendar drift by roughly a day every four years — about a month per century.",
            },
            {
              title: "The Gregorian fix",
              body: "Adding a day every four years (the Julian rule) overshoots by about 11 minutes a year. The Gregorian calendar, introduced in 1582, removes three leap days every 400 years: century years are leap years only if divisible by 400.",
            },
          ],
          outro: "The result is accurate to about one day every 3,000 years or so.",
          errors: [
            ["so 1900 wasn't a leap year but 2000 was", "so 2000 wasn't a leap year but 1900 was"],
            ["introduced in 1582", "introduced in 1752 by Julius Caesar"],
          ],
        },
      },
    ],
  }),
  explainTemplate({
    key: "fact-noise-cancel",
    category: "factual_qa",
    variants: [
      {
        asks: ["How do noise-cancelling headphones work?", "how does ANC on headphones actually cancel noise?"],
        explain: {
          short:
            "Active noise cancellation uses microphones to pick up incoming sound and plays an inverted copy of it through the speakers, so the two waves cancel out at your ear. It works best on steady low-frequency noise like engines; passive padding handles higher frequencies.",
          intro:
            "Noise-cancelling headphones combine two approaches: passive isolation from the ear cups and active cancellation from electronics.",
          sections: [
            {
              title: "Destructive interference",
              body: "Sound is a pressure wave. If you add a wave with the same shape but opposite sign, the peaks and troughs cancel. The headphones' processor generates this anti-noise in real time.",
            },
            {
              title: "Microphones",
              body: "Feed-forward mics on the outside hear noise before it reaches you, and feedback mics inside the cup check what's left. Most modern designs use both (hybrid ANC).",
            },
            {
              title: "Limits",
              body: "Sudden, irregular or high-pitched sounds such as voices and clattering are hard to predict, so ANC handles them poorly. That's why a plane's drone disappears but a baby crying still gets through.",
            },
          ],
          errors: [["steady low-frequency noise like engines", "high-pitched sounds like voices and alarms"]],
        },
      },
    ],
  }),
  explainTemplate({
    key: "fact-great-wall",
    category: "factual_qa",
    styles: ["short", "long", "plain"],
    variants: [
      {
        asks: ["Can you see the Great Wall of China from space?", "Is it true the Great Wall is visible from the Moon?"],
        explain: {
          short:
            "No — it's a popular myth. The Great Wall is long but only a few metres wide and similar in colour to the surrounding land, so it's essentially invisible to the naked eye from the Moon and very hard to spot even from low Earth orbit.",
          terse: "No, that's a myth.",
          intro:
            "The claim predates spaceflight and has been repeated in textbooks for decades, but astronauts have consistently said otherwise.",
          sections: [
            {
              title: "Width, not length, matters",
              body: "Whether you can see something depends on its angular width. Most sections of the wall are 5–8 m wide; from the International Space Station, about 400 km up, that's like spotting a hair from a few metres away.",
            },
            {
              title: "What astronauts see",
              body: "Yang Liwei, China's first astronaut, said he could not see it. Highways, airports and city lights are much easier to pick out because of their contrast. From the Moon, about 384,000 km away, no individual human structure is visible at all.",
            },
          ],
          errors: [["No — it's a popular myth.", "Yes, it is the only man-made structure visible from space."]],
        },
      },
    ],
  }),
  explainTemplate({
    key: "fact-fridge",
    category: "factual_qa",
    variants: [
      {
        asks: ["How does a refrigerator keep things cold?", "How does a fridge work? Where does the heat go?"],
        explain: {
          short:
            "A fridge pumps heat out rather than making cold: a refrigerant evaporates inside the fridge, absorbing heat, then a compressor squeezes it so it condenses in the coils at the back and releases that heat into your kitchen.",
          intro:
            "A refrigerator is a heat pump. It moves heat from inside the insulated box to the room, using the fact that liquids absorb heat when they evaporate and release it when they condense.",
          sections: [
            {
              title: "Evaporator",
              body: "Low-pressure liquid refrigerant flows through coils inside the fridge. It boils at a very low temperature, soaking up heat from the food compartment.",
            },
            {
              title: "Compressor and condenser",
              body: "The compressor raises the pressure and temperature of the vapour. In the condenser coils on the back or bottom it gives off heat to the room and turns back into a liquid.",
            },
            {
              title: "Expansion valve",
              body: "The liquid passes through a narrow valve where its pressure drops suddenly, cooling it before it re-enters the evaporator and the cycle repeats.",
            },
          ],
          outro: "This is why the back of a fridge feels warm, and why leaving the door open heats the kitchen rather than cooling it.",
          errors: [["heats the kitchen rather than cooling it", "is a cheap way to cool down the kitchen"]],
        },
      },
    ],
  }),
];

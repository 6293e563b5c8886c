/** Translation and language questions (accented Latin script and CJK). */
import type { FixedTexts, Style, Template } from "../types";
import { computedTemplate, explainTemplate, fixed } from "./helpers";

interface Variant {
  prompts: readonly string[];
  style: Style;
  texts: FixedTexts;
}

function langTemplate(key: string, variants: readonly Variant[]): Template {
  return computedTemplate({
    key,
    category: "multilingual",
    build(rng) {
      const v = rng.pick(variants);
      return { style: v.style, prompt: rng.pick(v.prompts), body: fixed(v.texts) };
    },
  });
}

const japanese = langTemplate("lang-ja", [
  {
    style: "short",
    prompts: [
      'Translate into polite Japanese: "Thank you for your help yesterday. The meeting has been moved to Thursday at 3 pm."',
      "How do I say this in Japanese (business polite)? Thank you for your help yesterday. The meeting has been moved to Thursday at 3 pm.",
    ],
    texts: {
      best: "昨日はお手伝いいただき、ありがとうございました。会議は木曜日の午後3時に変更になりました。\n\n(Kinō wa otetsudai itadaki, arigatō gozaimashita. Kaigi wa mokuyōbi no gogo sanji ni henkō ni narimashita.)",
      concise: "昨日はありがとうございました。会議は木曜日の午後3時に変更されました。",
      flawed: "昨日は手伝ってくれてありがとう。会議は金曜日の午後3時になった。",
    },
  },
  {
    style: "short",
    prompts: [
      "Translate into natural English: 「お疲れ様です。明日の会議の資料を共有します。ご確認よろしくお願いします。」",
      "What does this Slack message from my Japanese colleague mean? 「お疲れ様です。明日の会議の資料を共有します。ご確認よろしくお願いします。」",
    ],
    texts: {
      best: "Roughly: \"Hi, hope your day's going well. I'm sharing the materials for tomorrow's meeting — please take a look when you get a chance.\"\n\nお疲れ様です (otsukaresama desu) is a standard workplace greeting with no exact English equivalent; it acknowledges the other person's hard work. よろしくお願いします is a polite \"thanks in advance\".",
      concise: '"Hi! Sharing the materials for tomorrow\'s meeting — please have a look. Thanks!"',
      flawed: '"You look tired. The meeting tomorrow has been cancelled, please confirm."',
    },
  },
  {
    style: "long",
    prompts: ["What's the difference between は and が in Japanese? I keep mixing them up."],
    texts: {
      best: "It's one of the hardest parts of Japanese grammar, so mixing them up is completely normal. A useful first approximation: は marks the topic — what the sentence is about — while が marks the grammatical subject, often with emphasis on *which one*.\n\nCompare 私は学生です (watashi wa gakusei desu), \"As for me, I'm a student,\" with 私が学生です (watashi ga gakusei desu), \"*I'm* the student (not someone else)\". The first is a neutral self-introduction; the second answers a question like \"Who's the student here?\"\n\nが is also used for new information and in question words: 誰が来ましたか (Who came?) — you can't use は after a question word like 誰. は, on the other hand, introduces something already known or contrasts it with something else: 肉は食べますが、魚は食べません (I eat meat, but fish I don't).\n\nFinally, inside subordinate clauses the subject almost always takes が: 母が作ったケーキ (the cake my mother made). If you keep those three patterns in mind — topic vs. new information, question words, and relative clauses — you'll get most sentences right, and the rest comes with lots of reading.",
      concise:
        'は marks the topic (what you\'re talking about, often known or contrasted); が marks the subject, especially new or emphasised information. E.g. 私は学生です = "I\'m a student"; 私が学生です = "*I\'m* the student". Question words always take が: 誰が来ましたか？',
      flawed:
        "は and が mean the same thing and you can use either one. は is more polite so it is used in formal situations, and が is used in casual speech with friends.",
    },
  },
]);

const chineseIdiom = langTemplate("lang-zh", [
  {
    style: "short",
    prompts: ['这句话是什么意思："塞翁失马，焉知非福"? Please answer in English.', "What does 塞翁失马，焉知非福 mean?"],
    texts: {
      best: 'It literally means "When the old man at the frontier lost his horse, who could have known it wasn\'t a blessing?" It comes from a story in the *Huainanzi*: the lost horse returns with a fine wild horse, the son breaks his leg riding it, and the injury later spares him from a war. The idiom means a misfortune may turn out to be a blessing in disguise.',
      concise:
        'It means "a loss may turn out to be a blessing" — roughly "a blessing in disguise", from the tale of an old frontiersman whose lost horse came back with another.',
      terse: "Blessing in disguise.",
      flawed: 'It means "don\'t lose your horse" — a warning to be careful with your possessions, from a poem by Confucius.',
    },
  },
]);

const korean = langTemplate("lang-ko", [
  {
    style: "short",
    prompts: [
      "How do I say \"Nice to meet you, I'm looking forward to working with you\" in Korean? It's for a new colleague.",
      "korean for 'nice to meet you, looking forward to working together' (polite, work context)?",
    ],
    texts: {
      best: '처음 뵙겠습니다. 앞으로 함께 일하게 되어 기대됩니다. (Cheoeum boepgetseumnida. Apeuro hamkke ilhage doeeo gidaedoemnida.)\n\nThis is polite and natural for a new colleague; 잘 부탁드립니다 (jal butakdeurimnida) is a common closing that adds "I look forward to working with you" in a set-phrase way.',
      concise: "처음 뵙겠습니다. 앞으로 잘 부탁드립니다.",
      flawed: "안녕! 만나서 반가워. 같이 일하자. (This is the polite form.)",
    },
  },
]);

const spanish = langTemplate("lang-es", [
  {
    style: "plain",
    prompts: [
      'Translate to Spanish (Spain, informal): "Hi Lucía! Are you still coming on Saturday? Bring a jacket — it gets cold at night in the mountains."',
    ],
    texts: {
      best: "¡Hola, Lucía! ¿Sigues viniendo el sábado? Tráete una chaqueta, que por la noche hace frío en la montaña.",
      concise: "¡Hola Lucía! ¿Al final vienes el sábado? Trae una chaqueta, por la noche hace frío en la montaña.",
      flawed: "Hola Lucía! Estás viniendo el domingo? Trae un chaqueta, es frío en las montañas en la noche.",
    },
  },
  {
    style: "short",
    prompts: ['Is it "el agua" or "la agua" in Spanish? It\'s feminine, right?'],
    texts: {
      best: 'It\'s *el agua*, even though *agua* is feminine. Feminine nouns that start with a stressed "a" sound take *el* in the singular to avoid two "a" sounds colliding — but adjectives stay feminine (*el agua fría*) and the plural is *las aguas*.',
      concise: '*El agua* — feminine, but stressed initial "a" takes *el* in the singular. Still *el agua fría*, *las aguas*.',
      terse: "El agua.",
      flawed: "It's *la agua* because agua is feminine. *El agua* is a common mistake.",
    },
  },
]);

const german = langTemplate("lang-de", [
  {
    style: "short",
    prompts: ['Is this German correct? "Ich habe gestern ins Kino gegangen."', "check my german: Ich habe gestern ins Kino gegangen"],
    texts: {
      best: 'Almost — it should be "Ich **bin** gestern ins Kino gegangen." Verbs of movement from one place to another, like *gehen*, *fahren* and *kommen*, form the perfect tense with *sein*, not *haben*.',
      concise: '"Ich bin gestern ins Kino gegangen." — *gehen* takes *sein* in the perfect.',
      terse: "Use *bin* instead of *habe*.",
      flawed: 'Yes, that\'s correct. You could also say "Ich habe gestern ins Kino gegeht."',
    },
  },
]);

const tuVous = explainTemplate({
  key: "lang-fr-tu-vous",
  category: "multilingual",
  variants: [
    {
      asks: ['When should I use "tu" vs "vous" in French?', "I'm moving to Lyon for work. tu or vous with colleagues?"],
      explain: {
        short:
          "Use *vous* with strangers, older people, customers and anyone in a formal setting, and *tu* with friends, family, children and peers who use it with you. At work, start with *vous* and switch when a colleague suggests it (« on peut se tutoyer ? ») — many younger or startup offices switch almost immediately.",
        terse: "Vous by default; tu once invited.",
        intro:
          "French distinguishes an informal *tu* and a formal (and plural) *vous*. Getting it wrong is rarely a disaster, but it does signal how close or respectful you mean to be.",
        sections: [
          {
            title: "Use vous",
            body: "With people you don't know, shop staff and customers, older people, your manager in traditional workplaces, and whenever you're addressing more than one person.",
          },
          {
            title: "Use tu",
            body: "With friends, family, children, pets, and peers of your age in casual settings. Among students and in many tech companies *tu* is the default from day one.",
          },
          {
            title: "Switching",
            body: "The shift from *vous* to *tu* (le tutoiement) is usually proposed by the older or more senior person. If a colleague in Lyon uses *tu* with you, it's fine to reply with *tu*.",
          },
        ],
        errors: [["Use *vous* with strangers", "Use *tu* with strangers"]],
      },
    },
  ],
});

export const multilingualTemplates: Template[] = [japanese, chineseIdiom, korean, spanish, german, tuVous];

/** Coding questions: Python, TypeScript, SQL and bash, with fenced code blocks. */
import type { Template } from "../types";
import { computedTemplate, explain, explainTemplate, pickStyle, styledAsk } from "./helpers";

const dedupe = explainTemplate({
  key: "code-py-dedupe",
  category: "coding",
  styles: ["short", "long", "markdown"],
  variants: [
    {
      asks: [
        "Write a Python function that removes duplicates from a list but keeps the original order.",
        "python: dedupe a list while preserving order?",
        "What's the fastest way to remove duplicates from a list in Python without changing the order?",
      ],
      explain: {
        short:
          "Use `dict.fromkeys`, which keeps insertion order (Python 3.7+):\n\n```python\ndef dedupe(items):\n    return list(dict.fromkeys(items))\n```",
        terse: "```python\nlist(dict.fromkeys(items))\n```",
        intro: "Since Python 3.7, dictionaries preserve insertion order, which gives a one-line, O(n) solution for hashable items.",
        sections: [
          {
            title: "Hashable items",
            body: "`dict.fromkeys` keeps the first occurrence of each key, in order.",
            code: {
              lang: "python",
              src: `def dedupe(items):
    """Return items without duplicates, keeping first occurrences in order."""
    return list(dict.fromkeys(items))

print(dedupe([3, 1, 3, 2, 1]))  # [3, 1, 2]`,
            },
          },
          {
            title: "Unhashable items or a custom key",
            body: "For lists of dicts, track the keys you've seen in a set and keep an element only the first time its key appears.",
            code: {
              lang: "python",
              src: `def dedupe_by(items, key):
    seen = set()
    out = []
    for item in items:
        k = key(item)
        if k not in seen:
            seen.add(k)
            out.append(item)
    return out

users = dedupe_by(users, key=lambda u: u["email"].lower())`,
            },
          },
        ],
        outro: "Avoid `list(set(items))` — it's also O(n) but it throws the order away.",
        errors: [
          ["            seen.add(k)\n", ""],
          [
            "Avoid `list(set(items))` — it's also O(n) but it throws the order away.",
            "You can also use `list(set(items))`, which keeps the order too.",
          ],
        ],
      },
    },
  ],
});

const debounce = explainTemplate({
  key: "code-ts-debounce",
  category: "coding",
  styles: ["short", "long", "markdown"],
  variants: [
    {
      asks: ["Write a typed debounce function in TypeScript.", "How do I implement debounce in TypeScript with proper generics (no any)?"],
      explain: {
        short:
          "```ts\nexport function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number) {\n  let timer: ReturnType<typeof setTimeout> | undefined;\n  return (...args: A): void => {\n    clearTimeout(timer);\n    timer = setTimeout(() => fn(...args), ms);\n  };\n}\n```",
        intro:
          "A debounced function postpones calling `fn` until `ms` milliseconds have passed without another call. Typing the arguments as a generic tuple keeps full type safety for callers.",
        sections: [
          {
            title: "Implementation",
            body: "Using `ReturnType<typeof setTimeout>` makes the timer type work in both Node and the browser.",
            code: {
              lang: "ts",
              src: `export function debounce<A extends unknown[]>(
  fn: (...args: A) => void,
  ms: number,
): ((...args: A) => void) & { cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const debounced = (...args: A): void => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  debounced.cancel = () => clearTimeout(timer);
  return debounced;
}`,
            },
          },
          {
            title: "Usage",
            body: "The parameter types flow through, so `onSearch(42)` would be a compile error below.",
            code: {
              lang: "ts",
              src: `const onSearch = debounce((query: string) => {
  void fetchResults(query);
}, 300);

input.addEventListener("input", (e) => onSearch((e.target as HTMLInputElement).value));`,
            },
          },
        ],
        outro:
          "The `cancel` method is handy in React effects: call it in the cleanup function so a pending call doesn't fire after unmount.",
        errors: [["    clearTimeout(timer);\n", ""]],
      },
    },
  ],
});

const possiblyUndefined = explainTemplate({
  key: "code-ts-undefined",
  category: "coding",
  styles: ["short", "long", "markdown"],
  variants: [
    {
      asks: [
        "TypeScript says \"Object is possibly 'undefined'\" on `users.find(u => u.id === id).name`. How do I fix it properly?",
        "Why do I get error TS2532 'Object is possibly undefined' after Array.find?",
      ],
      explain: {
        short:
          '`find` returns `User | undefined` because nothing may match. Handle that case explicitly — e.g. `const user = users.find((u) => u.id === id); if (!user) throw new Error("user not found");` — or use optional chaining (`user?.name`) if undefined is acceptable.',
        terse: "Use `users.find(...)!.name`.",
        intro:
          "The compiler is right: `Array.prototype.find` returns `undefined` when no element matches, so its return type is `User | undefined`, and with `strictNullChecks` you must deal with that before accessing `.name`.",
        sections: [
          {
            title: "Narrow with a guard",
            body: "Decide what should happen when the user is missing. Throwing (or returning early) narrows the type for the rest of the function.",
            code: {
              lang: "ts",
              src: `const user = users.find((u) => u.id === id);
if (!user) {
  throw new Error(\`Unknown user \${id}\`);
}
console.log(user.name); // user: User here`,
            },
          },
          {
            title: "Optional chaining and defaults",
            body: 'If a missing user is a normal situation, let the value be undefined and supply a fallback: `const name = users.find((u) => u.id === id)?.name ?? "(unknown)";`.',
          },
          {
            title: "Avoid the non-null assertion",
            body: "`users.find(...)!.name` silences the error but just moves the crash to runtime. Reserve `!` for cases where you can prove the value exists and the compiler can't.",
          },
        ],
        errors: [["Avoid the non-null assertion", "Use the non-null assertion"]],
      },
    },
  ],
});

const retry = explainTemplate({
  key: "code-ts-retry",
  category: "coding",
  styles: ["long", "markdown"],
  variants: [
    {
      asks: [
        "Write a TypeScript helper that retries an async function with exponential backoff.",
        "I need a retry wrapper for fetch calls in TypeScript — exponential backoff with jitter, max attempts configurable.",
      ],
      explain: {
        short:
          "```ts\nasync function retry<T>(fn: () => Promise<T>, attempts = 5, baseMs = 200): Promise<T> {\n  for (let i = 0; ; i++) {\n    try {\n      return await fn();\n    } catch (err) {\n      if (i >= attempts - 1) throw err;\n      await new Promise((r) => setTimeout(r, baseMs * 2 ** i * Math.random()));\n    }\n  }\n}\n```",
        intro:
          "Here's a small, dependency-free helper. It waits `base · 2^attempt` milliseconds between tries, with \"full jitter\" so that many clients retrying at once don't hammer the server in lockstep.",
        sections: [
          {
            title: "The helper",
            body: "The `shouldRetry` hook lets you skip retries for errors that will never succeed, like a 400 response.",
            code: {
              lang: "ts",
              src: `export interface RetryOptions {
  attempts?: number;
  baseMs?: number;
  maxMs?: number;
  shouldRetry?: (err: unknown) => boolean;
}

export async function retry<T>(fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const { attempts = 5, baseMs = 200, maxMs = 10_000, shouldRetry = () => true } = opts;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= attempts - 1 || !shouldRetry(err)) throw err;
      const delay = Math.random() * Math.min(maxMs, baseMs * 2 ** attempt);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}`,
            },
          },
          {
            title: "Using it with fetch",
            body: "`fetch` only rejects on network errors, so throw on 5xx responses yourself to make them retryable.",
            code: {
              lang: "ts",
              src: `const data = await retry(async () => {
  const res = await fetch(url);
  if (res.status >= 500) throw new Error(\`HTTP \${res.status}\`);
  return res.json();
}, { attempts: 4 });`,
            },
          },
        ],
        outro:
          "Only retry idempotent operations (GETs, or POSTs with an idempotency key) — otherwise a retry after a timeout can apply the same change twice.",
        errors: [["if (attempt >= attempts - 1 || !shouldRetry(err)) throw err;", "if (!shouldRetry(err)) throw err;"]],
      },
    },
  ],
});

const mutableDefault = explainTemplate({
  key: "code-py-mutable-default",
  category: "coding",
  styles: ["short", "long", "markdown"],
  variants: [
    {
      asks: [
        "Why does this Python function keep remembering items from previous calls?\n\n```python\ndef add_tag(tag, tags=[]):\n    tags.append(tag)\n    return tags\n```",
        "bug: calling add_tag('a') then add_tag('b') returns ['a', 'b'] the second time?? code:\n\ndef add_tag(tag, tags=[]):\n    tags.append(tag)\n    return tags",
      ],
      explain: {
        short:
          "Default values are evaluated once, when the function is defined, so every call shares the same list. Use `None` as the default and create the list inside:\n\n```python\ndef add_tag(tag, tags=None):\n    if tags is None:\n        tags = []\n    tags.append(tag)\n    return tags\n```",
        terse: "Mutable default argument. Use `tags=None`.",
        intro:
          'This is Python\'s classic "mutable default argument" gotcha. The expression `[]` in the signature runs once, when `def` executes, and that single list object is stored on the function.',
        sections: [
          {
            title: "What's happening",
            body: "Each call that doesn't pass `tags` gets the same list, so appends accumulate. You can see it directly with `add_tag.__defaults__`, which shows the list growing.",
          },
          {
            title: "The fix",
            body: "Use a sentinel default and build a fresh list per call.",
            code: {
              lang: "python",
              src: `def add_tag(tag, tags=None):
    if tags is None:
        tags = []
    tags.append(tag)
    return tags`,
            },
          },
        ],
        outro: "The same applies to dicts, sets and any other mutable object used as a default. Linters like Ruff flag it as B006.",
        errors: [["Default values are evaluated once, when the function is defined", "Python caches the return value of functions"]],
      },
    },
  ],
});

const xss = explainTemplate({
  key: "code-xss",
  category: "coding",
  styles: ["long", "markdown"],
  variants: [
    {
      asks: [
        "Someone typed <script>alert(1)</script> into the comment box on my Express site and now everyone who opens the page gets an alert popup. How do I fix this?",
        "Our users can post comments and one of them posted <img src=x onerror=alert(1)> which ran JavaScript for everyone. What's the right fix?",
      ],
      explain: {
        short:
          "That's a stored XSS bug: you're inserting user input into the page as HTML. Escape it on output (or use `textContent` instead of `innerHTML`), sanitize any HTML you genuinely need with a library like DOMPurify, and add a Content-Security-Policy as a second layer.",
        intro:
          "This is stored cross-site scripting (XSS). The comment is saved as-is and later inserted into the page as HTML, so the browser executes it. A payload like <img src=x onerror=alert(1)> works even if you strip script tags, because the error handler runs as soon as the broken image fails to load.",
        sections: [
          {
            title: "Escape on output",
            body: "Treat comments as text, not markup. Template engines such as Pug, EJS (`<%= %>`) and Handlebars escape by default; the bug usually comes from an unescaped tag (`<%- %>`) or from client code doing `el.innerHTML = comment`.",
            code: {
              lang: "ts",
              src: `// Client side: render as text, never as HTML
const li = document.createElement("li");
li.textContent = comment.body; // "<script>" shows up literally
list.append(li);`,
            },
          },
          {
            title: "Sanitize if you need formatting",
            body: "If comments may contain bold or links, run them through an allow-list sanitizer like DOMPurify or sanitize-html, which removes event-handler attributes and `javascript:` URLs. Don't try to write your own regex filter.",
          },
          {
            title: "Defence in depth",
            body: "Add a Content-Security-Policy header that disallows inline scripts (`script-src 'self'`), set cookies `HttpOnly`, and clean up the stored payload in your database.",
          },
        ],
        errors: [["Don't try to write your own regex filter.", "A simple regex that removes <script> tags is usually enough."]],
        tangent:
          "Also you could just check if the comment contains the word script and reject it. For example <script>alert(1)</script> would be blocked, so that solves it in most cases.",
      },
    },
  ],
});

const gitUndo = explainTemplate({
  key: "code-git-undo",
  category: "coding",
  styles: ["short", "long", "markdown"],
  variants: [
    {
      asks: [
        "How do I undo my last git commit but keep the changes?",
        "I committed to main by mistake (not pushed yet). How do I undo the commit without losing my work?",
      ],
      explain: {
        short:
          "Run `git reset --soft HEAD~1`. It removes the commit but keeps your changes staged; use `git reset HEAD~1` (mixed) if you want them unstaged instead.",
        terse: "`git reset HEAD~1`",
        intro:
          "Since the commit isn't pushed, it's safe to rewrite local history with `git reset`. The flag decides what happens to the changes.",
        sections: [
          {
            title: "Keep the changes",
            body: "Move the branch back one commit and leave everything in place.",
            code: {
              lang: "bash",
              src: `git reset --soft HEAD~1   # changes stay staged
# or
git reset HEAD~1          # changes kept, but unstaged`,
            },
          },
          {
            title: "Move the work to a new branch",
            body: "If the commit should have gone on a feature branch, create the branch first, then reset main.",
            code: {
              lang: "bash",
              src: `git branch feature/my-work   # points at your commit
git reset --hard HEAD~1      # main goes back; the commit lives on the branch
git switch feature/my-work`,
            },
          },
          {
            title: "If it was already pushed",
            body: "Use `git revert <sha>` instead, which adds a new commit undoing the change without rewriting shared history.",
          },
        ],
        outro: "Avoid `--hard` unless the work is saved somewhere else — it discards uncommitted changes.",
        errors: [["git reset --soft HEAD~1", "git reset --hard HEAD~1"]],
      },
    },
  ],
});

const isVsEq = explainTemplate({
  key: "code-py-is-eq",
  category: "coding",
  variants: [
    {
      asks: [
        "What's the difference between `is` and `==` in Python?",
        "why does `a is b` return True for small ints but False for big ones in Python?",
      ],
      explain: {
        short:
          "`==` compares values (it calls `__eq__`), while `is` checks whether two names refer to the very same object. Use `is` only for singletons like `None`; small-int results like `256 is 256` being True are a CPython caching detail you shouldn't rely on.",
        intro: 'The two operators answer different questions: "are these equal?" versus "are these the same object in memory?"',
        sections: [
          {
            title: "Equality",
            body: "`a == b` asks the objects whether they're equal. Two separate lists `[1, 2]` and `[1, 2]` are equal but not identical.",
          },
          {
            title: "Identity",
            body: "`a is b` is True only if both names point to one object, equivalent to `id(a) == id(b)`. The idiomatic uses are `x is None`, `x is True` in rare cases, and sentinel objects.",
          },
          {
            title: "The small-integer surprise",
            body: "CPython pre-allocates integers from -5 to 256, so `x = 100; y = 100; x is y` is True, while the same with 1000 may be False. Interning of short strings behaves similarly. Both are implementation details.",
          },
        ],
        errors: [["from -5 to 256", "from 0 to 1000"]],
      },
    },
  ],
});

const sqlTop = computedTemplate({
  key: "code-sql-top-customers",
  category: "coding",
  build(rng) {
    const n = rng.pick([5, 10, 20]);
    const days = rng.pick([7, 30, 90]);
    const dialect = rng.pick(["PostgreSQL", "SQLite", "MySQL"] as const);
    const since =
      dialect === "PostgreSQL"
        ? `now() - interval '${days} days'`
        : dialect === "SQLite"
          ? `datetime('now', '-${days} days')`
          : `NOW() - INTERVAL ${days} DAY`;
    const style = pickStyle(rng, ["short", "long", "markdown"]);
    const ask = rng.pick([
      `Write a ${dialect} query that returns the top ${n} customers by total revenue in the last ${days} days. Tables: customers(id, name, email), orders(id, customer_id, total_cents, created_at).`,
      `SQL (${dialect}): top ${n} customers by revenue over the past ${days} days? schema is customers(id, name, email) and orders(id, customer_id, total_cents, created_at)`,
    ]);
    const query = `SELECT c.id,
       c.name,
       SUM(o.total_cents) / 100.0 AS revenue
FROM customers AS c
JOIN orders AS o ON o.customer_id = c.id
WHERE o.created_at >= ${since}
GROUP BY c.id, c.name
ORDER BY revenue DESC
LIMIT ${n};`;
    return {
      style,
      prompt: styledAsk(rng, ask, style),
      body: explain({
        short: `\`\`\`sql\n${query}\n\`\`\``,
        intro: `Join orders to customers, keep the last ${days} days, sum per customer and take the top ${n}. \`total_cents\` is divided by 100.0 so revenue comes out in currency units rather than cents.`,
        sections: [
          {
            title: "Query",
            body: `This works in ${dialect} as written.`,
            code: { lang: "sql", src: query },
          },
          {
            title: "Notes",
            body: "A few details that commonly trip people up.",
            bullets: [
              "Grouping by both id and name avoids merging two customers who share a name.",
              "Ties at the cut-off are broken arbitrarily; add `c.id` to the ORDER BY if you need a stable result.",
              `An index on \`orders(created_at, customer_id)\` keeps the ${days}-day filter fast on large tables.`,
            ],
          },
        ],
        errors: [
          ["GROUP BY c.id, c.name", "GROUP BY c.name"],
          [`LIMIT ${n};`, `LIMIT ${n + 1};`],
        ],
      }),
    };
  },
});

const sqlDupes = explainTemplate({
  key: "code-sql-duplicates",
  category: "coding",
  styles: ["short", "long", "markdown"],
  variants: [
    {
      asks: [
        "How do I find duplicate email addresses in a users table and delete all but the oldest row?",
        "SQL to find users with the same email (case-insensitive) and keep only the one with the lowest id",
      ],
      explain: {
        short:
          "```sql\nDELETE FROM users\nWHERE id NOT IN (\n  SELECT MIN(id) FROM users GROUP BY LOWER(email)\n);\n```\nRun the `SELECT` on its own first to check what will be kept.",
        intro:
          "Do it in two steps: look at the duplicates, then delete everything except the lowest id per (case-normalised) email. Wrap the delete in a transaction so you can roll back.",
        sections: [
          {
            title: "Find them",
            body: "Group on the lower-cased email and keep groups with more than one row.",
            code: {
              lang: "sql",
              src: `SELECT LOWER(email) AS email, COUNT(*) AS n, MIN(id) AS keep_id
FROM users
GROUP BY LOWER(email)
HAVING COUNT(*) > 1
ORDER BY n DESC;`,
            },
          },
          {
            title: "Delete the extras",
            body: "Keep the lowest id in each group and remove the rest.",
            code: {
              lang: "sql",
              src: `BEGIN;
DELETE FROM users
WHERE id NOT IN (
  SELECT MIN(id) FROM users GROUP BY LOWER(email)
);
-- check the row count, then
COMMIT;`,
            },
          },
          {
            title: "Prevent it happening again",
            body: "Add a unique index on the normalised email, e.g. `CREATE UNIQUE INDEX users_email_lower ON users (LOWER(email));`. Check for foreign keys pointing at the rows you delete first — orders or sessions may need to be re-pointed to the kept id.",
          },
        ],
        errors: [
          ["HAVING COUNT(*) > 1", "WHERE COUNT(*) > 1"],
          ["SELECT MIN(id) FROM users GROUP BY LOWER(email)", "SELECT MAX(id) FROM users GROUP BY email"],
        ],
      },
    },
  ],
});

const bashFind = computedTemplate({
  key: "code-bash-find",
  category: "coding",
  build(rng) {
    const size = rng.pick([50, 100, 500]);
    const days = rng.pick([3, 7, 14]);
    const [dir, where] = rng.pick([
      ["/var/log", "/var/log"],
      ["~/projects", "~/projects"],
      ["/data/uploads", "/data/uploads"],
      [".", "the current directory"],
    ] as const);
    const style = pickStyle(rng, ["short", "long", "markdown"]);
    const ask = rng.pick([
      `Bash one-liner to list files over ${size}MB in ${where} modified in the last ${days} days, biggest first?`,
      `How can I find all files larger than ${size} MB under ${where} that were changed in the past ${days} days, sorted by size?`,
    ]);
    const cmd = `find ${dir} -type f -size +${size}M -mtime -${days} -exec du -h {} + | sort -rh`;
    return {
      style,
      prompt: styledAsk(rng, ask, style),
      body: explain({
        short: `\`\`\`bash\n${cmd}\n\`\`\``,
        intro: `\`find\` can filter by size and modification time directly; piping through \`du -h\` and \`sort -rh\` gives human-readable sizes, largest first.`,
        sections: [
          {
            title: "Command",
            body: "Add `2>/dev/null` if you see permission-denied noise.",
            code: { lang: "bash", src: cmd },
          },
          {
            title: "How it works",
            body: "Each flag narrows the search.",
            bullets: [
              "`-type f`: regular files only.",
              `\`-size +${size}M\`: strictly larger than ${size} MiB.`,
              `\`-mtime -${days}\`: modified less than ${days} days ago.`,
              "`-exec du -h {} +`: prints sizes in batches instead of one process per file.",
              "`sort -rh`: reverse human-numeric sort, so 2G comes before 900M.",
            ],
          },
        ],
        outro: "On macOS the flags are the same; only `sort -h` needs GNU coreutils on older systems.",
        errors: [[`-mtime -${days}`, `-mtime +${days}`]],
      }),
    };
  },
});

const bashLogs = computedTemplate({
  key: "code-bash-logs",
  category: "coding",
  build(rng) {
    const days = rng.pick([7, 14, 30]);
    const pattern = rng.pick(["*.log", "*.log.gz"]);
    const style = pickStyle(rng, ["short", "long", "markdown"]);
    const ask = rng.pick([
      `Write a bash script that deletes ${pattern} files older than ${days} days in /var/log/myapp and runs nightly via cron.`,
      `cron job to clean up ${pattern} files older than ${days} days from /var/log/myapp?`,
    ]);
    const script = `#!/usr/bin/env bash
set -euo pipefail

LOG_DIR="/var/log/myapp"
find "$LOG_DIR" -type f -name '${pattern}' -mtime +${days} -print -delete`;
    return {
      style,
      prompt: styledAsk(rng, ask, style),
      body: explain({
        short: `\`\`\`bash\nfind /var/log/myapp -type f -name '${pattern}' -mtime +${days} -delete\n\`\`\`\nAdd it to cron with \`0 3 * * * <that command>\`.`,
        terse: `\`find /var/log/myapp -name '${pattern}' -mtime +${days} -delete\``,
        intro: `\`find ... -mtime +${days} -delete\` does the work; the rest is making it safe and scheduling it.`,
        sections: [
          {
            title: "Script",
            body: "Save it as `/usr/local/bin/cleanup-myapp-logs.sh` and `chmod +x` it. The `-print` makes cron mail or log what was removed.",
            code: { lang: "bash", src: script },
          },
          {
            title: "Schedule it",
            body: "Run `crontab -e` (as a user that can write to the directory) and add a nightly entry.",
            code: {
              lang: "bash",
              src: "0 3 * * * /usr/local/bin/cleanup-myapp-logs.sh >> /var/log/cleanup.log 2>&1",
            },
          },
          {
            title: "Test first",
            body: "Run the `find` command without `-delete` to see what would be removed. Quoting the pattern matters: without quotes the shell may expand it in the current directory before `find` sees it.",
          },
        ],
        outro: "If the app uses logrotate already, setting `maxage` there is an alternative to a separate cron job.",
        errors: [[`-mtime +${days}`, `-mtime -${days}`]],
      }),
    };
  },
});

const csvSum = computedTemplate({
  key: "code-py-csv",
  category: "coding",
  build(rng) {
    const [file, group, value] = rng.pick([
      ["sales.csv", "region", "amount"],
      ["expenses.csv", "category", "cost"],
      ["timesheet.csv", "project", "hours"],
    ] as const);
    const style = pickStyle(rng, ["short", "long", "markdown"]);
    const ask = rng.pick([
      `I have ${file} with columns date,${group},${value}. How do I total ${value} per ${group} in Python without pandas?`,
      `Python: read ${file} and sum the ${value} column grouped by ${group}. Standard library only please.`,
    ]);
    const code = `import csv
from collections import defaultdict

totals = defaultdict(float)
with open("${file}", newline="", encoding="utf-8") as f:
    for row in csv.DictReader(f):
        totals[row["${group}"]] += float(row["${value}"])

for key, total in sorted(totals.items(), key=lambda kv: kv[1], reverse=True):
    print(f"{key:<20} {total:>10.2f}")`;
    return {
      style,
      prompt: styledAsk(rng, ask, style),
      body: explain({
        short: `Use \`csv.DictReader\` with a \`defaultdict\`:\n\n\`\`\`python\n${code}\n\`\`\``,
        intro:
          "The standard library covers this nicely: `csv.DictReader` gives you each row as a dict keyed by the header, and `defaultdict(float)` avoids checking whether a key exists.",
        sections: [
          {
            title: "Code",
            body: "This prints the totals sorted from largest to smallest.",
            code: { lang: "python", src: code },
          },
          {
            title: "Things to watch",
            body: `If some rows have an empty ${value}, \`float("")\` raises \`ValueError\` — skip them with \`if row["${value}"].strip()\`. For amounts with thousands separators ("1,250.00"), strip the commas first, and use \`decimal.Decimal\` if you need exact cents.`,
          },
        ],
        errors: [[`totals[row["${group}"]] += float(row["${value}"])`, `totals[row["${group}"]] = float(row["${value}"])`]],
      }),
    };
  },
});

const regexDates = explainTemplate({
  key: "code-py-regex-dates",
  category: "coding",
  styles: ["short", "long", "markdown"],
  variants: [
    {
      asks: [
        "Regex in Python to pull all dates like 2024-03-15 out of a block of text?",
        "How do I extract ISO dates (YYYY-MM-DD) from log lines in Python and validate they're real dates?",
      ],
      explain: {
        short:
          '```python\nimport re\ndates = re.findall(r"\\b\\d{4}-\\d{2}-\\d{2}\\b", text)\n```\nThen validate with `datetime.date.fromisoformat`, since the regex alone accepts things like 2024-13-45.',
        intro:
          "A regex finds candidates that look like dates; `datetime` then checks they're real calendar dates. Trying to validate months and days purely in regex gets ugly fast.",
        sections: [
          {
            title: "Extract and validate",
            body: "`\\b` word boundaries stop it from matching inside longer numbers.",
            code: {
              lang: "python",
              src: `import re
from datetime import date

ISO_DATE = re.compile(r"\\b(\\d{4})-(\\d{2})-(\\d{2})\\b")

def extract_dates(text: str) -> list[date]:
    found = []
    for m in ISO_DATE.finditer(text):
        try:
            found.append(date.fromisoformat(m.group(0)))
        except ValueError:
            pass  # e.g. 2024-02-30
    return found`,
            },
          },
          {
            title: "Example",
            body: '`extract_dates("deploy 2024-03-15 ok; bad 2024-02-30; build 20240315")` returns only `[date(2024, 3, 15)]`.',
          },
        ],
        errors: [["\\b(\\d{4})-(\\d{2})-(\\d{2})\\b", "(\\d+)-(\\d+)-(\\d+)"]],
      },
    },
  ],
});

export const codingTemplates: Template[] = [
  dedupe,
  debounce,
  possiblyUndefined,
  retry,
  mutableDefault,
  xss,
  gitUndo,
  isVsEq,
  sqlTop,
  sqlDupes,
  bashFind,
  bashLogs,
  csvSum,
  regexDates,
];

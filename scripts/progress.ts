/**
 * The CLI's progress bar: drawn on stderr when it is a terminal (stdout stays the one JSON object of
 * --json), silent otherwise. Starts on the first update, so a total known only later is fine.
 */
import cliProgress from "cli-progress";

export type ProgressBar = {
  update: (done: number, total: number, payload?: Record<string, string>) => void;
  stop: () => void;
};

export function progressBar(format: string): ProgressBar {
  if (!process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar({ stream: process.stderr, format, hideCursor: true }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    update(done, total, payload) {
      if (!started) bar.start(Math.max(total, done), done, payload);
      started = true;
      bar.setTotal(Math.max(total, done));
      bar.update(done, payload);
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

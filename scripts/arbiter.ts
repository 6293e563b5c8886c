/** The Arbiter CLI's entry point: `npm run arbiter -- <command> [--flag value …]`; the commands are in ./cli.ts. */
import { main } from "./cli";

main(process.argv.slice(2)).then((code) => process.exit(code));

import { PlaygroundPanel } from "./playground-panel";

export default function PlaygroundPage() {
  return <PlaygroundPanel />;
}

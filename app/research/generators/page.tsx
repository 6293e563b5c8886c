import { GeneratorsPanel } from "./generators-panel";

export default function GeneratorsPage() {
  return <GeneratorsPanel />;
}

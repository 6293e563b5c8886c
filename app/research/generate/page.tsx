import { GeneratePanel } from "./generate-panel";

export default function GeneratePage() {
  return <GeneratePanel />;
}

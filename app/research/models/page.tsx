import { ModelsPanel } from "./models-panel";

export default function ModelsPage() {
  return <ModelsPanel />;
}

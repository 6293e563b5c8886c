import { TrainPanel } from "./train-panel";

export default function TrainPage() {
  return <TrainPanel />;
}

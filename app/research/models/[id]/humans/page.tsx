import { HumansPanel } from "./humans-panel";

export default async function ModelVsHumansPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <HumansPanel modelId={Number(id)} />;
}

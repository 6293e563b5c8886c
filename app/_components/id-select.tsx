/**
 * A labelled select over things with an id and a name (models, projects), the shape the research
 * pages pick from. `none` adds a first option with value 0 (e.g. "(type your own)" or a disabled "pick one").
 */
export function IdSelect(props: {
  label: string;
  value: number;
  onChange: (id: number) => void;
  options: readonly { id: number; name: string }[];
  none?: { label: string; disabled?: boolean };
  testId?: string;
}) {
  return (
    <label className="flex flex-col gap-1">
      {props.label}
      <select
        className="rounded border px-2 py-1"
        data-testid={props.testId}
        value={props.value}
        onChange={(e) => props.onChange(Number(e.target.value))}
      >
        {props.none && (
          <option value={0} disabled={props.none.disabled}>
            {props.none.label}
          </option>
        )}
        {props.options.map((o) => (
          <option key={o.id} value={o.id}>
            {o.name}
          </option>
        ))}
      </select>
    </label>
  );
}

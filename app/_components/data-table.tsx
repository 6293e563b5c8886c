import type { ReactNode } from "react";

/**
 * The admin pages' table: a styled frame and header row; rows are the caller's <tr>s. It scrolls
 * sideways inside its frame on a narrow screen, and says so when it has no rows (`empty`).
 */
export function DataTable({
  columns,
  testId,
  rowCount,
  empty = "Nothing here yet.",
  children,
}: {
  columns: (string | { label: string; className: string })[];
  testId?: string;
  /** How many rows the caller renders; 0 shows `empty` in place of the body. */
  rowCount?: number;
  empty?: string;
  children: ReactNode;
}) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a table that scrolls sideways must be reachable by keyboard
    <div className="relative max-w-full overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm" tabIndex={0}>
      <table className="w-full text-sm" data-testid={testId}>
        <thead className="bg-slate-50 text-left text-slate-600">
          <tr>
            {columns.map((c) => {
              const { label, className } = typeof c === "string" ? { label: c, className: "" } : c;
              return (
                <th key={label} scope="col" className={`whitespace-nowrap px-3 py-2 font-medium ${className}`}>
                  {label}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {rowCount === 0 ? (
            <tr>
              <td colSpan={columns.length} className="px-3 py-4 text-center text-slate-600" data-testid="table-empty">
                {empty}
              </td>
            </tr>
          ) : (
            children
          )}
        </tbody>
      </table>
    </div>
  );
}

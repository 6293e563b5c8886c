import type { ReactNode } from "react";

/** The admin pages' table: a styled frame and header row; rows are the caller's <tr>s. */
export function DataTable({
  columns,
  testId,
  children,
}: {
  columns: (string | { label: string; className: string })[];
  testId?: string;
  children: ReactNode;
}) {
  return (
    <table className="w-full overflow-hidden rounded-lg border border-slate-200 bg-white text-sm shadow-sm" data-testid={testId}>
      <thead className="bg-slate-50 text-left text-slate-600">
        <tr>
          {columns.map((c) => {
            const { label, className } = typeof c === "string" ? { label: c, className: "" } : c;
            return (
              <th key={label} className={`px-3 py-2 font-medium ${className}`}>
                {label}
              </th>
            );
          })}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}

/**
 * A table that may scroll sideways on a narrow screen. A scrolling box must be reachable by
 * keyboard (WCAG 2.1.1), so it is focusable and named like the table it holds.
 */
import type { ComponentChildren } from "preact";

/** A scrollable, focusable, named box around a table. */
export function TableWrap({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label={label}>
      {children}
    </div>
  );
}

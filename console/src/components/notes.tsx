/** Errors, "not available on this hub", and results, shown the same way on every page. */
import type { ComponentChildren } from "preact";
import { ApiProblem, NotAvailable } from "../api/client";

/** A route this hub does not have: a clear state instead of an error. */
export function Unavailable({ what }: { what: string }) {
  return (
    <div class="note unavailable" role="status">
      <strong>{what} is not available on this hub.</strong> This hub's API does not offer it yet (its{" "}
      <a href="/openapi.json">OpenAPI document</a> lists what it does).
    </div>
  );
}

/** The message of any error, as one line. */
export function errorText(error: unknown): string {
  // A credential without the scope a page needs: the page is not broken, this sign-in may not see it.
  if (error instanceof ApiProblem && error.status === 403) return `Not allowed with this credential: ${error.detail || error.title} (403)`;
  if (error instanceof ApiProblem) return `${error.title}${error.detail && error.detail !== error.title ? `: ${error.detail}` : ""} (${error.status})`;
  if (error instanceof Error) return error.message;
  return String(error);
}

/** An error from the hub or the network; `NotAvailable` becomes the "not available" note. */
export function ErrorNote({ error, what = "This feature" }: { error: unknown; what?: string }) {
  if (error === undefined || error === null) return null;
  if (error instanceof NotAvailable) return <Unavailable what={what} />;
  return (
    <div class="note error" role="alert">
      {errorText(error)}
    </div>
  );
}

/** A polite announcement of something done ("Device created"). */
export function Done({ children }: { children: ComponentChildren }) {
  return (
    <div class="note ok" role="status">
      {children}
    </div>
  );
}

/** "Loading…" while the first answer is on its way. */
export function Loading({ what = "Loading" }: { what?: string }) {
  return (
    <p class="muted" role="status" aria-live="polite">
      {what}…
    </p>
  );
}

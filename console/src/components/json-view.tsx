/**
 * JSON shown as indented text, with chosen fields marked (a shadow's delta inside its desired
 * and reported state). A marked line gets <mark> and a "Δ" so the mark is not colour alone.
 */
import type { JSX } from "preact";
import { isJsonObject, type JsonValue } from "../../../protocols/json-value";

const key = (path: string[]) => JSON.stringify(path);

/** Lines of `value`, each with the path of the field it starts (for marking). */
function lines(value: JsonValue, path: string[], indent: string, label: string, last: boolean, out: { text: string; path: string[] }[]): void {
  const comma = last ? "" : ",";
  if (isJsonObject(value) && Object.keys(value).length > 0) {
    out.push({ text: `${indent}${label}{`, path });
    const keys = Object.keys(value);
    keys.forEach((k, i) => lines(value[k] as JsonValue, [...path, k], `${indent}  `, `${JSON.stringify(k)}: `, i === keys.length - 1, out));
    out.push({ text: `${indent}}${comma}`, path: [] });
    return;
  }
  if (Array.isArray(value) && value.some((v) => typeof v === "object" && v !== null)) {
    // Arrays of objects are laid out too; an element's path step (NUL + index) is no field name, so a mark never lands inside by accident.
    out.push({ text: `${indent}${label}[`, path });
    value.forEach((v, i) => lines(v, [...path, `\u0000${i}`], `${indent}  `, "", i === value.length - 1, out));
    out.push({ text: `${indent}]${comma}`, path: [] });
    return;
  }
  out.push({ text: `${indent}${label}${JSON.stringify(value)}${comma}`, path });
}

/**
 * @example <JsonView value={shadow.state.desired} marked={leafPaths(delta)} label="Desired" />
 */
export function JsonView({ value, marked = [], label }: { value: JsonValue | undefined; marked?: string[][]; label: string }): JSX.Element {
  if (value === undefined) return <p class="muted">{label}: none</p>;
  const marks = new Set(marked.map(key));
  // A marked object marks every line inside it.
  const isMarked = (p: string[]) => p.length > 0 && p.some((_, i) => marks.has(key(p.slice(0, i + 1))));
  const out: { text: string; path: string[] }[] = [];
  lines(value, [], "", "", true, out);
  return (
    <figure class="json-figure">
      <figcaption>{label}</figcaption>
      {/* Focusable so a keyboard can scroll a wide document. */}
      <pre class="json" tabIndex={0}>
        {out.map((l, i) => (isMarked(l.path) ? <mark key={i} data-delta>{`${l.text}  Δ\n`}</mark> : <span key={i}>{`${l.text}\n`}</span>))}
      </pre>
    </figure>
  );
}

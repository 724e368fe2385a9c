import { toggled } from "../lib/sets";

/** Which of a chart's series are drawn: a checkbox per key, all on at first. */
export function KeyPicker({ keys, hidden, onChange, legend = "Keys" }: { keys: string[]; hidden: Set<string>; onChange: (hidden: Set<string>) => void; legend?: string }) {
  return (
    <fieldset class="keys">
      <legend>{legend}</legend>
      {keys.map((k) => (
        <label key={k} class="choice">
          <input type="checkbox" checked={!hidden.has(k)} onChange={(e) => onChange(toggled(hidden, k, !e.currentTarget.checked))} />{" "}
          {k}
        </label>
      ))}
    </fieldset>
  );
}

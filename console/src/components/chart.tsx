/**
 * A time-series chart (uPlot: small, fast, canvas) with what a canvas cannot say told in text:
 * a summary of the points and the latest values, and the data as a table on request.
 */
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { Series } from "../lib/buckets";
import { formatTime } from "../lib/format";
import { latestText, roundValue as round } from "../lib/latest";
import { TableWrap } from "./table-wrap";

/** Line colours with at least 3:1 contrast on white (WCAG 1.4.11). */
const COLOURS = ["#1f5fbf", "#b3261e", "#2e7d32", "#8e24aa", "#a35200", "#00796b", "#5d4037", "#37474f"];

/**
 * The time axis: from the chosen range's start to now (or the newest point, if later), so the
 * chart shows the range asked for rather than the data's extent (which for a single point
 * uPlot widens to a thousand days).
 */
function fitRange(u: uPlot, fromMs: number, series: Series): void {
  const newest = series.t.length > 0 ? series.t[series.t.length - 1] : 0;
  u.setScale("x", { min: fromMs / 1000, max: Math.max(Date.now() / 1000, newest) });
}

/**
 * The chart of `keys` from `series` over the range starting at `from` (epoch ms), with a text
 * summary and a data table. `bucketMs` > 0: the series' times are starts of buckets that wide.
 */
export function Chart({ series, keys, label, from, bucketMs = 0 }: { series: Series; keys: string[]; label: string; from: number; bucketMs?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = keys.join("\n");

  // A new set of keys is a new chart; new data for the same keys only updates it.
  useEffect(() => {
    const el = box.current;
    if (!el || keys.length === 0) return;
    const width = () => Math.max(280, el.clientWidth);
    const opts: uPlot.Options = {
      width: width(),
      height: 280,
      series: [{}, ...keys.map((k, i) => ({ label: k, stroke: COLOURS[i % COLOURS.length], width: 2, spanGaps: true, points: { show: true, size: 5 } }))],
      axes: [{}, { size: 60 }],
      cursor: { drag: { x: true, y: false } },
      // The axis's ends, in seconds, for whoever reads the page (and its tests): the canvas does not say.
      hooks: {
        setScale: [
          (p, key) => {
            if (key === "x") Object.assign(el.dataset, { xMin: String(p.scales.x.min), xMax: String(p.scales.x.max) });
          },
        ],
      },
    };
    const u = new uPlot(opts, [series.t, ...keys.map((k) => series.avg[k] ?? [])] as uPlot.AlignedData, el);
    fitRange(u, from, series);
    plot.current = u;
    const resize = new ResizeObserver(() => u.setSize({ width: width(), height: 280 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- rebuilt only when the keys change
  }, [shape]);
  useEffect(() => {
    const u = plot.current;
    if (!u) return;
    u.setData([series.t, ...keys.map((k) => series.avg[k] ?? [])] as uPlot.AlignedData);
    fitRange(u, from, series);
  }, [series, from]);

  const last = latestText(series, keys, bucketMs, formatTime);
  const rows = series.t.map((t, i) => ({ t, i })).slice(-50).reverse();
  return (
    <figure class="chart" data-points={series.t.length}>
      <figcaption>
        {label}: {series.t.length} point{series.t.length === 1 ? "" : "s"}
        {last !== null && <span data-testid="latest"> · {last}</span>}
      </figcaption>
      <div ref={box} class="chart-canvas" role="img" aria-label={`${label}, chart of ${keys.join(", ")} over time; the table below has the same data`} />
      <details>
        <summary>Data table (latest {rows.length})</summary>
        <TableWrap label="Telemetry data table">
          <table>
            <thead>
              <tr>
                <th scope="col">{bucketMs > 0 ? "Bucket start" : "Time"}</th>
                {keys.map((k) => (
                  <th key={k} scope="col">
                    {k}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map(({ t, i }) => (
                <tr key={t}>
                  <th scope="row">{formatTime(t * 1000)}</th>
                  {keys.map((k) => {
                    const v = series.avg[k]?.[i];
                    return <td key={k}>{v === null || v === undefined ? "—" : round(v)}</td>;
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      </details>
    </figure>
  );
}

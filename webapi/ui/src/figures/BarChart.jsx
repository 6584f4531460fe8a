// A bar chart drawn by Chart.js on a canvas, with the same numbers in an accessible data table beneath
// it (colour is never the only carrier: the legend and the table say each series in words).
import { useEffect, useRef } from "react";
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from "chart.js";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);
const COLOURS = ["#198754", "#0d6efd", "#fd7e14", "#6f42c1"];

export default function BarChart({ id, title, labels, series, keyLabel, format = (v) => v }) {
  const canvas = useRef(null);
  const data = JSON.stringify({ labels, series });
  useEffect(() => {
    const { labels: xs, series: ys } = JSON.parse(data);
    const chart = new Chart(canvas.current, {
      type: "bar",
      data: {
        labels: xs,
        datasets: ys.map((s, i) => ({ label: s.label, data: s.data, backgroundColor: COLOURS[i % COLOURS.length] })),
      },
      options: { responsive: true, maintainAspectRatio: false, animation: false, scales: { y: { beginAtZero: true } } },
    });
    return () => chart.destroy();
  }, [data]);
  return (
    <figure className="border rounded p-2 h-100 mb-0" data-testid={`chart-${id}`}>
      <figcaption className="fw-semibold mb-1">{title}</figcaption>
      <div className="figures-chart">
        <canvas ref={canvas} role="img" aria-label={title} />
      </div>
      <div className="table-responsive mt-2">
        <table className="table table-sm small mb-0" data-testid={`table-${id}`}>
          <caption className="visually-hidden">{title}</caption>
          <thead>
            <tr>
              <th scope="col">{keyLabel}</th>
              {series.map((s) => <th scope="col" key={s.label}>{s.label}</th>)}
            </tr>
          </thead>
          <tbody>
            {labels.map((label, row) => (
              <tr key={`${label}-${row}`}>
                <th scope="row">{label}</th>
                {series.map((s) => <td key={s.label}>{s.data[row] === null ? "—" : format(s.data[row])}</td>)}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}

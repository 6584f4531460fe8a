// A bar chart drawn by Chart.js on a canvas. The canvas is an image with a label; the same numbers
// are in the tables beside it, so nothing is only in the picture.
import { useEffect, useRef } from "react";
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from "chart.js";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

const COLOURS = ["#198754", "#0d6efd", "#fd7e14", "#6f42c1"];

// series: [{ label, values }], one value per label in ``labels``
export default function BarChart({ title, labels, series, testId }) {
  const canvas = useRef(null);
  useEffect(() => {
    const chart = new Chart(canvas.current, {
      type: "bar",
      data: {
        labels,
        datasets: series.map((s, i) => ({ label: s.label, data: s.values, backgroundColor: COLOURS[i % COLOURS.length] })),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: series.length > 1 } },
        scales: { y: { beginAtZero: true } },
      },
    });
    return () => chart.destroy();
  }, [labels, series]);
  return (
    <figure className="card card-body mb-3">
      <figcaption className="h6">{title}</figcaption>
      <div className="wt-chart">
        <canvas ref={canvas} role="img" aria-label={title} data-testid={testId} />
      </div>
    </figure>
  );
}

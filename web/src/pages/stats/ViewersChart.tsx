import { useEffect, useRef } from 'react';
import { Chart, Filler, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';
import { formatDuration } from '../../live/format';

Chart.register(LineController, LineElement, PointElement, LinearScale, Filler, Tooltip);

// Viewers over time (the stats `series`), drawn with Chart.js on a canvas. The table next to it in the
// page is the accessible version of the same numbers.
export function ViewersChart({ series }: { series: { at: number; viewers: number }[] }) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const chartRef = useRef<Chart<'line', { x: number; y: number }[]> | null>(null);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (canvas === null) return;
    const chart = new Chart<'line', { x: number; y: number }[]>(canvas, {
      type: 'line',
      data: { datasets: [{ label: 'Viewers', data: [], borderColor: '#e5484d', backgroundColor: 'rgba(229,72,77,0.18)', fill: true, stepped: true, pointRadius: 0 }] },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: {
            type: 'linear',
            title: { display: true, text: 'time since start', color: '#9aa3b2' },
            ticks: { color: '#9aa3b2', maxTicksLimit: 8, callback: (value) => formatDuration(Number(value)) },
            grid: { color: '#2a2f3a' },
          },
          y: { beginAtZero: true, ticks: { color: '#9aa3b2', precision: 0 }, grid: { color: '#2a2f3a' } },
        },
        plugins: {
          tooltip: {
            intersect: false,
            mode: 'index',
            callbacks: { title: (items) => formatDuration(items[0]?.parsed.x ?? 0) },
          },
        },
      },
    });
    chartRef.current = chart;
    return () => {
      chart.destroy();
      chartRef.current = null;
    };
  }, []);

  useEffect(() => {
    const chart = chartRef.current;
    if (chart === null) return;
    const start = series[0]?.at ?? 0;
    const dataset = chart.data.datasets[0];
    if (dataset) dataset.data = series.map((point) => ({ x: point.at - start, y: point.viewers }));
    chart.update();
  }, [series]);

  return (
    <div className="chart" data-testid="viewers-chart" data-points={series.length}>
      <canvas ref={canvasRef} role="img" aria-label={`Viewers over time, ${series.length} samples`} />
    </div>
  );
}

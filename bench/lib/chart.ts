/** The report's chart: horizontal bar panels (added latency, added TTFT, capacity) drawn into one PNG. */
import { Canvas, type Color } from "./png.js";
import { round } from "./stats.js";

export interface Panel {
  title: string;
  unit: string;
  series: { name: string; color: Color }[];
  rows: { label: string; values: (number | undefined)[] }[];
}

const WIDTH = 960;
const LABEL_WIDTH = 190;
const BAR_HEIGHT = 12;
const GREY: Color = [90, 90, 90];
const LIGHT: Color = [225, 225, 225];

function panelHeight(panel: Panel): number {
  return 48 + panel.rows.length * (panel.series.length * BAR_HEIGHT + 10) + 10;
}

function drawPanel(canvas: Canvas, top: number, panel: Panel): void {
  canvas.text(12, top + 8, panel.title, [0, 0, 0], 2);
  let legendX = 12;
  for (const series of panel.series) {
    canvas.fillRect(legendX, top + 30, 10, 10, series.color);
    legendX += 16 + canvas.text(legendX + 14, top + 32, series.name, GREY) + 10;
  }
  const values = panel.rows.flatMap((row) => row.values.filter((value): value is number => value !== undefined && Number.isFinite(value)));
  const maximum = Math.max(1e-9, ...values.map((value) => Math.abs(value)));
  const barSpace = WIDTH - LABEL_WIDTH - 90;
  const minimum = Math.min(0, ...values);
  const zeroX = LABEL_WIDTH + (minimum < 0 ? (barSpace * -minimum) / (maximum - minimum) : 0);
  const scale = barSpace / (maximum - minimum || 1);
  let y = top + 48;
  for (const row of panel.rows) {
    const rowHeight = panel.series.length * BAR_HEIGHT;
    canvas.fillRect(LABEL_WIDTH - 4, y - 2, barSpace + 8, rowHeight + 4, LIGHT);
    canvas.text(12, y + rowHeight / 2 - 4, row.label.slice(0, 29), [0, 0, 0]);
    row.values.forEach((value, index) => {
      const series = panel.series[index];
      if (series === undefined) return;
      const barTop = y + index * BAR_HEIGHT;
      if (value === undefined || !Number.isFinite(value)) {
        canvas.text(zeroX + 4, barTop + 2, "none", GREY);
        return;
      }
      const length = Math.abs(value) * scale;
      const start = value >= 0 ? zeroX : zeroX - length;
      canvas.fillRect(start, barTop + 1, Math.max(1, length), BAR_HEIGHT - 2, series.color);
      canvas.text(Math.max(zeroX, start + length) + 4, barTop + 2, `${round(value)} ${panel.unit}`, GREY);
    });
    y += rowHeight + 10;
  }
  canvas.fillRect(zeroX, top + 44, 1, y - top - 44, GREY);
}

/** Draws the panels one under another and returns the PNG bytes. */
export function drawChart(panels: Panel[], footer: string): Buffer {
  const height = panels.reduce((sum, panel) => sum + panelHeight(panel), 0) + 30;
  const canvas = new Canvas(WIDTH, height);
  let top = 0;
  for (const panel of panels) {
    drawPanel(canvas, top, panel);
    top += panelHeight(panel);
  }
  canvas.text(12, height - 18, footer.slice(0, 150), GREY);
  return canvas.toPng();
}

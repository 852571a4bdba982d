// The fakescope web page: upload a file to /v1/scan, then show the verdict, timeline and explanation.
// Plain JavaScript with no external libraries or CDNs, so the page works offline.
"use strict";

const drop = document.getElementById("drop");
const input = document.getElementById("file");
const statusLine = document.getElementById("status");

function setStatus(text, isError) {
  statusLine.textContent = text;
  statusLine.className = isError ? "error" : "";
}

async function analyse(file) {
  document.getElementById("result").hidden = true;
  setStatus(`Analysing ${file.name}…`, false);
  const form = new FormData();
  form.append("file", file, file.name);
  let response;
  try {
    response = await fetch("/v1/scan?explain=true", { method: "POST", body: form });
  } catch (err) {
    setStatus(`The service could not be reached (${err}).`, true);
    return;
  }
  const payload = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (!response.ok) {
    setStatus(payload.error || `HTTP ${response.status}`, true);
    return;
  }
  setStatus("", false);
  show(payload);
}

async function show(result) {
  const model = await fetch("/v1/model").then((r) => r.json()).catch(() => null);
  const verdict = document.getElementById("verdict");
  verdict.textContent = result.verdict;
  verdict.className = result.verdict;
  document.getElementById("source").textContent = `${result.source} · ${result.duration_s.toFixed(1)} s`;
  document.getElementById("pfake").textContent = result.p_fake.toFixed(2);
  if (model) {
    document.getElementById("real-below").textContent = model.thresholds.real_below;
    document.getElementById("fake-above").textContent = model.thresholds.fake_above;
  }
  showPeak(result.windows);
  const warnings = document.getElementById("warnings");
  warnings.replaceChildren(...result.warnings.map((w) => {
    const item = document.createElement("li");
    item.textContent = `⚠ ${w.message}`;
    return item;
  }));
  drawTimeline(result, model);
  const image = document.getElementById("explanation");
  if (result.explanation_png) {
    image.src = `data:image/png;base64,${result.explanation_png}`;
    image.hidden = false;
  } else {
    image.hidden = true;
  }
  document.getElementById("result").hidden = false;
}

// The window most likely fake, for files of several windows (as `fakescope scan`'s table shows it).
function showPeak(windows) {
  const peak = document.getElementById("peak");
  peak.hidden = windows.length < 2;
  if (peak.hidden) return;
  const top = windows.reduce((a, b) => (b.p_fake > a.p_fake ? b : a));
  const clock = (t) => {
    const s = Math.round(t);
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  };
  document.getElementById("peak-pfake").textContent = top.p_fake.toFixed(2);
  document.getElementById("peak-span").textContent = `${clock(top.start_s)}–${clock(top.end_s)}`;
}

function drawTimeline(result, model) {
  const svg = document.getElementById("timeline");
  const ns = "http://www.w3.org/2000/svg";
  const width = 600, height = 160, pad = 30;
  const duration = Math.max(result.duration_s, 0.1);
  const x = (t) => pad + (t / duration) * (width - 2 * pad);
  const y = (p) => height - pad + -p * (height - 2 * pad);
  const element = (name, attrs, text) => {
    const node = document.createElementNS(ns, name);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
    if (text) node.textContent = text;
    return node;
  };
  const children = [];
  const fakeAbove = model ? model.thresholds.fake_above : 0.7;
  const realBelow = model ? model.thresholds.real_below : 0.3;
  children.push(element("rect", { x: pad, y: y(1), width: width - 2 * pad, height: y(fakeAbove) - y(1), fill: "#fde2e1" }));
  children.push(element("rect", { x: pad, y: y(realBelow), width: width - 2 * pad, height: y(0) - y(realBelow), fill: "#dff3e4" }));
  children.push(element("line", { x1: pad, y1: y(0), x2: width - pad, y2: y(0), stroke: "#888" }));
  children.push(element("text", { x: 2, y: y(1) + 4, "font-size": 10 }, "1"));
  children.push(element("text", { x: 2, y: y(0) + 4, "font-size": 10 }, "0"));
  children.push(element("text", { x: width - pad, y: height - 8, "font-size": 10, "text-anchor": "end" }, `${duration.toFixed(1)} s`));
  // Windows split into runs where a pause was left out of scoring: grey there, and no line across it.
  const runs = [];
  result.windows.forEach((w, i) => {
    const previous = result.windows[i - 1];
    if (previous && w.start_s > previous.end_s) {
      children.push(element("rect", { x: x(previous.end_s), y: y(1), width: x(w.start_s) - x(previous.end_s), height: y(0) - y(1), fill: "#e6e6e6" }));
    }
    if (!previous || w.start_s > previous.end_s) runs.push([]);
    runs[runs.length - 1].push([x((w.start_s + w.end_s) / 2), y(w.p_fake)]);
  });
  for (const points of runs) {
    if (points.length > 1) {
      children.push(element("polyline", { points: points.map((p) => p.join(",")).join(" "), fill: "none", stroke: "#b22222", "stroke-width": 2 }));
    }
    for (const [px, py] of points) children.push(element("circle", { cx: px, cy: py, r: 4, fill: "#b22222" }));
  }
  svg.replaceChildren(...children);
}

drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  if (event.dataTransfer.files.length) analyse(event.dataTransfer.files[0]);
});
input.addEventListener("change", () => { if (input.files.length) analyse(input.files[0]); });

// The teaching page: shows the oldest open question, plays its clips, sends answers.
"use strict";
const token = new URLSearchParams(location.search).get("token") || "";
const api = (path) => path + (path.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(token);
const $ = (id) => document.getElementById(id);

let question = null;   // the question shown: {signal, id, kind, clips: [{id, frames}]}
let players = [];      // one per clip: {canvas, image, frames, frame}
let fps = 15;
let sending = false;

function setStatus(text) { $("status").textContent = text; }

// A clip's picture sheet holds its frames in a grid of ceil(sqrt(n)) columns.
function drawFrame(player) {
  const { canvas, image, frames } = player;
  if (!image.complete || image.naturalWidth === 0 || frames === 0) return;
  const cols = Math.ceil(Math.sqrt(frames)), rows = Math.ceil(frames / cols);
  const w = image.naturalWidth / cols, h = image.naturalHeight / rows;
  if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
  const i = player.frame;
  canvas.getContext("2d").drawImage(image, (i % cols) * w, Math.floor(i / cols) * h, w, h, 0, 0, w, h);
}

function tick() {
  for (const p of players) {
    p.frame = (p.frame + 1) % Math.max(p.frames, 1);
    drawFrame(p);
  }
  if (question && question.kind === "evaluate" && players[0]) $("eval-step").textContent = players[0].frame;
}

function show(q) {
  question = q;
  const canvases = q.kind === "compare" ? ["left-clip", "right-clip"] : ["eval-clip"];
  players = q.clips.map((clip, k) => {
    const player = { canvas: $(canvases[k]), image: new Image(), frames: clip.frames, frame: 0 };
    player.image.onload = () => drawFrame(player);
    player.image.src = api("/api/clip/" + clip.id + "?signal=" + encodeURIComponent(q.signal));
    return player;
  });
  $("idle").hidden = true;
  $("compare").hidden = q.kind !== "compare";
  $("evaluate").hidden = q.kind !== "evaluate";
  $("signal").textContent = q.signal;
  document.body.dataset.question = q.id;
  document.body.dataset.signal = q.signal;
}

function showIdle() {
  question = null;
  players = [];
  $("idle").hidden = false;
  $("compare").hidden = true;
  $("evaluate").hidden = true;
  $("signal").textContent = "";
  delete document.body.dataset.question;
  delete document.body.dataset.signal;
}

async function refresh() {
  try {
    const response = await fetch(api("/api/state"));
    const state = await response.json();
    if (!response.ok) { setStatus(state.error); return; }
    fps = state.fps;
    $("labels-given").textContent = state.labels_given;
    $("pending").textContent = state.pending;
    if (!state.question) showIdle();
    else if (!question || question.id !== state.question.id || question.signal !== state.question.signal) show(state.question);
  } catch (e) {
    setStatus("the server does not answer (" + e.message + ")");
  }
}

async function answer(value) {
  if (!question || sending) return;
  sending = true;
  const { id, signal } = question;
  try {
    const response = await fetch(api("/api/label"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ signal: signal, query: id, answer: value }),
    });
    const reply = await response.json();
    if (response.ok) {
      $("labels-given").textContent = reply.labels_given;
      setStatus("");
    } else {
      setStatus(reply.error);
    }
  } catch (e) {
    setStatus("the label was not sent (" + e.message + ")");
  }
  showIdle(); // until the next question arrives (or if the server is gone)
  await refresh();
  sending = false;
}

function score(value) {
  if (!question || question.kind !== "evaluate") return;
  answer({ score: { value: value, at: players[0] ? players[0].frame : 0 } });
}

document.querySelectorAll("button[data-answer]").forEach((b) => b.addEventListener("click", () => answer(b.dataset.answer)));
document.querySelectorAll("button[data-score]").forEach((b) => b.addEventListener("click", () => score(Number(b.dataset.score))));

document.addEventListener("keydown", (event) => {
  if (!question) return;
  const compare = question.kind === "compare";
  const keys = compare
    ? { ArrowLeft: "left", 1: "left", ArrowRight: "right", 2: "right", "=": "equal", e: "equal", s: "skip" }
    : { s: "skip" };
  if (!compare && (event.key === "+" || event.key === "-")) score(event.key === "+" ? 1 : -1);
  else if (keys[event.key]) answer(keys[event.key]);
  else return;
  event.preventDefault();
});

async function drawCurve() {
  const canvas = $("curve"), ctx = canvas.getContext("2d");
  let points = [];
  try {
    const response = await fetch(api("/api/curve"));
    if (response.ok) points = (await response.json()).points;
  } catch (e) { return; }
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.font = "12px sans-serif";
  ctx.fillStyle = "#555";
  if (points.length === 0) { ctx.fillText("no training episodes finished yet", 10, 20); return; }
  const xs = points.map((p) => p[0]), ys = points.map((p) => p[1]);
  const x0 = Math.min(...xs), x1 = Math.max(...xs, x0 + 1), y0 = Math.min(...ys), y1 = Math.max(...ys, y0 + 1e-9);
  const pad = 40, w = canvas.width - 2 * pad, h = canvas.height - 2 * pad;
  const px = (x) => pad + ((x - x0) / (x1 - x0)) * w, py = (y) => pad + h - ((y - y0) / (y1 - y0)) * h;
  ctx.strokeStyle = "#999";
  ctx.strokeRect(pad, pad, w, h);
  ctx.fillText(y1.toFixed(1), 2, pad + 4);
  ctx.fillText(y0.toFixed(1), 2, pad + h);
  ctx.fillText(String(x0), pad, pad + h + 16);
  ctx.fillText(String(x1), pad + w - 40, pad + h + 16);
  ctx.strokeStyle = "#1f77b4";
  ctx.lineWidth = 2;
  ctx.beginPath();
  points.forEach((p, i) => (i === 0 ? ctx.moveTo(px(p[0]), py(p[1])) : ctx.lineTo(px(p[0]), py(p[1]))));
  ctx.stroke();
}

let timer = null;
function restartTimer() {
  if (timer) clearInterval(timer);
  timer = setInterval(tick, 1000 / fps);
}
refresh().then(restartTimer);
setInterval(refresh, 1000);
drawCurve();
setInterval(drawCurve, 5000);

// This browser's recent predictions, each with a way to say which digit it really was.

import { fileName, percent } from "./result.js";

const timeOfDay = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dayAndTime = new Intl.DateTimeFormat(undefined, {
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
});

/** Return when something happened, in words: "just now", "5 min ago", "14:02", "Nov 3, 09:12". */
export function when(iso, now = new Date()) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso ?? "");
  const seconds = (now - date) / 1000;
  if (seconds < 45) return "just now";
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (date.toDateString() === now.toDateString()) return timeOfDay.format(date);
  return dayAndTime.format(date);
}

/** Say again how long ago each entry of `list` was predicted ("just now" does not stay true). */
export function refreshTimes(list) {
  for (const time of list.querySelectorAll("time")) time.textContent = when(time.dateTime);
}

function labelText(label) {
  return `You said ${label}`;
}

/**
 * Render this browser's `entries` (from HistoryStore) into `list`.
 * @param {HTMLElement} list
 * @param {Array<import("./history-store.js").Entry>} entries
 * @param {(entry: object, label: number) => Promise<unknown>} sendLabel sends and records a label
 */
export function renderHistory(list, entries, sendLabel) {
  list.replaceChildren(...entries.map((entry) => historyItem(entry, sendLabel)));
}

function historyItem(entry, sendLabel) {
  const item = document.createElement("li");
  item.className = "history-item";
  item.dataset.testid = "history-item";
  item.dataset.key = entry.key;

  const thumb = document.createElement("div");
  thumb.className = "thumb";
  const img = document.createElement("img");
  img.src = entry.preview; // a data URL: the 28x28 image the model saw, never the upload itself
  img.alt = `What the model saw for the digit predicted as ${entry.digit}`;
  img.width = 28;
  img.height = 28;
  thumb.append(img);

  const meta = document.createElement("div");
  meta.className = "history-meta";
  const digit = document.createElement("p");
  digit.className = "history-digit";
  digit.innerHTML = `<span class="visually-hidden">Predicted </span><strong></strong> <span class="muted small"></span>`;
  digit.querySelector("strong").textContent = String(entry.digit);
  digit.querySelector(".muted").textContent = percent(Number(entry.confidence));
  const time = document.createElement("time");
  time.className = "muted small";
  time.dateTime = entry.at;
  time.textContent = when(entry.at);
  time.title = fileName(entry.key);
  meta.append(digit, time);

  const label = document.createElement("p");
  label.className = "history-label";
  label.dataset.testid = "history-label";
  label.hidden = entry.label === null;
  if (!label.hidden) label.textContent = labelText(entry.label);

  item.append(thumb, meta, label, feedbackPicker(entry, label, sendLabel));
  return item;
}

function feedbackPicker(entry, label, sendLabel) {
  const details = document.createElement("details");
  details.className = "feedback";
  const summary = document.createElement("summary");
  summary.textContent = "Wrong? Pick the right digit";
  const group = document.createElement("div");
  group.className = "feedback-digits";
  group.setAttribute("role", "group");
  group.setAttribute("aria-label", `The right digit for the image predicted as ${entry.digit}`);
  const problem = document.createElement("p");
  problem.className = "feedback-error small";
  problem.setAttribute("role", "alert");
  problem.hidden = true;

  for (let d = 0; d < 10; d++) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "digit-choice";
    button.textContent = String(d);
    button.setAttribute("aria-label", `It is a ${d}`);
    if (d === entry.label) button.setAttribute("aria-pressed", "true");
    button.addEventListener("click", async () => {
      group.querySelectorAll("button").forEach((b) => (b.disabled = true));
      problem.hidden = true;
      try {
        await sendLabel(entry, d);
        entry.label = d;
        label.textContent = labelText(d);
        label.hidden = false;
        group.querySelectorAll("button").forEach((b) => b.removeAttribute("aria-pressed"));
        button.setAttribute("aria-pressed", "true");
        details.open = false;
        summary.focus();
      } catch (error) {
        problem.textContent = `Not recorded: ${error.message}`;
        problem.hidden = false;
      } finally {
        group.querySelectorAll("button").forEach((b) => (b.disabled = false));
      }
    });
    group.append(button);
  }
  details.append(summary, group, problem);
  return details;
}

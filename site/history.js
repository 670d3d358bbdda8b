// This browser's recent predictions, each with a way to say which digit it really was.

import { MAX_DIGITS } from "./config.js";
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
  const previews = entry.previews.length ? entry.previews : [entry.preview];
  thumb.classList.toggle("thumb-number", previews.length > 1);
  for (const preview of previews) {
    const img = document.createElement("img");
    img.src = preview; // a data URL: the 28x28 image the model saw, never the upload itself
    img.alt = `What the model saw, read as ${entry.digit}`;
    img.width = 28;
    img.height = 28;
    thumb.append(img);
  }

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

/** Record `value` as the entry's label on the server, then on the card; say why if it cannot. */
async function recordLabel(entry, value, label, problem, sendLabel) {
  problem.hidden = true;
  try {
    await sendLabel(entry, value);
  } catch (error) {
    problem.textContent = `Not recorded: ${error.message}`;
    problem.hidden = false;
    return false;
  }
  entry.label = value;
  label.textContent = labelText(value);
  label.hidden = false;
  return true;
}

/** The parts both pickers share: a closed details with its summary, and a hidden alert. */
function feedbackScaffold(summaryText) {
  const details = document.createElement("details");
  details.className = "feedback";
  const summary = document.createElement("summary");
  summary.textContent = summaryText;
  const problem = document.createElement("p");
  problem.className = "feedback-error small";
  problem.setAttribute("role", "alert");
  problem.hidden = true;
  return { details, summary, problem };
}

/** For a number: type the right digits, all of them, and send them as one label. */
function numberPicker(entry, label, sendLabel) {
  const { details, summary, problem } = feedbackScaffold("Wrong? Type the right number");
  const form = document.createElement("form");
  form.className = "feedback-number";
  const input = document.createElement("input");
  input.type = "text";
  input.inputMode = "numeric";
  input.pattern = `[0-9]{1,${MAX_DIGITS}}`;
  input.maxLength = MAX_DIGITS;
  input.required = true;
  input.value = String(entry.label ?? entry.digit);
  input.setAttribute("aria-label", `The right number for the image read as ${entry.digit}`);
  input.dataset.testid = "number-label";
  const send = document.createElement("button");
  send.type = "submit";
  send.className = "btn btn-small";
  send.textContent = "Send";
  form.append(input, send);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    send.disabled = true;
    if (await recordLabel(entry, input.value, label, problem, sendLabel)) {
      details.open = false;
      summary.focus();
    }
    send.disabled = false;
  });
  details.append(summary, form, problem);
  return details;
}

function feedbackPicker(entry, label, sendLabel) {
  if (typeof entry.digit === "string" && entry.digit.length > 1) {
    return numberPicker(entry, label, sendLabel);
  }
  const { details, summary, problem } = feedbackScaffold("Wrong? Pick the right digit");
  const group = document.createElement("div");
  group.className = "feedback-digits";
  group.setAttribute("role", "group");
  group.setAttribute("aria-label", `The right digit for the image predicted as ${entry.digit}`);

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

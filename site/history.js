// Recent predictions as thumbnails, each with a way to say which digit it really was.

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

function labelText(label) {
  return `You said ${label}`;
}

/**
 * Render `images` (from GET /images) into `list`.
 * @param {HTMLElement} list
 * @param {Array<{key: string, digit: number, confidence: number, created_at: string, url: string|null, label: number|null}>} images
 * @param {(key: string, label: number) => Promise<unknown>} sendFeedback
 */
export function renderHistory(list, images, sendFeedback) {
  list.replaceChildren(...images.map((image) => historyItem(image, sendFeedback)));
}

function historyItem(image, sendFeedback) {
  const item = document.createElement("li");
  item.className = "history-item";
  item.dataset.testid = "history-item";
  item.dataset.key = image.key;

  const thumb = document.createElement("div");
  thumb.className = "thumb";
  if (image.url) {
    const img = document.createElement("img");
    img.src = image.url;
    img.alt = `Image predicted as ${image.digit}`;
    img.loading = "lazy";
    img.decoding = "async";
    thumb.append(img);
  } else {
    thumb.textContent = "no preview";
    thumb.classList.add("thumb-missing");
  }

  const meta = document.createElement("div");
  meta.className = "history-meta";
  const digit = document.createElement("p");
  digit.className = "history-digit";
  digit.innerHTML = `<span class="visually-hidden">Predicted </span><strong></strong> <span class="muted small"></span>`;
  digit.querySelector("strong").textContent = String(image.digit);
  digit.querySelector(".muted").textContent = percent(Number(image.confidence));
  const time = document.createElement("time");
  time.className = "muted small";
  time.dateTime = image.created_at ?? "";
  time.textContent = when(image.created_at);
  time.title = `${fileName(image.key)}`;
  meta.append(digit, time);

  const label = document.createElement("p");
  label.className = "history-label";
  label.dataset.testid = "history-label";
  label.hidden = image.label === null || image.label === undefined;
  if (!label.hidden) label.textContent = labelText(image.label);

  item.append(thumb, meta, label, feedbackPicker(image, label, sendFeedback));
  return item;
}

function feedbackPicker(image, label, sendFeedback) {
  const details = document.createElement("details");
  details.className = "feedback";
  const summary = document.createElement("summary");
  summary.textContent = "Wrong? Pick the right digit";
  const group = document.createElement("div");
  group.className = "feedback-digits";
  group.setAttribute("role", "group");
  group.setAttribute("aria-label", `The right digit for the image predicted as ${image.digit}`);
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
    if (d === image.label) button.setAttribute("aria-pressed", "true");
    button.addEventListener("click", async () => {
      group.querySelectorAll("button").forEach((b) => (b.disabled = true));
      problem.hidden = true;
      try {
        await sendFeedback(image.key, d);
        image.label = d;
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

// Calls to the prediction function, and its errors in plain words.

/** Plain-word messages for the function's error codes (and for the network itself). */
const PLAIN_WORDS = {
  nothing_drawn: "Nothing drawn yet. Draw a digit in the box, then press Predict.",
  not_a_digit:
    "That does not look like a digit or a number. Write digits as you would on paper, " +
    "side by side, then press Predict.",
  unsupported_media_type:
    "That file is not an image we can read. Try a PNG, JPEG, HEIC, WebP, AVIF, GIF or BMP.",
  // An uploaded image (a photo, mostly) in which no digit was found: what to try next.
  nothing_in_image:
    "No digit found in that image. If it is a photo, try again closer, so the writing fills " +
    "more of it, in more light (out of your own shadow), or with a darker pen.",
  invalid_image: "That image could not be read. It may be damaged or only partly downloaded.",
  too_large: "That image is too large. Try a smaller one, a few megabytes at most.",
  storage_unavailable: "The image store is not answering right now. Please try again in a moment.",
  network: "Cannot reach the recognizer. Check your connection and try again.",
  server: "The recognizer had a problem with that request. Please try again.",
};

/** What a refused label means: only the browser holding an image's receipt may label it. */
const FEEDBACK_WORDS = {
  ...PLAIN_WORDS,
  forbidden:
    "Only the browser that sent this image can label it, and this one's proof was refused.",
  not_found: "That image is no longer stored, so it cannot be labelled.",
};

export class ApiError extends Error {
  /**
   * @param {string} code one of the function's error codes, or "network" / "server"
   * @param {string} message what to show a person
   * @param {number} status HTTP status, 0 when the request never got an answer
   */
  constructor(code, message, status = 0) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = status;
  }
}

/** Return what to tell a person about an error code (falling back to the server's message). */
export function plainWords(code, fallback = "", words = PLAIN_WORDS) {
  return words[code] ?? (fallback || PLAIN_WORDS.server);
}

// For answers without our JSON error body (a proxy's page, a gateway's error).
const STATUS_CODES = {
  403: "forbidden",
  413: "too_large",
  415: "unsupported_media_type",
  422: "nothing_drawn",
  503: "storage_unavailable",
};

export class Api {
  /** @param {string} baseUrl the function URL, with or without a trailing slash */
  constructor(baseUrl) {
    this.base = baseUrl.replace(/\/+$/, "");
  }

  /** Predict a drawing sent as a PNG data URL. */
  predictDrawing(dataUrl, signal) {
    return this.#request("/predict", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ image: dataUrl }),
      signal,
    });
  }

  /** Predict an uploaded file, sent as multipart form data in the field `file`. */
  predictFile(file, signal) {
    const form = new FormData();
    form.append("file", file, file.name || "upload");
    return this.#request("/predict", { method: "POST", body: form, signal });
  }

  /** Record the right digit for a saved image, with the receipt its prediction answer gave. */
  sendFeedback(key, label, receipt) {
    const request = {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ key, label, receipt }),
    };
    return this.#request("/feedback", request, FEEDBACK_WORDS);
  }

  async #request(path, options, words = PLAIN_WORDS) {
    let response;
    try {
      response = await fetch(this.base + path, { ...options, mode: "cors" });
    } catch (error) {
      if (error.name === "AbortError") throw error;
      throw new ApiError("network", plainWords("network", "", words));
    }
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = null; // a proxy's HTML error page, or an empty body
    }
    if (response.ok && body) return body;
    const code = body?.error?.code ?? STATUS_CODES[response.status] ?? "server";
    throw new ApiError(code, plainWords(code, body?.error?.message, words), response.status);
  }
}

// The drawing pad: pointer input (mouse, touch, pen), smooth round strokes, undo, and a PNG export.
// Strokes are kept in coordinates relative to the pad (0..1 across and down; widths relative to
// its height), so the pad can be redrawn crisply at any size and pixel density, and the export
// does not depend on the screen. The pad is wider than tall (pad.css: aspect-ratio 4 / 3), room
// for a few digits of a number while one digit is drawn as before.

const INK = "#15192b";
const REFERENCE_HEIGHT = 320; // brush sizes are CSS pixels on a pad this tall
// A digit drawn the pad's height is thirty times MNIST's 28 pixels: plenty for the server.
const EXPORT_WIDTH = 400;
const EXPORT_HEIGHT = 300;

export class DrawingPad {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {{onStrokeStart?: () => void, onStrokeEnd?: () => void, onChange?: () => void}} hooks
   */
  constructor(canvas, hooks = {}) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.hooks = hooks;
    this.strokes = [];
    this.revision = 0; // changes whenever the drawing does
    this.brushSize = 22;
    this.activePointer = null;
    this.frameRequested = false;
    this.width = 0;
    this.height = 0;

    canvas.addEventListener("pointerdown", (e) => this.#down(e));
    canvas.addEventListener("pointermove", (e) => this.#move(e));
    canvas.addEventListener("pointerup", (e) => this.#up(e));
    canvas.addEventListener("pointercancel", (e) => this.#up(e));
    canvas.addEventListener("lostpointercapture", (e) => this.#up(e));
    // touch-action: none (CSS) stops scrolling and zooming; these cover browsers that ignore it.
    const stop = (e) => e.preventDefault();
    canvas.addEventListener("touchstart", stop, { passive: false });
    canvas.addEventListener("touchmove", stop, { passive: false });
    canvas.addEventListener("contextmenu", stop);

    new ResizeObserver(() => this.#resize()).observe(canvas);
    // A changed devicePixelRatio (zoom, moving to another screen) needs a sharper backing store.
    this.#watchPixelRatio();
    this.#resize();
  }

  isEmpty() {
    return this.strokes.length === 0;
  }

  isDrawing() {
    return this.activePointer !== null;
  }

  setBrushSize(size) {
    this.brushSize = size;
  }

  undo() {
    if (this.activePointer !== null || this.strokes.length === 0) return;
    this.strokes.pop();
    this.revision++;
    this.#render();
    this.hooks.onChange?.();
  }

  clear() {
    this.activePointer = null;
    this.strokes = [];
    this.revision++;
    this.#render();
    this.hooks.onChange?.();
  }

  /** Return the drawing as a PNG data URL: dark ink on white, a fixed size on every screen. */
  toDataURL() {
    const out = document.createElement("canvas");
    out.width = EXPORT_WIDTH;
    out.height = EXPORT_HEIGHT;
    const ctx = out.getContext("2d");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, EXPORT_WIDTH, EXPORT_HEIGHT);
    for (const stroke of this.strokes) drawStroke(ctx, stroke, EXPORT_WIDTH, EXPORT_HEIGHT);
    return out.toDataURL("image/png");
  }

  /** Return the size of what toDataURL exports, in its pixels. */
  exportSize() {
    return { width: EXPORT_WIDTH, height: EXPORT_HEIGHT };
  }

  #point(e) {
    const rect = this.canvas.getBoundingClientRect();
    const x = (e.clientX - rect.left) / rect.width;
    const y = (e.clientY - rect.top) / rect.height;
    return [Math.min(1, Math.max(0, x)), Math.min(1, Math.max(0, y))];
  }

  #down(e) {
    if (this.activePointer !== null) return; // a second finger neither draws nor zooms
    if (e.pointerType === "mouse" && e.button !== 0) return;
    e.preventDefault();
    this.canvas.setPointerCapture?.(e.pointerId);
    this.activePointer = e.pointerId;
    this.strokes.push({ width: this.brushSize / REFERENCE_HEIGHT, points: [this.#point(e)] });
    this.revision++;
    this.hooks.onStrokeStart?.();
    this.hooks.onChange?.();
    this.#schedule();
  }

  #move(e) {
    if (e.pointerId !== this.activePointer) return;
    e.preventDefault();
    const stroke = this.strokes.at(-1);
    // Coalesced events carry every sample a fast pen or finger made since the last frame.
    const samples = e.getCoalescedEvents?.() ?? [];
    for (const sample of samples.length ? samples : [e]) {
      const p = this.#point(sample);
      const last = stroke.points.at(-1);
      const moved = Math.hypot((p[0] - last[0]) * this.width, (p[1] - last[1]) * this.height);
      if (moved >= 0.75) stroke.points.push(p);
    }
    this.#schedule();
  }

  #up(e) {
    if (e.pointerId !== this.activePointer) return;
    this.activePointer = null;
    this.canvas.releasePointerCapture?.(e.pointerId);
    this.#render();
    this.hooks.onStrokeEnd?.();
  }

  #schedule() {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => {
      this.frameRequested = false;
      this.#render();
    });
  }

  #resize() {
    const rect = this.canvas.getBoundingClientRect();
    const ratio = window.devicePixelRatio || 1;
    this.width = rect.width;
    this.height = rect.height;
    const w = Math.max(1, Math.round(rect.width * ratio));
    const h = Math.max(1, Math.round(rect.height * ratio));
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
    this.#render();
  }

  #watchPixelRatio() {
    const query = matchMedia(`(resolution: ${window.devicePixelRatio || 1}dppx)`);
    query.addEventListener(
      "change",
      () => {
        this.#resize();
        this.#watchPixelRatio();
      },
      { once: true },
    );
  }

  #render() {
    const { ctx, canvas } = this;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    for (const stroke of this.strokes) drawStroke(ctx, stroke, canvas.width, canvas.height);
  }
}

/** Draw one stroke on `width` x `height` pixels: curves through midpoints, round caps and joins. */
function drawStroke(ctx, stroke, width, height) {
  const pts = stroke.points.map(([x, y]) => [x * width, y * height]);
  const lineWidth = stroke.width * height;
  ctx.fillStyle = INK;
  ctx.strokeStyle = INK;
  if (pts.length === 1) {
    ctx.beginPath();
    ctx.arc(pts[0][0], pts[0][1], lineWidth / 2, 0, Math.PI * 2);
    ctx.fill();
    return;
  }
  ctx.lineWidth = lineWidth;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.beginPath();
  ctx.moveTo(pts[0][0], pts[0][1]);
  for (let i = 1; i < pts.length - 1; i++) {
    const midX = (pts[i][0] + pts[i + 1][0]) / 2;
    const midY = (pts[i][1] + pts[i + 1][1]) / 2;
    ctx.quadraticCurveTo(pts[i][0], pts[i][1], midX, midY);
  }
  const last = pts.at(-1);
  ctx.lineTo(last[0], last[1]);
  ctx.stroke();
}

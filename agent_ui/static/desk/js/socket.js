// A websocket to this origin that reconnects with backoff and dispatches JSON frames by "type".

export class FrameSocket {
  /**
   * @param {string} path e.g. "/ws/agent"
   * @param {(state: "connecting"|"open"|"closed"|"denied") => void} onState
   */
  constructor(path, onState = () => {}) {
    this.path = path;
    this.onState = onState;
    this.handlers = new Map();
    this.ws = null;
    this.retry = 0;
    this.stopped = false;
    this.timer = null;
    this.outbox = [];
  }

  /** Call fn(frame) for every frame of this type ("*" for all). */
  on(type, fn) {
    if (!this.handlers.has(type)) this.handlers.set(type, []);
    this.handlers.get(type).push(fn);
    return this;
  }

  connect() {
    this.stopped = false;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${location.host}${this.path}`);
    this.ws = ws;
    this.onState("connecting");
    ws.addEventListener("open", () => {
      this.retry = 0;
      this.onState("open");
      const pending = this.outbox.splice(0);
      pending.forEach((frame) => ws.send(JSON.stringify(frame)));
    });
    ws.addEventListener("message", (event) => this.dispatch(event.data));
    ws.addEventListener("close", (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      // 4401/4403 and 1008: the session is gone or lacks the role — reconnecting will not help.
      if ([4401, 4403, 1008].includes(event.code)) {
        this.onState("denied");
        return;
      }
      this.onState("closed");
      if (!this.stopped) this.schedule();
    });
  }

  schedule() {
    const delay = Math.min(10_000, 500 * 2 ** this.retry) * (0.75 + Math.random() / 2);
    this.retry += 1;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  dispatch(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (!frame || typeof frame !== "object") return;
    for (const fn of [...(this.handlers.get(frame.type) || []), ...(this.handlers.get("*") || [])]) {
      try {
        fn(frame);
      } catch (err) {
        console.error(`handling ${frame.type} failed`, err);
      }
    }
  }

  /** Send a frame now, or as soon as the socket is open again. */
  send(frame) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
    else this.outbox.push(frame);
  }

  close() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000);
    this.ws = null;
  }
}

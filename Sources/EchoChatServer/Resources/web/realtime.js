// The live connection (/api/ws): authenticates with the first frame, keeps itself alive,
// reconnects with backoff, and renews its token when the API refreshes it.

export class RealTime {
  constructor(api, { onEvent, onReady, onStateChange }) {
    this.api = api;
    this.onEvent = onEvent;
    this.onReady = onReady;
    this.onStateChange = onStateChange;
    this.socket = null;
    this.attempt = 0;
    this.stopped = true;
    this.timer = null;
    this.pingTimer = null;
    this.everReady = false;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.pingTimer);
    if (this.socket) {
      this.socket.onclose = null;
      this.socket.close(1000, "signed out");
      this.socket = null;
    }
    this.setState("offline");
  }

  /// Sends a frame (typing, presence) when the connection is up; whether it went.
  send(frame) {
    if (this.socket?.readyState !== WebSocket.OPEN || this.state !== "online") return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  /// Gives a connection that is up the new access token, so it stays open past the old one's expiry.
  renew(token) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ type: "auth", token }));
  }

  connect() {
    // One connection at a time: a retry while another attempt is under way would leave two open.
    if (this.stopped || this.socket || !this.api.accessToken) return;
    clearTimeout(this.timer);
    this.setState(this.everReady ? "reconnecting" : "connecting");
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}/api/ws`);
    this.socket = socket;
    socket.onopen = () => socket.send(JSON.stringify({ type: "auth", token: this.api.accessToken }));
    socket.onmessage = (event) => {
      let frame;
      try { frame = JSON.parse(event.data); } catch { return; }
      if (frame.type === "ready") {
        const isReconnect = this.everReady;
        this.everReady = true;
        this.attempt = 0;
        this.setState("online");
        clearInterval(this.pingTimer);
        this.pingTimer = setInterval(() => {
          if (socket.readyState === WebSocket.OPEN) socket.send('{"type":"ping"}');
        }, 25_000);
        this.onReady(isReconnect);
      } else if (frame.type !== "pong" && frame.type !== "auth.ok") {
        this.onEvent(frame);
      }
    };
    socket.onclose = async (event) => {
      clearInterval(this.pingTimer);
      if (this.socket !== socket || this.stopped) return;
      this.socket = null;
      this.setState("reconnecting");
      // 4001: the token expired or the session ended; a refresh tells which.
      if (event.code === 4001) await this.api.refresh();
      if (this.stopped || this.socket || !this.api.signedIn) return;
      const delay = Math.min(30_000, 500 * 2 ** this.attempt) * (0.75 + Math.random() / 2);
      this.attempt = Math.min(this.attempt + 1, 6);
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }

  /// Tries at once (the browser came back online, or the user asked).
  retryNow() {
    if (this.stopped || this.socket) return;
    this.attempt = 0;
    this.connect();
  }

  setState(state) {
    this.state = state;
    this.onStateChange(state);
  }
}

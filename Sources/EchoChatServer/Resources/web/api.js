// The HTTP API: bearer tokens, one refresh at a time, errors as ApiError.

const SESSION_KEY = "echochat.session";

export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

export class Api {
  constructor() {
    this.session = readSession();
    this.refreshing = null;
    this.refreshTimer = null;
    this.onSessionChanged = () => {};
    this.onSignedOut = () => {};
    this.onUserChanged = () => {};
    this.signingOut = false;
    this.scheduleRefresh();
    window.addEventListener("storage", (event) => {
      if (event.key === SESSION_KEY) this.adopt(readSession());
    });
  }

  get signedIn() { return this.session !== null; }
  get accessToken() { return this.session?.access_token ?? null; }
  get user() { return this.session?.user ?? null; }

  async request(method, path, body, { retry = true, auth = true } = {}) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (auth && this.session) headers.Authorization = `Bearer ${this.session.access_token}`;
    let response;
    try {
      response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError(0, "network_error", "cannot reach the server");
    }
    if (response.status === 401 && auth && retry && this.session) {
      if (await this.refresh()) return this.request(method, path, body, { retry: false, auth });
    }
    if (response.status === 204) return null;
    let payload = null;
    try { payload = await response.json(); } catch { payload = null; }
    if (!response.ok) {
      const error = payload?.error ?? {};
      const retryAfter = Number(response.headers.get("Retry-After")) || undefined;
      throw new ApiError(response.status, error.code ?? "http_" + response.status, error.message ?? `the server answered ${response.status}`, retryAfter);
    }
    return payload;
  }

  get(path) { return this.request("GET", path); }
  post(path, body) { return this.request("POST", path, body ?? {}); }
  put(path, body) { return this.request("PUT", path, body); }
  patch(path, body) { return this.request("PATCH", path, body); }
  delete(path) { return this.request("DELETE", path); }

  async login(username, password) {
    const tokens = await this.request("POST", "/api/auth/login", { username, password }, { auth: false });
    this.store(tokens);
    return tokens.user;
  }

  async register(username, password, displayName) {
    const body = { username, password };
    if (displayName) body.display_name = displayName;
    await this.request("POST", "/api/auth/register", body, { auth: false });
    return this.login(username, password);
  }

  async logout() {
    const session = this.session;
    this.signingOut = true;
    try { await this.request("POST", "/api/auth/logout", {}); } catch { /* signed out locally either way */ }
    if (this.session === session || this.session === null) this.clear();
    this.signingOut = false;
  }

  /// Trades the refresh token for a new pair. Tabs share one session: the exchange runs under a
  /// lock across tabs, and a tab that finds a newer pair stored by another adopts it instead of
  /// presenting a used refresh token (which would end the session everywhere).
  refresh() {
    if (!this.session) return Promise.resolve(false);
    if (!this.refreshing) {
      const exchange = () => this.exchange();
      this.refreshing = (navigator.locks ? navigator.locks.request("echochat.refresh", exchange) : exchange())
        .finally(() => { this.refreshing = null; });
    }
    return this.refreshing;
  }

  async exchange() {
    const stored = readSession();
    if (!stored) {
      this.clear();
      return false;
    }
    if (this.session && stored.refresh_token !== this.session.refresh_token) {
      this.adopt(stored);
      return true;
    }
    const refreshToken = stored.refresh_token;
    try {
      const tokens = await this.request("POST", "/api/auth/refresh", { refresh_token: refreshToken }, { auth: false });
      // Signed out (or another sign-in) meanwhile: this pair belongs to nobody now.
      if (this.session?.refresh_token !== refreshToken) return false;
      this.store({ ...tokens, user: tokens.user ?? this.session?.user });
      return true;
    } catch (error) {
      // A network failure keeps the session for a later try; a refusal ends it.
      if (error.status === 401 || error.status === 403) this.clear();
      return false;
    }
  }

  /// Another tab refreshed, signed in or signed out.
  adopt(session) {
    if (!session) {
      this.clear();
      return;
    }
    if (session.refresh_token === this.session?.refresh_token) return;
    const sameUser = session.user?.id === this.session?.user?.id;
    this.session = session;
    this.scheduleRefresh();
    if (sameUser) this.onSessionChanged(session);
    else this.onUserChanged();
  }

  store(tokens) {
    this.session = {
      access_token: tokens.access_token,
      refresh_token: tokens.refresh_token,
      expires_at: Date.now() + (tokens.expires_in ?? 900) * 1000,
      user: tokens.user,
    };
    localStorage.setItem(SESSION_KEY, JSON.stringify(this.session));
    this.scheduleRefresh();
    this.onSessionChanged(this.session);
  }

  clear() {
    const wasSignedIn = this.session !== null;
    this.session = null;
    clearTimeout(this.refreshTimer);
    localStorage.removeItem(SESSION_KEY);
    if (wasSignedIn) this.onSignedOut(this.signingOut);
  }

  /// Refreshes ahead of expiry, so that requests and the live connection never carry a stale token.
  scheduleRefresh() {
    clearTimeout(this.refreshTimer);
    if (!this.session) return;
    const wait = Math.max(5_000, (this.session.expires_at - Date.now()) * 0.8);
    this.refreshTimer = setTimeout(() => this.refresh(), Math.min(wait, 2_000_000_000));
  }
}

function readSession() {
  try {
    const session = JSON.parse(localStorage.getItem(SESSION_KEY));
    return session?.access_token && session?.refresh_token ? session : null;
  } catch {
    return null;
  }
}

export function roomPath(name, suffix = "") {
  return `/api/rooms/${encodeURIComponent(name)}${suffix}`;
}

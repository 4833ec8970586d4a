import Foundation

/// One line of `echochat doctor`'s report.
struct DoctorFinding: Sendable, Equatable {
    enum Severity: String, Sendable {
        case ok, warning, error
    }

    let severity: Severity
    /// What was checked: `storage.sqlite`, `auth.ldap`, `livekit`, `webhook`.
    let subject: String
    let message: String
    /// What to do about it; empty when nothing is wrong.
    let fix: String

    static func ok(_ subject: String, _ message: String) -> Self { .init(severity: .ok, subject: subject, message: message, fix: "") }
    static func warning(_ subject: String, _ message: String, fix: String) -> Self {
        .init(severity: .warning, subject: subject, message: message, fix: fix)
    }
    static func error(_ subject: String, _ message: String, fix: String) -> Self {
        .init(severity: .error, subject: subject, message: message, fix: fix)
    }

    var line: String {
        let label = "[\(severity.rawValue)]".padding(toLength: 10, withPad: " ", startingAt: 0)
        return label + "\(subject): \(message)" + (fix.isEmpty ? "" : " Fix: \(fix)")
    }
}

/// The decisions `echochat doctor` makes from the configuration alone, before it asks anyone:
/// pure, so that each is tested on its own.
enum DoctorRules {
    /// LiveKit refuses (or warns about) API secrets shorter than this.
    static let minimumSecretLength = 32

    /// Whether `host` is this machine: a browser elsewhere cannot reach it under that name.
    static func isLoopback(_ host: String) -> Bool {
        let host = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return host == "localhost" || host.hasSuffix(".localhost") || host.hasPrefix("127.") || host == "::1"
    }

    /// The findings about the two LiveKit URLs and the secret.
    static func livekitSettings(wsURL: String, apiURL: String, secret: String) -> [DoctorFinding] {
        var findings: [DoctorFinding] = []
        let ws = URLComponents(string: wsURL)
        let api = URLComponents(string: apiURL)
        if let ws, let host = ws.host {
            if !isLoopback(host) && ws.scheme?.lowercased() != "wss" {
                findings.append(
                    .error(
                        "livekit_ws_url", "\(wsURL) is not TLS on a host other machines use: browsers refuse ws:// from an https page, and media signalling would travel unencrypted",
                        fix: "put LiveKit behind TLS (Caddy or nginx, see docs/SELF_HOSTING.md) and set livekit_ws_url to wss://\(host)"))
            } else {
                findings.append(.ok("livekit_ws_url", "browsers connect to \(wsURL)"))
            }
        }
        if let api, let host = api.host, !isLoopback(host), api.scheme?.lowercased() != "https" {
            findings.append(
                .error(
                    "livekit_api_url", "\(apiURL) sends EchoChat's server tokens to another machine without TLS",
                    fix: "use https://\(host), or http://127.0.0.1:7880 when LiveKit runs on this machine"))
        }
        if let ws, let api, let wsHost = ws.host, let apiHost = api.host {
            let wsPort = ws.port ?? (ws.scheme == "wss" ? 443 : 80)
            let apiPort = api.port ?? (api.scheme == "https" ? 443 : 80)
            if isLoopback(wsHost) && isLoopback(apiHost) && wsPort != apiPort {
                findings.append(
                    .warning(
                        "livekit_ws_url", "livekit_ws_url (port \(wsPort)) and livekit_api_url (port \(apiPort)) name different ports on this machine; LiveKit serves both on one port (7880)",
                        fix: "use the same port in both"))
            } else if !isLoopback(wsHost) && !isLoopback(apiHost) && wsHost.lowercased() != apiHost.lowercased() {
                findings.append(
                    .warning(
                        "livekit_api_url", "livekit_api_url names \(apiHost) but browsers use \(wsHost): make sure both reach the same LiveKit",
                        fix: "use https://\(wsHost) (or http://127.0.0.1:7880 when LiveKit runs here)"))
            }
        }
        if secret.utf8.count < minimumSecretLength {
            findings.append(
                .warning(
                    "livekit_api_secret", "the API secret has \(secret.utf8.count) characters; LiveKit wants at least \(minimumSecretLength) outside --dev",
                    fix: "generate a key pair with `echochat livekit-config` and set it in both servers"))
        } else {
            findings.append(.ok("livekit_api_secret", "\(secret.utf8.count) characters"))
        }
        return findings
    }

    /// What a failed RoomService call says about the settings.
    static func livekitCallFailure(_ error: LiveKitError, apiURL: String) -> DoctorFinding {
        switch error {
        case .unreachable(let reason):
            return .error(
                "livekit", "cannot reach LiveKit's API at \(apiURL): \(reason)",
                fix: "check livekit_api_url's host and port (LiveKit listens on 7880 unless its config says otherwise) and that livekit-server runs")
        case .twirp(_, _, let status) where status == 401 || status == 403:
            return .error(
                "livekit", "LiveKit at \(apiURL) refused EchoChat's API key and secret (HTTP \(status))",
                fix: "livekit_api_key and livekit_api_secret must be one of the pairs under keys: in LiveKit's config, exactly")
        case .twirp(_, _, let status) where status == 404:
            return .error(
                "livekit", "\(apiURL) answered 404: it is not LiveKit's API",
                fix: "point livekit_api_url at LiveKit itself (port 7880 by default), not at EchoChat or another service")
        case .twirp(let code, let message, let status):
            return .error("livekit", "LiveKit at \(apiURL) answered \(status) \(code): \(message)", fix: "read LiveKit's log for the reason")
        case .invalidResponse(let reason):
            return .error(
                "livekit", "\(apiURL) did not answer like LiveKit's API: \(reason)", fix: "point livekit_api_url at LiveKit itself (port 7880 by default)")
        }
    }

    /// What a webhook probe's answer says: EchoChat's receiver answers an unsigned POST with 401
    /// `invalid_webhook_signature`; anything else is some other server.
    static func webhookProbe(url: String, status: Int?, errorCode: String?, failure: String?) -> DoctorFinding {
        if let failure {
            return .error(
                "webhook", "LiveKit could not deliver events to \(url): \(failure)",
                fix: "make sure this URL reaches EchoChat from the LiveKit machine (DNS, TLS, the proxy, the firewall), and that LiveKit's webhook.urls lists it")
        }
        if status == 401 && errorCode == "invalid_webhook_signature" {
            return .ok("webhook", "\(url) reaches EchoChat's webhook receiver")
        }
        if status == 503 && errorCode == "livekit_disabled" {
            return .error(
                "webhook", "\(url) reaches an EchoChat whose voice is switched off",
                fix: "the URL must reach this EchoChat (with livekit_enabled); check public_url and the proxy")
        }
        return .error(
            "webhook", "\(url) answered \(status.map(String.init) ?? "nothing") but not as EchoChat's webhook receiver",
            fix: "the URL must end in /api/livekit/webhook and reach EchoChat (check the proxy's routing)")
    }
}

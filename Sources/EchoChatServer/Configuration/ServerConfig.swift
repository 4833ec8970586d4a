import EchoPluginAPI
import Foundation
import Logging

/// The host's settings from `server_config.json`, after environment overrides.
struct ServerConfig: Sendable {
    var host = "127.0.0.1"
    var port = 8080
    var dataDirectory = "data"
    var logLevel = Logger.Level.info
    /// Peers whose `X-Forwarded-For` is believed (a reverse proxy in front of EchoChat).
    var trustedProxies: [String] = []

    var accessTokenTTLSeconds = 900
    var refreshTokenTTLDays = 30
    /// Base64 or plain text; generated and kept in `data_dir` when absent.
    var tokenSigningSecret: String?

    var livekitEnabled = false
    var livekitAPIURL = "http://127.0.0.1:7880"
    var livekitWSURL = "ws://127.0.0.1:7880"
    var livekitAPIKey: String?
    var livekitAPISecret: String?
    var livekitTokenTTLSeconds = 600
    var livekitRoomPrefix = ""
    var livekitSubroomsEnabled = true
    var livekitSubroomCapacity = 50
    var livekitMaxSubrooms = 25
    /// `livekit_subroom_capacity` and `livekit_max_subrooms`: the limits a strategy starts from.
    var subroomDefaults: SubroomLimits { SubroomLimits(capacity: livekitSubroomCapacity, maxSubrooms: livekitMaxSubrooms) }
    /// How long a minted token's seat is held for a join that has not arrived.
    var livekitReservationSeconds = 60
    /// How long a voice-kicked user gets no new token.
    var livekitVoiceKickSeconds = 300
    /// How long a voice-muted user's tokens are listen-only.
    /// 0: a voice mute without `expires_at` lasts until lifted.
    var livekitVoiceMuteSeconds = 0
    /// How often occupancy is reconciled with LiveKit's participant lists.
    var livekitReconcileIntervalSeconds = 30

    /// The address people use for EchoChat (`https://chat.example.com`): where LiveKit's webhooks
    /// go, for `echochat doctor` and `echochat livekit-config`.
    var publicURL: String?

    /// Serve the browser client at `/`.
    var webClientEnabled = true
    /// A folder holding the browser client's files instead of the bundled ones.
    var webRoot: String?
    /// Where browsers load the LiveKit JS client (its UMD build, which defines `LivekitClient`):
    /// one exact release, so that what runs beside the user's tokens changes only with EchoChat.
    var livekitClientURL = ServerConfig.defaultLivekitClientURL
    static let defaultLivekitClientURL = "https://cdn.jsdelivr.net/npm/livekit-client@2.18.1/dist/livekit-client.umd.min.js"

    /// The longest chat message, in characters.
    var messageMaxLength = 4000
    /// The most members a group direct conversation may have.
    var dmMaxMembers = 10
    /// Track and send presence (`online`, `idle`, `offline`).
    var presenceEnabled = true
    /// A real-time connection silent this long is pinged; one silent twice as long is dropped.
    var wsPingIntervalSeconds = 30

    /// A request head must be complete this long after its first byte, and a new connection must
    /// start its first request within it.
    var httpHeaderTimeoutSeconds = 10
    /// Open connections at most, in total and from one client address (reverse proxies in
    /// `trusted_proxies` are not held to the second).
    var maxConnections = 10_000
    var maxConnectionsPerAddress = 1024
    /// `host:port` of a separate listener for `/metrics` (then not served on the API listener).
    var metricsListen: (host: String, port: Int)?

    var rateLimitLivekitToken: RateLimitRule? = RateLimitRule(count: 120, period: 60)
    var rateLimitLogin: RateLimitRule? = RateLimitRule(count: 10, period: 60)
    var rateLimitLoginPerAddress: RateLimitRule? = RateLimitRule(count: 60, period: 60)
    var rateLimitRegister: RateLimitRule? = RateLimitRule(count: 30, period: 3600)

    /// Keys that are secrets: never printed by `check-config` or logged.
    static let secretKeys: Set<String> = ["livekit_api_secret", "token_signing_secret"]

    /// Reads `object` (the parsed file) and applies the environment. Unknown keys come back as
    /// warnings; wrong types and bad values are collected as issues.
    static func load(
        _ object: [String: ConfigValue], environment: [String: String], file: String
    ) -> (config: ServerConfig, warnings: [ConfigIssue], issues: [ConfigIssue]) {
        var reader = ConfigReader(members: object, file: file)
        var config = ServerConfig()
        reader.read("host", into: &config.host) { !$0.isEmpty ? nil : "must not be empty" }
        reader.read("port", into: &config.port) { (0...65_535).contains($0) ? nil : "must be between 0 and 65535" }
        reader.read("data_dir", into: &config.dataDirectory) { !$0.isEmpty ? nil : "must not be empty" }
        var level: String = config.logLevel.rawValue
        reader.read("log_level", into: &level) {
            Logger.Level(rawValue: $0) != nil ? nil : "must be one of trace, debug, info, notice, warning, error, critical"
        }
        config.logLevel = Logger.Level(rawValue: level) ?? .info
        reader.read("trusted_proxies", into: &config.trustedProxies) { _ in nil }
        reader.read("access_token_ttl_seconds", into: &config.accessTokenTTLSeconds) {
            (30...86_400).contains($0) ? nil : "must be between 30 and 86400"
        }
        reader.read("refresh_token_ttl_days", into: &config.refreshTokenTTLDays) {
            (1...3650).contains($0) ? nil : "must be between 1 and 3650"
        }
        reader.readOptional("token_signing_secret", into: &config.tokenSigningSecret) {
            $0.utf8.count >= 32 ? nil : "must be at least 32 characters long"
        }
        reader.read("livekit_enabled", into: &config.livekitEnabled) { _ in nil }
        reader.read("livekit_api_url", into: &config.livekitAPIURL) { Self.isURL($0, schemes: ["http", "https"]) }
        reader.read("livekit_ws_url", into: &config.livekitWSURL) { Self.isURL($0, schemes: ["ws", "wss"]) }
        reader.readOptional("livekit_api_key", into: &config.livekitAPIKey) { !$0.isEmpty ? nil : "must not be empty" }
        reader.readOptional("livekit_api_secret", into: &config.livekitAPISecret) { !$0.isEmpty ? nil : "must not be empty" }
        reader.read("livekit_token_ttl_seconds", into: &config.livekitTokenTTLSeconds) {
            (60...86_400).contains($0) ? nil : "must be between 60 and 86400"
        }
        reader.read("livekit_room_prefix", into: &config.livekitRoomPrefix) { $0.count <= 64 ? nil : "must be at most 64 characters" }
        reader.read("livekit_subrooms_enabled", into: &config.livekitSubroomsEnabled) { _ in nil }
        reader.read("livekit_subroom_capacity", into: &config.livekitSubroomCapacity) {
            (1...100_000).contains($0) ? nil : "must be between 1 and 100000"
        }
        reader.read("livekit_max_subrooms", into: &config.livekitMaxSubrooms) {
            (1...1000).contains($0) ? nil : "must be between 1 and 1000"
        }
        reader.read("livekit_reservation_seconds", into: &config.livekitReservationSeconds) {
            (5...3600).contains($0) ? nil : "must be between 5 and 3600"
        }
        reader.read("livekit_voice_kick_seconds", into: &config.livekitVoiceKickSeconds) {
            (1...604_800).contains($0) ? nil : "must be between 1 and 604800"
        }
        reader.read("livekit_voice_mute_seconds", into: &config.livekitVoiceMuteSeconds) {
            (0...604_800).contains($0) ? nil : "must be between 0 (until lifted) and 604800"
        }
        reader.read("livekit_reconcile_interval_seconds", into: &config.livekitReconcileIntervalSeconds) {
            (5...3600).contains($0) ? nil : "must be between 5 and 3600"
        }
        reader.readOptional("public_url", into: &config.publicURL) { Self.isURL($0, schemes: ["http", "https"]) }
        reader.read("web_client_enabled", into: &config.webClientEnabled) { _ in nil }
        reader.readOptional("web_root", into: &config.webRoot) { !$0.isEmpty ? nil : "must not be empty" }
        reader.read("livekit_client_url", into: &config.livekitClientURL) {
            // A path serves it from this server (a copy in web_root), for sites that load nothing from elsewhere.
            $0.hasPrefix("/") && !$0.hasPrefix("//") ? nil : Self.isURL($0, schemes: ["http", "https"])
        }
        reader.read("message_max_length", into: &config.messageMaxLength) {
            (1...16_000).contains($0) ? nil : "must be between 1 and 16000 (request bodies are limited to 64 KiB)"
        }
        reader.read("presence_enabled", into: &config.presenceEnabled) { _ in nil }
        reader.read("dm_max_members", into: &config.dmMaxMembers) {
            (2...256).contains($0) ? nil : "must be between 2 and 256"
        }
        reader.read("ws_ping_interval_seconds", into: &config.wsPingIntervalSeconds) {
            (1...3600).contains($0) ? nil : "must be between 1 and 3600"
        }
        reader.read("http_header_timeout_seconds", into: &config.httpHeaderTimeoutSeconds) {
            (1...300).contains($0) ? nil : "must be between 1 and 300"
        }
        reader.read("max_connections", into: &config.maxConnections) { (1...1_000_000).contains($0) ? nil : "must be between 1 and 1000000" }
        reader.read("max_connections_per_address", into: &config.maxConnectionsPerAddress) {
            (1...1_000_000).contains($0) ? nil : "must be between 1 and 1000000"
        }
        var metricsListen: String?
        reader.readOptional("metrics_listen", into: &metricsListen) { Self.hostAndPort($0) == nil ? "must be host:port, like 127.0.0.1:9100" : nil }
        config.metricsListen = metricsListen.flatMap(Self.hostAndPort)
        reader.readRateLimit("rate_limit_livekit_token", into: &config.rateLimitLivekitToken)
        reader.readRateLimit("rate_limit_login", into: &config.rateLimitLogin)
        reader.readRateLimit("rate_limit_login_per_address", into: &config.rateLimitLoginPerAddress)
        reader.readRateLimit("rate_limit_register", into: &config.rateLimitRegister)

        config.applyEnvironment(environment, issues: &reader.issues)
        if config.livekitEnabled && (config.livekitAPIKey == nil || config.livekitAPISecret == nil) {
            reader.issues.append(
                ConfigIssue(
                    file: file, keyPath: ["livekit_api_key"],
                    message: "livekit_enabled is true, so livekit_api_key and livekit_api_secret (or LIVEKIT_API_KEY and LIVEKIT_API_SECRET) are required"
                ))
        }
        let warnings = reader.unknownKeys().map {
            ConfigIssue(file: file, keyPath: [$0], message: "unknown key (ignored)")
        }
        return (config, warnings, reader.issues)
    }

    /// Secrets and URLs from the environment win over the file.
    private mutating func applyEnvironment(_ environment: [String: String], issues: inout [ConfigIssue]) {
        if let value = environment["LIVEKIT_API_KEY"], !value.isEmpty { livekitAPIKey = value }
        if let value = environment["LIVEKIT_API_SECRET"], !value.isEmpty { livekitAPISecret = value }
        if let value = environment["LIVEKIT_API_URL"], !value.isEmpty {
            if let problem = Self.isURL(value, schemes: ["http", "https"]) {
                issues.append(ConfigIssue(file: "environment", keyPath: ["LIVEKIT_API_URL"], message: problem))
            } else {
                livekitAPIURL = value
            }
        }
        if let value = environment["LIVEKIT_WS_URL"], !value.isEmpty {
            if let problem = Self.isURL(value, schemes: ["ws", "wss"]) {
                issues.append(ConfigIssue(file: "environment", keyPath: ["LIVEKIT_WS_URL"], message: problem))
            } else {
                livekitWSURL = value
            }
        }
        if let value = environment["ECHOCHAT_LIVEKIT_ENABLED"], !value.isEmpty {
            switch value.lowercased() {
            case "1", "true", "yes", "on": livekitEnabled = true
            case "0", "false", "no", "off": livekitEnabled = false
            default:
                issues.append(
                    ConfigIssue(file: "environment", keyPath: ["ECHOCHAT_LIVEKIT_ENABLED"], message: "must be true or false, not \"\(value)\""))
            }
        }
    }

    /// `127.0.0.1:9100` or `[::1]:9100`.
    static func hostAndPort(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else {
            return nil
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }

    private static func isURL(_ text: String, schemes: Set<String>) -> String? {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), schemes.contains(scheme), url.host != nil else {
            return "must be a \(schemes.sorted().joined(separator: " or ")) URL with a host"
        }
        return nil
    }
}

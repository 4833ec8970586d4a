import Foundation

/// What `echochat livekit-config` writes: a LiveKit server config and a Caddyfile that agree with
/// each other and with EchoChat's settings. Pure, so that the text is tested on its own.
struct LiveKitDeployment: Sendable {
    /// LiveKit's public name (`livekit.example.com`).
    var domain: String
    /// EchoChat's public address (`https://chat.example.com`), or `nil` when only LiveKit gets a site.
    var echochatURL: URL?
    /// Where EchoChat listens on this machine (Caddy's upstream, and the webhook without a public address).
    var echochatPort: Int
    /// One UDP port (7882) for all media instead of the 50000–60000 range.
    var udpMux: Bool
    var apiKey: String
    var apiSecret: String

    /// LiveKit's HTTP and WebSocket port on this machine.
    static let livekitPort = 7880

    var webhookURL: String {
        guard let echochatURL else { return "http://127.0.0.1:\(echochatPort)/api/livekit/webhook" }
        return echochatURL.absoluteString.trimmingTrailingSlashes + "/api/livekit/webhook"
    }

    var livekitYAML: String {
        let media =
            udpMux
            ? ["  # All media on one UDP port (\"UDP mux\"); open UDP 7882 in the firewall.", "  udp_port: 7882"]
            : ["  # Media on a UDP port range; open UDP 50000-60000 in the firewall.", "  port_range_start: 50000", "  port_range_end: 60000"]
        let lines =
            [
                "# LiveKit server configuration for \(domain), written by `echochat livekit-config`.",
                "# Browsers reach LiveKit at wss://\(domain) through Caddy (the Caddyfile beside this file);",
                "# EchoChat calls LiveKit's API at http://127.0.0.1:\(Self.livekitPort) and receives its webhooks.",
                "# Keep this file private: it holds the API secret EchoChat shares.",
                "port: \(Self.livekitPort)",
                "rtc:",
                "  # ICE over TCP when UDP is blocked; open TCP 7881 in the firewall.",
                "  tcp_port: 7881",
            ] + media + [
                "  use_external_ip: true",
                "keys:",
                "  \(Self.quoted(apiKey)): \(Self.quoted(apiSecret))",
                "webhook:",
                "  api_key: \(Self.quoted(apiKey))",
                "  urls:",
                "    - \(Self.quoted(webhookURL))",
                "room:",
                "  # Only EchoChat creates rooms, each sub-room with its own max_participants.",
                "  auto_create: false",
                "logging:",
                "  level: info",
            ]
        return lines.joined(separator: "\n") + "\n"
    }

    var caddyfile: String {
        var text = """
            # Caddy for EchoChat and LiveKit on this machine, written by `echochat livekit-config`.
            # Caddy gets certificates from Let's Encrypt: the names must resolve here, TCP 80 and 443 be open.

            \(domain) {
            \treverse_proxy 127.0.0.1:\(Self.livekitPort)
            }

            """
        if let host = echochatURL?.host {
            text += """

                \(host) {
                \tencode zstd gzip
                \treverse_proxy 127.0.0.1:\(echochatPort)
                }

                """
        }
        return text
    }

    /// The server_config.json keys that make EchoChat match, in the order to print them.
    var serverConfigKeys: [(key: String, value: Any)] {
        var keys: [(String, Any)] = [
            ("livekit_enabled", true), ("livekit_api_url", "http://127.0.0.1:\(Self.livekitPort)"), ("livekit_ws_url", "wss://\(domain)"),
            ("livekit_api_key", apiKey), ("livekit_api_secret", apiSecret),
        ]
        if let echochatURL { keys.append(("public_url", echochatURL.absoluteString)) }
        return keys
    }

    /// The keys as a JSON fragment to paste into server_config.json.
    var serverConfigSnippet: String {
        let lines = serverConfigKeys.map { key, value in
            let encoded: String
            if let text = value as? String {
                encoded = String(decoding: (try? WireJSON.encoder.encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
            } else {
                encoded = "\(value)"
            }
            return "  \"\(key)\": \(encoded)"
        }
        return "{\n" + lines.joined(separator: ",\n") + "\n}"
    }

    // MARK: Checks and generated values

    /// A DNS name Caddy can get a certificate for: letters, digits and hyphens in dot-separated labels.
    static func isDomainName(_ text: String) -> Bool {
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        guard text.utf8.count <= 253, labels.count >= 2 else { return false }
        return labels.allSatisfy { label in
            (1...63).contains(label.utf8.count) && label.first != "-" && label.last != "-"
                && label.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
        } && !(labels.last?.allSatisfy(\.isNumber) ?? true)
    }

    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

    /// `count` characters from [A-Za-z0-9], from the system's cryptographic generator (getrandom on Linux).
    static func randomToken(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
    }

    /// An API key in LiveKit's own style (`API` and 12 characters).
    static func generatedKey() -> String { "API" + randomToken(12) }

    /// 48 characters, about 285 bits: well above the 32 characters LiveKit asks for.
    static func generatedSecret() -> String { randomToken(48) }

    /// A double-quoted YAML scalar.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += String(format: "\\x%02X", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

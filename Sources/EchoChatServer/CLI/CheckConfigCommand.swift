import ArgumentParser
import EchoPluginAPI
import Foundation
import Logging

/// `echochat check-config`: validates both files and every plugin's config without starting
/// anything but the sub-room strategy, which is pure: building it loads a WebAssembly module and
/// hears whether it accepts its settings.
struct CheckConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config", abstract: "Validate server_config.json and plugins.json, and print the effective setup.")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let setup = try options.loadSetup()
        let strategy = try await ConfigOptions.reportingConfigurationErrors {
            try await LoadedPlugins.strategy(
                setup, storage: nil, logger: Logger(label: "echochat.check-config") { _ in SwiftLogNoOpLogHandler() }, blocking: ThreadPoolExecutor())
        }
        for warning in setup.warnings { CLIOutput.print("warning: \(warning)") }
        let server = setup.server
        CLIOutput.print("configuration OK")
        CLIOutput.print("  server_config: \(setup.configFile ?? "(none; built-in defaults)")")
        CLIOutput.print("  plugins: \(setup.pluginsFile ?? "(none; built-in defaults)")")
        CLIOutput.print("  listen: \(server.host):\(server.port)")
        CLIOutput.print("  data_dir: \(server.dataDirectory)")
        CLIOutput.print("  storage: \(setup.storage.id) \(Self.redacted(setup.storage.selection.config))")
        if setup.storage.selection.name == "postgres", let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty {
            CLIOutput.print("  storage url: from DATABASE_URL, \(Self.redacted(.string(url)))")
        }
        for plugin in setup.auth {
            CLIOutput.print("  auth: \(plugin.id) \(Self.redacted(plugin.selection.config))")
        }
        CLIOutput.print("  subrooms: \(setup.subrooms.id) \(Self.redacted(setup.subrooms.selection.config))")
        let limits = strategy.limits(defaults: server.subroomDefaults)
        CLIOutput.print(
            "  sub-room limits: \(limits.capacity) per sub-room, at most \(limits.maxSubrooms) sub-rooms; "
                + "LiveKit max_participants \(strategy.maxParticipants(limits: limits).map(String.init) ?? "unset")")
        CLIOutput.print("  access tokens: \(server.accessTokenTTLSeconds) s; refresh tokens: \(server.refreshTokenTTLDays) days; signing secret: \(server.tokenSigningSecret == nil ? "kept in data_dir" : "configured")")
        CLIOutput.print(
            "  livekit: \(server.livekitEnabled ? "enabled, \(server.livekitWSURL) (API \(server.livekitAPIURL)), key \(server.livekitAPIKey ?? "-"), secret \(server.livekitAPISecret == nil ? "missing" : "set")" : "disabled")")
        let rateLimits = [
            ("login", server.rateLimitLogin), ("login_per_address", server.rateLimitLoginPerAddress),
            ("register", server.rateLimitRegister), ("livekit_token", server.rateLimitLivekitToken),
        ]
        try await strategy.shutdown()
        CLIOutput.print("  rate limits: " + rateLimits.map { "\($0.0) \($0.1.map(\.description) ?? "off")" }.joined(separator: ", "))
    }

    /// The config object with values of secret-looking keys replaced.
    static func redacted(_ value: ConfigValue) -> String {
        func redact(_ value: ConfigValue) -> ConfigValue {
            switch value {
            case .object(let members):
                var result: [String: ConfigValue] = [:]
                for (key, member) in members {
                    let lowered = key.lowercased()
                    let secret = (lowered.contains("password") || lowered.contains("secret")) && !lowered.hasSuffix("_file")
                    result[key] = secret ? .string("<redacted>") : redact(member)
                }
                return .object(result)
            case .array(let elements):
                return .array(elements.map(redact))
            case .string(let text) where text.contains("://") && text.contains("@"):
                // Everything between "://" and the last "@": a password may itself hold "/" or "@".
                return .string(text.replacingOccurrences(of: #"://.*@"#, with: "://<redacted>@", options: .regularExpression))
            default:
                return value
            }
        }
        return value == .null ? "(defaults)" : redact(value).description
    }
}

import ArgumentParser
import AsyncHTTPClient
import EchoPluginAPI
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// `echochat doctor`: checks the effective configuration against the services it names.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the configuration against the services it names: storage, auth backends, LiveKit and its webhook.",
        discussion: """
            Every finding is one line: [ok], [warning] or [error], what was checked, and for problems \
            what to change. LiveKit is asked for real (a RoomService call with a server token), and \
            the webhook URL (public_url + /api/livekit/webhook, or --webhook-url) is sent an unsigned \
            event, which EchoChat's receiver must refuse as unsigned. Exits 1 when there are errors.
            """)

    @OptionGroup var options: ConfigOptions

    @Option(name: .customLong("webhook-url"), help: "The URL LiveKit sends webhooks to (default: public_url + /api/livekit/webhook).")
    var webhookURL: String?

    func run() async throws {
        let setup = try options.loadSetup()
        var findings = await Self.pluginFindings(setup)
        findings += await Self.livekitFindings(setup.server, webhookURL: webhookURL)
        for finding in findings { CLIOutput.print(finding.line) }
        let errors = findings.filter { $0.severity == .error }.count
        let warnings = findings.filter { $0.severity == .warning }.count
        let counted = { (count: Int, noun: String) in "\(count) \(noun)\(count == 1 ? "" : "s")" }
        CLIOutput.print(
            errors == 0 ? "No errors (\(counted(warnings, "warning")))." : "\(counted(errors, "error")), \(counted(warnings, "warning")).")
        if errors > 0 { throw ExitCode(1) }
    }

    /// Storage (reachable, schema version) and each auth backend (reachable without a password).
    static func pluginFindings(_ setup: HostSetup) async -> [DoctorFinding] {
        // Plugins' own warnings would interleave with the report; their failures are findings.
        let logger = CLIOutput.logger(level: .error)
        try? FileManager.default.createDirectory(atPath: setup.server.dataDirectory, withIntermediateDirectories: true)
        let plugins: LoadedPlugins
        do {
            plugins = try await LoadedPlugins.start(setup, logger: logger, blocking: ThreadPoolExecutor())
        } catch {
            return [.error("plugins", "could not start: \(error)", fix: "check the storage and auth settings in plugins.json (and that their services run)")]
        }
        var findings: [DoctorFinding] = []
        do {
            findings = try await plugins.withServices {
                var findings: [DoctorFinding] = []
                let storage = plugins.storage
                let storageName = "storage.\(type(of: storage).name)"
                do {
                    try await storage.checkHealth()
                    let version = try await (storage as? any StorageSchemaReporting)?.schemaVersion()
                    findings.append(.ok(storageName, "answers" + (version.map { ", schema at \($0) (current)" } ?? "")))
                } catch {
                    findings.append(.error(storageName, "does not answer: \(error)", fix: "check its settings in plugins.json and that the database runs"))
                }
                for (name, provider) in plugins.auth {
                    guard let checkable = provider as? any AuthHealthCheck else {
                        findings.append(.ok("auth.\(name)", "nothing to reach: its accounts live in EchoChat's storage"))
                        continue
                    }
                    do {
                        findings.append(.ok("auth.\(name)", try await checkable.checkHealth()))
                    } catch {
                        let message = (error as? AuthError)?.message ?? "\(error)"
                        findings.append(.error("auth.\(name)", message, fix: checkable.healthCheckAdvice))
                    }
                }
                return findings
            }
        } catch {
            findings.append(.error("plugins", "stopped: \(error)", fix: "check plugins.json"))
        }
        await plugins.shutdown(logger: logger)
        return findings
    }

    /// The LiveKit settings, a real RoomService call, and the webhook address.
    static func livekitFindings(_ server: ServerConfig, webhookURL: String?) async -> [DoctorFinding] {
        guard server.livekitEnabled else {
            return [
                .warning(
                    "livekit", "livekit_enabled is false: rooms have no voice",
                    fix: "set livekit_enabled, livekit_api_key and livekit_api_secret (see docs/SELF_HOSTING.md)")
            ]
        }
        guard let key = server.livekitAPIKey, let secret = server.livekitAPISecret else {
            return [.error("livekit", "livekit_api_key and livekit_api_secret are not set", fix: "set both, the same pair as in LiveKit's keys:")]
        }
        var findings = DoctorRules.livekitSettings(wsURL: server.livekitWSURL, apiURL: server.livekitAPIURL, secret: secret)
        let http = RoomServiceClient.makeHTTPClient()
        do {
            let tokens = try await LiveKitTokens(apiKey: key, apiSecret: secret)
            var quiet = Logger(label: "echochat-doctor") { _ in SwiftLogNoOpLogHandler() }
            quiet.logLevel = .critical
            let client = RoomServiceClient(apiURL: server.livekitAPIURL, tokens: tokens, http: http, metrics: HostMetrics(), logger: quiet)
            let rooms = try await client.activeRoomCount()
            findings.append(.ok("livekit", "LiveKit at \(server.livekitAPIURL) accepted API key \(key) (\(rooms) active rooms)"))
        } catch let error as LiveKitError {
            findings.append(DoctorRules.livekitCallFailure(error, apiURL: server.livekitAPIURL))
        } catch {
            findings.append(.error("livekit", "\(error)", fix: "check livekit_api_url"))
        }
        if let url = webhookURL ?? server.publicURL.map({ $0.trimmingTrailingSlashes + "/api/livekit/webhook" }) {
            findings.append(await probeWebhook(url, http: http))
        } else {
            findings.append(
                .warning(
                    "webhook", "public_url is not set, so the address LiveKit sends webhooks to cannot be checked",
                    fix: "set public_url (e.g. https://chat.example.com) in server_config.json, or pass --webhook-url"))
        }
        try? await http.shutdown()
        return findings
    }

    /// Sends an unsigned event: EchoChat's receiver answers 401 `invalid_webhook_signature`.
    static func probeWebhook(_ url: String, http: HTTPClient) async -> DoctorFinding {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/webhook+json")
        request.headers.add(name: "User-Agent", value: "echochat-doctor")
        request.body = .bytes(ByteBuffer(string: #"{"event":"room_started","id":"EV_doctor_probe"}"#))
        do {
            let response = try await http.execute(request, timeout: .seconds(5))
            let body = try await response.body.collect(upTo: 64 * 1024)
            let json = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
            let code = (json?["error"] as? [String: Any])?["code"] as? String
            return DoctorRules.webhookProbe(url: url, status: Int(response.status.code), errorCode: code, failure: nil)
        } catch {
            return DoctorRules.webhookProbe(url: url, status: nil, errorCode: nil, failure: "\(error)")
        }
    }
}

import ArgumentParser
import Foundation

/// `echochat livekit-config`: a LiveKit config and a Caddyfile that match EchoChat, and the keys
/// to put in server_config.json.
struct LiveKitConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "livekit-config",
        abstract: "Write a LiveKit server config and a Caddyfile that match EchoChat, and print the server_config.json keys to set.",
        discussion: """
            Writes livekit.yaml (API key and secret, EchoChat's webhook, ports, room.auto_create: false) \
            and Caddyfile (TLS for LiveKit's name, and for EchoChat's with --echochat-url) into \
            --output-dir. Existing files are left alone unless --force is given. Without --api-secret \
            a 48-character secret is generated.
            """)

    @OptionGroup var options: ConfigOptions

    @Option(help: "LiveKit's public name, e.g. livekit.example.com.")
    var domain: String

    @Option(name: .customLong("echochat-url"), help: "EchoChat's public address, e.g. https://chat.example.com (default: public_url from server_config.json).")
    var echochatURL: String?

    @Flag(name: .customLong("udp-mux"), help: "Carry all media on one UDP port (7882) instead of the range 50000-60000.")
    var udpMux = false

    @Option(name: .customLong("api-key"), help: "The API key (default: a new one).")
    var apiKey: String?

    @Option(name: .customLong("api-secret"), help: "The API secret (default: a new 48-character one). Prefer the default: arguments show up in the process list.")
    var apiSecret: String?

    @Option(name: .customLong("output-dir"), help: "Where to write livekit.yaml and Caddyfile.")
    var outputDirectory = "."

    @Flag(help: "Overwrite livekit.yaml and Caddyfile when they exist.")
    var force = false

    func validate() throws {
        guard LiveKitDeployment.isDomainName(domain) else {
            throw ValidationError("--domain must be a DNS name such as livekit.example.com, not \"\(domain)\"")
        }
        if let apiKey, apiKey.isEmpty || apiKey.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 }) {
            throw ValidationError("--api-key must not be empty or contain spaces")
        }
        if let apiSecret, apiSecret.utf8.count < DoctorRules.minimumSecretLength {
            throw ValidationError("--api-secret must be at least \(DoctorRules.minimumSecretLength) characters: LiveKit refuses shorter ones outside --dev")
        }
    }

    func run() async throws {
        let setup = try options.loadSetup()
        let publicAddress = echochatURL ?? setup.server.publicURL
        var site: URL?
        if let publicAddress {
            guard let url = URL(string: publicAddress), url.scheme?.lowercased() == "https", let host = url.host, LiveKitDeployment.isDomainName(host) else {
                throw ValidationError("--echochat-url must be an https:// address with a DNS name, such as https://chat.example.com")
            }
            guard host.lowercased() != domain.lowercased() else {
                throw ValidationError("EchoChat and LiveKit need two names (\(host) is LiveKit's --domain too)")
            }
            site = url
        }
        let deployment = LiveKitDeployment(
            domain: domain.lowercased(), echochatURL: site, echochatPort: setup.server.port, udpMux: udpMux,
            apiKey: apiKey ?? LiveKitDeployment.generatedKey(), apiSecret: apiSecret ?? LiveKitDeployment.generatedSecret())

        let folder = URL(fileURLWithPath: outputDirectory, isDirectory: true)
        let files = [
            (folder.appendingPathComponent("livekit.yaml"), deployment.livekitYAML, 0o600),
            (folder.appendingPathComponent("Caddyfile"), deployment.caddyfile, 0o644),
        ]
        // All or nothing: one file already there and nothing is written.
        let existing = files.map(\.0.path).filter { FileManager.default.fileExists(atPath: $0) }
        if !existing.isEmpty && !force {
            CLIOutput.error("\(existing.joined(separator: " and ")) already exist\(existing.count == 1 ? "s" : ""); nothing was written (use --force to replace)")
            throw ExitCode(1)
        }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (url, text, permissions) in files {
            try Data(text.utf8).write(to: url, options: .atomic)
            try FileManager.default.setAttributes([.posixPermissions: permissions], ofItemAtPath: url.path)
        }
        CLIOutput.print(
            """
            Wrote \(files[0].0.path) (keep it private: it holds the API secret) and \(files[1].0.path).

            Set these in EchoChat's server_config.json (or the secret as LIVEKIT_API_SECRET in its environment):
            \(deployment.serverConfigSnippet)

            LiveKit sends its webhooks to \(deployment.webhookURL).
            Open in the firewall: TCP 80 and 443 (Caddy), TCP 7881, \(udpMux ? "UDP 7882" : "UDP 50000-60000"). Keep TCP 7880 closed: Caddy reaches it here.
            Then start LiveKit with `livekit-server --config livekit.yaml` and check everything with `echochat doctor`.
            """)
    }
}

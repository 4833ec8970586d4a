import EchoBuiltinPlugins
import ArgumentParser
import EchoPluginAPI
import Foundation
import Testing

@testable import EchoChatServer

/// A plugin built against a future major version of the plugin API.
struct FutureStrategy: SubroomStrategy {
    static let name = "future"
    static let apiVersion = PluginAPIVersion(2, 0)
    typealias Configuration = EmptyPluginConfiguration
    init(configuration: Configuration, context: PluginContext) async throws {}
    func decide(_ request: SubroomRequest, in snapshot: SubroomSnapshot, now: Date) -> SubroomDecision { .assign(1) }
}

@Suite("Start-up configuration")
struct ConfigurationTests {
    /// A bad file and what the one-line complaint must mention.
    struct BadSetup: Sendable, CustomStringConvertible {
        let name: String
        let serverConfig: String?
        let plugins: String?
        let mentions: [String]
        var description: String { name }
    }

    static let badSetups: [BadSetup] = [
        BadSetup(
            name: "unknown plugin name", serverConfig: nil, plugins: #"{"storage": {"plugin": "mongo"}}"#,
            mentions: ["plugins.json", "storage.plugin", "mongo", "available: postgres, sqlite"]),
        BadSetup(
            name: "unknown auth plugin", serverConfig: nil, plugins: #"{"auth": [{"plugin": "local"}, {"plugin": "kerberos"}]}"#,
            mentions: ["plugins.json", "auth[1].plugin", "kerberos"]),
        BadSetup(
            name: "plugin config value of the wrong type", serverConfig: nil,
            plugins: #"{"auth": [{"plugin": "local", "config": {"allow_registration": "yes"}}]}"#,
            mentions: ["plugins.json", "auth[0].config.allow_registration", "auth.local", "boolean"]),
        BadSetup(
            name: "unknown key in a plugin config", serverConfig: nil,
            plugins: #"{"storage": {"plugin": "sqlite", "config": {"pth": "x.sqlite"}}}"#,
            mentions: ["plugins.json", "storage.config.pth", "storage.sqlite", "unknown key"]),
        BadSetup(
            name: "nested plugin config value out of range", serverConfig: nil,
            plugins: #"{"subrooms": {"plugin": "capacity", "config": {"capacity": 0}}}"#,
            mentions: ["plugins.json", "subrooms.config.capacity", "subrooms.capacity"]),
        BadSetup(
            name: "malformed plugins.json", serverConfig: nil, plugins: #"{"storage": {"plugin": "sqlite",}"#,
            mentions: ["plugins.json", "malformed JSON"]),
        BadSetup(
            name: "malformed server_config.json", serverConfig: #"{"port": 8080"#, plugins: nil,
            mentions: ["server_config.json", "malformed JSON"]),
        BadSetup(
            name: "server_config.json value of the wrong type", serverConfig: #"{"port": "eighty"}"#, plugins: nil,
            mentions: ["server_config.json", "port", "integer"]),
        BadSetup(
            name: "bad rate limit", serverConfig: #"{"rate_limit_login": "lots"}"#, plugins: nil,
            mentions: ["server_config.json", "rate_limit_login", "N per second|minute|hour"]),
        BadSetup(
            name: "unknown slot in plugins.json", serverConfig: nil, plugins: #"{"storgae": {"plugin": "sqlite"}}"#,
            mentions: ["plugins.json", "storgae", "unknown key"]),
        BadSetup(
            name: "top level is not an object", serverConfig: "[1, 2]", plugins: nil,
            mentions: ["server_config.json", "object"]),
    ]

    @Test("a bad configuration stops `echochat serve` with one clear message and a non-zero exit", arguments: badSetups)
    func badConfigurationStopsStartup(_ setup: BadSetup) async throws {
        let directory = try TemporaryDirectory()
        if let text = setup.serverConfig { try directory.write("server_config.json", text: text) }
        if let text = setup.plugins { try directory.write("plugins.json", text: text) }
        let (status, output) = try await ServerProcess.run(["serve", "--port", "0"], in: directory.path)
        #expect(status != 0)
        for mention in setup.mentions {
            #expect(output.contains(mention), "expected \(mention.debugDescription) in:\n\(output)")
        }
        #expect(!output.contains("listening"))
        // check-config agrees.
        let (checkStatus, checkOutput) = try await ServerProcess.run(["check-config"], in: directory.path)
        #expect(checkStatus != 0)
        #expect(setup.mentions.allSatisfy(checkOutput.contains))
    }

    @Test("every problem is reported at once")
    func allProblemsAtOnce() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("server_config.json", text: #"{"port": -1, "access_token_ttl_seconds": "x"}"#)
        try directory.write("plugins.json", text: #"{"storage": {"plugin": "nosql"}, "subrooms": {"plugin": "capacity", "config": {"max_subrooms": true}}}"#)
        let (status, output) = try await ServerProcess.run(["check-config"], in: directory.path)
        #expect(status == 2)
        for mention in ["port", "access_token_ttl_seconds", "storage.plugin", "subrooms.config.max_subrooms"] {
            #expect(output.contains(mention), "\(mention) missing in:\n\(output)")
        }
    }

    @Test("a plugin written for an incompatible plugin-API version stops start-up, naming file, slot and plugin")
    func incompatibleAPIVersion() throws {
        let directory = try TemporaryDirectory()
        try directory.write("plugins.json", text: #"{"subrooms": {"plugin": "future"}}"#)
        var registry = PluginRegistry.builtin
        registry.register(subrooms: FutureStrategy.self)
        #expect(!PluginAPIVersion.current.canLoad(pluginWrittenFor: FutureStrategy.apiVersion))
        do {
            _ = try HostSetup.load(configPath: nil, pluginsPath: directory.file("plugins.json"), registry: registry, environment: [:])
            Issue.record("start-up accepted a plugin for EchoPluginAPI 2.0")
        } catch let error as ConfigurationError {
            #expect(error.issues.count == 1)
            let message = error.description
            #expect(message.contains("plugins.json"))
            #expect(message.contains("subrooms.plugin"))
            #expect(message.contains("subrooms.future"))
            #expect(message.contains("EchoPluginAPI 2.0"))
        }
        // The command line turns it into exit status 2, as for every configuration error.
        let options = try ConfigOptions.parse(["--plugins", directory.file("plugins.json")])
        #expect(throws: ExitCode(2)) { try options.loadSetup(registry: registry) }
    }

    @Test("check-config prints the effective setup without secrets")
    func checkConfigPrintsSetup() async throws {
        let directory = try TemporaryDirectory()
        try directory.write(
            "server_config.json",
            text: #"{"port": 9000, "livekit_enabled": true, "livekit_api_key": "devkey", "livekit_api_secret": "supersecretvalue", "colour": "blue"}"#)
        try directory.write("plugins.json", text: #"{"auth": [{"plugin": "local", "config": {"allow_registration": false}}]}"#)
        let (status, output) = try await ServerProcess.run(["check-config"], in: directory.path)
        #expect(status == 0, "\(output)")
        #expect(output.contains("configuration OK"))
        #expect(output.contains("127.0.0.1:9000"))
        #expect(output.contains("auth.local"))
        #expect(output.contains("colour"))  // unknown key: a warning, not an error
        #expect(!output.contains("supersecretvalue"))
    }

    @Test("environment variables override LiveKit settings from the file")
    func environmentOverrides() throws {
        let file: [String: ConfigValue] = [
            "livekit_enabled": .bool(false), "livekit_api_key": .string("filekey"), "livekit_api_secret": .string("filesecret"),
        ]
        let (config, _, issues) = ServerConfig.load(
            file,
            environment: [
                "LIVEKIT_API_KEY": "envkey", "LIVEKIT_API_SECRET": "envsecret", "LIVEKIT_WS_URL": "wss://lk.example.org",
                "LIVEKIT_API_URL": "https://lk.example.org", "ECHOCHAT_LIVEKIT_ENABLED": "true",
            ], file: "server_config.json")
        #expect(issues.isEmpty)
        #expect(config.livekitEnabled)
        #expect(config.livekitAPIKey == "envkey")
        #expect(config.livekitAPISecret == "envsecret")
        #expect(config.livekitWSURL == "wss://lk.example.org")
        #expect(config.livekitAPIURL == "https://lk.example.org")
    }

    @Test("the seed document's LiveKit keys load as written")
    func seedKeys() throws {
        let text = #"{"livekit_enabled": true, "livekit_api_url": "http://127.0.0.1:7880", "livekit_ws_url": "ws://127.0.0.1:7880", "livekit_api_key": "devkey", "livekit_api_secret": "secret"}"#
        let object = try JSONDecoder().decode(ConfigValue.self, from: Data(text.utf8)).objectValue ?? [:]
        let (config, warnings, issues) = ServerConfig.load(object, environment: [:], file: "server_config.json")
        #expect(issues.isEmpty)
        #expect(warnings.isEmpty)
        #expect(config.livekitEnabled && config.livekitAPIKey == "devkey" && config.livekitAPISecret == "secret")
        #expect(config.livekitWSURL == "ws://127.0.0.1:7880")
    }
}

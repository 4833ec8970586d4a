import ArgumentParser
import EchoBuiltinPlugins
import EchoPluginAPI
import EchoPluginTesting
import Foundation
import Logging

/// `echochat strategy build|test|simulate`: the tools of a strategy author.
struct StrategyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strategy", abstract: "Build, test and simulate sub-room strategies.",
        subcommands: [StrategyBuildCommand.self, StrategyTestCommand.self, StrategySimulateCommand.self])

    /// Builds the strategy `target` names: a `.wasm` module (any path with a `/` or ending in
    /// `.wasm`) with `settings` handed to its configure, or a built-in by name with `settings` as
    /// its config. Configuration problems print as at start-up and exit 2.
    static func strategy(_ target: String, settings: String?, moduleConfig: [String: ConfigValue] = [:]) async throws -> any SubroomStrategy {
        var settingsValue = ConfigValue.object([:])
        if let settings {
            do {
                settingsValue = try JSONDecoder().decode(ConfigValue.self, from: Data(settings.utf8))
            } catch {
                throw ValidationError("--settings is not JSON: \(JSONErrorText.describe(error, in: Data(settings.utf8)))")
            }
            guard settingsValue.objectValue != nil else { throw ValidationError("--settings must be a JSON object") }
        }
        let isModule = target.hasSuffix(".wasm") || target.contains("/")
        let name = isModule ? "wasm" : target
        let config: ConfigValue =
            isModule ? .object(moduleConfig.merging(["module": .string(target), "settings": settingsValue]) { $1 }) : settingsValue
        guard let factory = PluginsInUse.registry.subroomsFactory(named: name) else {
            let names = PluginsInUse.registry.names(in: .subrooms).filter { $0 != "wasm" }.joined(separator: ", ")
            throw ValidationError("\(target) is neither a .wasm module nor a built-in strategy (\(names))")
        }
        let where_ = isModule ? "strategy \(target)" : "--settings"
        return try await ConfigOptions.reportingConfigurationErrors {
            do {
                let configuration = try factory.configuration(from: config)
                let context = PluginContext(
                    logger: Logger(label: "echochat.strategy") { _ in SwiftLogNoOpLogHandler() },
                    dataDirectory: FileManager.default.currentDirectoryPath, blocking: ThreadPoolExecutor(), storage: nil)
                return try await factory.make(configuration, context: context)
            } catch let issue as ConfigIssue {
                throw ConfigurationError(issues: [issue.located(file: nil, under: [where_])])
            } catch let error as ConfigurationError {
                throw ConfigurationError(issues: error.issues.map { $0.located(file: nil, under: [where_]) })
            }
        }
    }
}

/// `echochat strategy test MODULE.wasm|NAME`: the conformance kit.
struct StrategyTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test", abstract: "Run the conformance kit on a strategy module or a built-in strategy.",
        discussion: """
            Generates snapshots of rooms (reproducible for a --seed) and checks that the strategy never assigns beyond \
            max_subrooms or into a sub-room at its declared maximum, honours a preferred sub-room that has room, answers the \
            same input the same way twice, never fails a decision, and decides within its fuel on a 1,000-seat snapshot. \
            Prints the fuel used per decision and, for a failed check, the smallest failing snapshot as JSON. Exits 0 when \
            every check passes, 1 otherwise.
            """)

    @Argument(help: "A .wasm module, or a built-in strategy's name (capacity, load-weighted).") var strategy: String
    @Option(help: "JSON object: the module's settings, or a built-in's config.") var settings: String?
    @Option(help: "Seeds the generated snapshots.") var seed: UInt64 = 1
    @Option(help: "How many snapshots to generate.") var snapshots: Int = 2_000
    @Option(help: "A module's fuel per decision.") var fuel: Int64?
    @Option(name: .customLong("max-memory-pages"), help: "A module's memory cap in 64 KiB pages.") var maxMemoryPages: Int?
    @Option(help: "The host's livekit_subroom_capacity.") var capacity: Int = 50
    @Option(name: .customLong("max-subrooms"), help: "The host's livekit_max_subrooms.") var maxSubrooms: Int = 25

    func validate() throws {
        guard (1...1_000_000).contains(snapshots) else { throw ValidationError("--snapshots must be between 1 and 1000000") }
        guard (1...100_000).contains(capacity), (1...1000).contains(maxSubrooms) else {
            throw ValidationError("--capacity must be between 1 and 100000 and --max-subrooms between 1 and 1000")
        }
    }

    func run() async throws {
        var moduleConfig: [String: ConfigValue] = [:]
        if let fuel { moduleConfig["fuel"] = .integer(fuel) }
        if let maxMemoryPages { moduleConfig["max_memory_pages"] = .integer(Int64(maxMemoryPages)) }
        let built = try await StrategyCommand.strategy(strategy, settings: settings, moduleConfig: moduleConfig)
        let report = StrategyConformance(
            built, defaults: SubroomLimits(capacity: capacity, maxSubrooms: maxSubrooms), seed: seed, snapshots: snapshots
        ).run()
        try await built.shutdown()
        CLIOutput.print(report.description)
        if !report.passed { throw ExitCode(1) }
    }
}

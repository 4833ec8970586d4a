import ArgumentParser
import EchoBuiltinPlugins
import EchoPluginAPI
import Foundation
import Logging

/// `--config` and `--plugins`, shared by every command.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "Path to server_config.json (default: ./server_config.json when present).")
    var config: String?

    @Option(name: .long, help: "Path to plugins.json (default: ./plugins.json when present).")
    var plugins: String?

    /// Loads and validates both files, or prints every problem and exits with status 2.
    func loadSetup(registry: PluginRegistry = PluginsInUse.registry) throws -> HostSetup {
        do {
            return try HostSetup.load(configPath: config, pluginsPath: plugins, registry: registry)
        } catch let error as ConfigurationError {
            CLIOutput.error("invalid configuration:\n" + error.issues.map { "  " + $0.description }.joined(separator: "\n"))
            throw ExitCode(2)
        }
    }

    /// Runs `body`, printing a ``ConfigurationError`` it throws (a plugin's configuration found
    /// wrong while building it: a strategy module that does not load, say) and exiting with 2.
    static func reportingConfigurationErrors<Value>(_ body: () async throws -> Value) async throws -> Value {
        do {
            return try await body()
        } catch let error as ConfigurationError {
            CLIOutput.error("invalid configuration:\n" + error.issues.map { "  " + $0.description }.joined(separator: "\n"))
            throw ExitCode(2)
        }
    }
}

enum CLIOutput {
    static func error(_ message: String) {
        FileHandle.standardError.write(Data("echochat: \(message)\n".utf8))
    }

    static func print(_ message: String) {
        FileHandle.standardOutput.write(Data((message + "\n").utf8))
    }

    /// A logger writing to standard error at `level`.
    static func logger(level: Logger.Level) -> Logger {
        var logger = Logger(label: "echochat") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = level
        return logger
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

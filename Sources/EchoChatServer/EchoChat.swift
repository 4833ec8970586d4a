import ArgumentParser
public import EchoPluginAPI
import Foundation
import EchoBuiltinPlugins

/// The `echochat` program, for packages that build their own with more plugins:
///
/// ```swift
/// import EchoBuiltinPlugins
/// import EchoChatServer
///
/// var registry = PluginRegistry.builtin
/// registry.register(auth: CompanyDirectory.self)
/// await EchoChat.main(registry: registry)
/// ```
///
/// Every command (`serve`, `check-config`, `user`, `strategy simulate`, …) then resolves
/// plugins.json against `registry`.
public enum EchoChat {
    /// This release, as `--version` and `GET /api/config` show it.
    public static let version = "0.7.0"

    /// Parses the process's arguments and runs the command they name, with `registry`'s plugins;
    /// exits the process with the command's status.
    public static func main(registry: PluginRegistry) async {
        await main(registry: registry, arguments: Array(CommandLine.arguments.dropFirst()))
    }

    /// As ``main(registry:)``, with the arguments given.
    public static func main(registry: PluginRegistry, arguments: [String]) async {
        // Everything EchoChat writes (database, signing secret) is for its own user only.
        umask(0o077)
        await PluginsInUse.$registry.withValue(registry) {
            do {
                var command = try EchoChatCommand.parseAsRoot(arguments)
                if var asyncCommand = command as? any AsyncParsableCommand {
                    try await asyncCommand.run()
                } else {
                    try command.run()
                }
            } catch {
                EchoChatCommand.exit(withError: error)
            }
        }
    }
}

/// The plugins this process was built with, as ``EchoChat/main(registry:)`` was given them.
enum PluginsInUse {
    @TaskLocal static var registry = PluginRegistry.builtin
}

/// `echochat`: the EchoChat server and its operator commands.
struct EchoChatCommand: AsyncParsableCommand {
    static var version: String { EchoChat.version }

    static let configuration = CommandConfiguration(
        commandName: "echochat",
        abstract: "EchoChat: a self-hosted chat server beside LiveKit.",
        version: EchoChat.version,
        subcommands: [
            ServeCommand.self, CheckConfigCommand.self, UserCommand.self, AuthCommand.self, LDAPCommand.self, MigrateStorageCommand.self,
            BackupCommand.self, LiveKitConfigCommand.self, DoctorCommand.self, StrategyCommand.self, ReloadCommand.self,
        ],
        defaultSubcommand: ServeCommand.self
    )
}

import ArgumentParser
import Foundation

/// `echochat`: the EchoChat server and its operator commands.
@main
struct EchoChatCommand: AsyncParsableCommand {
    /// This release, as `--version` and `GET /api/config` show it.
    static let version = "0.7.0"

    static let configuration = CommandConfiguration(
        commandName: "echochat",
        abstract: "EchoChat: a self-hosted chat server beside LiveKit.",
        version: EchoChatCommand.version,
        subcommands: [
            ServeCommand.self, CheckConfigCommand.self, UserCommand.self, AuthCommand.self, LDAPCommand.self, MigrateStorageCommand.self,
            BackupCommand.self, LiveKitConfigCommand.self, DoctorCommand.self, StrategyCommand.self,
        ],
        defaultSubcommand: ServeCommand.self
    )

    static func main() async {
        // Everything EchoChat writes (database, signing secret) is for its own user only.
        umask(0o077)
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

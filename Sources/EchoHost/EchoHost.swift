import ArgumentParser

/// `echochat`: the EchoChat server and its operator commands.
@main
struct EchoChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echochat",
        abstract: "EchoChat: a self-hosted chat server beside LiveKit.",
        subcommands: [ServeCommand.self, CheckConfigCommand.self, UserCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}

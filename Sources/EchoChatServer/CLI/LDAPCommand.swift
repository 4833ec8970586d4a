import ArgumentParser
import EchoPluginAPI

/// `echochat ldap test USERNAME`: `echochat auth test USERNAME --plugin ldap`, under the name
/// operators know it by.
struct LDAPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ldap", abstract: "Check the LDAP directory settings in plugins.json.", subcommands: [Test.self])

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show which server answered, the entry found, its attributes and groups, and what EchoChat would grant.",
            discussion: "Exits 0 when the user could sign in (given the right password), 1 otherwise. The password is never asked for.")

        @OptionGroup var options: ConfigOptions
        @Argument(help: "The username, as the user would type it.") var name: String

        func run() async throws {
            try await withOperatorContext(options) { context in
                guard let ldap = context.plugins.auth.first(where: { $0.name == "ldap" })?.provider as? any AuthDiagnosing else {
                    throw OperatorError("plugins.json has no \"ldap\" entry in its auth chain")
                }
                try await AuthCommand.Test.report(name, by: ldap, source: "ldap", context: context, unanswered: "the directory did not answer")
            }
        }
    }
}

import ArgumentParser
import EchoPluginAPI

/// `echochat auth test USERNAME [--plugin NAME]`: asks an auth plugin that offers a diagnosis
/// (``AuthDiagnosing``) what it knows of a user, without their password.
struct AuthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auth", abstract: "Check the auth plugins in plugins.json.", subcommands: [Test.self])

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show what an auth plugin finds for a user, the account it belongs to, and whether they could sign in.",
            discussion: """
                Asks the plugin named by --plugin, or else the first in the auth chain that can look users up without a \
                password (ldap can; local cannot). Exits 0 when the user could sign in (given the right password), 1 \
                otherwise. The password is never asked for.
                """)

        @OptionGroup var options: ConfigOptions
        @Option(name: .long, help: "The auth plugin to ask, as named in plugins.json (default: the first that can).") var plugin: String?
        @Argument(help: "The username, as the user would type it.") var name: String

        func run() async throws {
            try await withOperatorContext(options) { context in
                let (source, provider) = try Self.diagnosing(plugin, in: context.plugins.auth)
                try await Self.report(name, by: provider, source: source, context: context, unanswered: "auth.\(source) did not answer")
            }
        }

        /// The chain entry named `name` when it offers a diagnosis, or the first that does.
        static func diagnosing(
            _ name: String?, in chain: [(name: String, provider: any AuthProvider)]
        ) throws -> (name: String, provider: any AuthDiagnosing) {
            guard let name else {
                for entry in chain { if let provider = entry.provider as? any AuthDiagnosing { return (entry.name, provider) } }
                let names = chain.map { "auth.\($0.name)" }.joined(separator: ", ")
                throw OperatorError("no auth plugin in plugins.json (\(names)) can look a user up without their password")
            }
            guard let entry = chain.first(where: { $0.name == name }) else {
                throw OperatorError("plugins.json has no \"\(name)\" entry in its auth chain")
            }
            guard let provider = entry.provider as? any AuthDiagnosing else {
                throw OperatorError("auth.\(name) cannot look a user up without their password: it offers no diagnosis")
            }
            return (name, provider)
        }

        /// Prints what `provider` found for `name` and the account part, and exits 1 unless the
        /// user could sign in. `unanswered` starts the message when the backend does not answer.
        static func report(
            _ name: String, by provider: any AuthDiagnosing, source: String, context: OperatorContext, unanswered: String
        ) async throws {
            guard let username = Usernames.canonical(name) else {
                throw OperatorError("\"\(name)\" can never sign in: \(Usernames.rule)")
            }
            let diagnosis: AuthDiagnosis
            do {
                diagnosis = try await provider.diagnose(username: username)
            } catch let error as AuthError {
                throw OperatorError("\(unanswered): \(error.message)")
            }
            let account = try await context.plugins.storage.user(named: username)
            let lines = describe(diagnosis, source: source, account: account)
            for line in lines.text { CLIOutput.print(line) }
            if !lines.canSignIn { throw ExitCode(1) }
        }

        /// The plugin's lines, its username checked against EchoChat's rules; then, when it found
        /// whom a login would sign in, the account, the password note and the verdict.
        static func describe(_ diagnosis: AuthDiagnosis, source: String, account: User?) -> (text: [String], canSignIn: Bool) {
            var text = diagnosis.lines.map { line in
                guard let username = line.username else { return line.description }
                let note = Usernames.canonical(username).map { " (EchoChat username \($0))" } ?? " (not a valid EchoChat username: \(Usernames.rule))"
                return line.description + note
            }
            guard let username = diagnosis.username else { return (text, false) }
            switch account {
            case let account? where account.authSource != source:
                let owner = "belongs to auth source \"\(account.authSource)\"; \(diagnosis.backendName) cannot sign it in"
                text.append(DiagnosisLine.field("account", "\(account.username) \(owner)").description)
                return (text, false)
            case let account?:
                text.append(DiagnosisLine.field("account", "\(account.username) (id \(account.id))\(account.isDisabled ? ", DISABLED by an operator" : "")").description)
            case nil:
                text.append(DiagnosisLine.field("account", "none yet; created at the first login").description)
            }
            text.append(DiagnosisLine.field("password", "not checked (this command never asks for it)").description)
            let canSignIn = diagnosis.canSignIn && Usernames.canonical(username) != nil && account?.isDisabled != true
            text.append(DiagnosisLine.field("verdict", canSignIn ? "can sign in with the right password" : "cannot sign in").description)
            return (text, canSignIn)
        }
    }
}

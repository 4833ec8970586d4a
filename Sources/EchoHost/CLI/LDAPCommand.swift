import ArgumentParser
import EchoLDAPAuth
import EchoPluginAPI
import Foundation

/// `echochat ldap test USERNAME`: looks a user up the way a login would, without their password.
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
                guard let ldap = context.plugins.auth.first(where: { $0.name == LDAPAuth.name })?.provider as? LDAPAuth else {
                    throw OperatorError("plugins.json has no \"ldap\" entry in its auth chain")
                }
                guard let username = Usernames.canonical(name) else {
                    throw OperatorError("\"\(name)\" can never sign in: \(Usernames.rule)")
                }
                let report: LDAPDiagnosis
                do {
                    report = try await ldap.diagnose(username)
                } catch let error as AuthError {
                    throw OperatorError("the directory did not answer: \(error.message)")
                }
                let account = try await context.plugins.storage.user(named: username)
                let lines = Self.describe(report, asked: username, account: account)
                for line in lines.text { CLIOutput.print(line) }
                if !lines.canSignIn { throw ExitCode(1) }
            }
        }

        static func describe(_ report: LDAPDiagnosis, asked username: String, account: User?) -> (text: [String], canSignIn: Bool) {
            let isFilter = report.query.hasPrefix("(")
            var text = ["server:        \(report.server) (mode \(report.mode))", (isFilter ? "filter:        " : "dn:            ") + report.query]
            guard report.users.count == 1, let found = report.users.first else {
                if report.users.isEmpty {
                    text.append("result:        no entry found; this user cannot sign in through LDAP")
                } else {
                    text.append("result:        \(report.users.count) entries found; logins are refused until user_filter finds exactly one")
                    text += report.users.map { "  \($0.dn)" }
                }
                return (text, false)
            }
            let canonical = Usernames.canonical(found.username)
            text.append("entry:         \(found.dn)")
            text.append("username:      \(found.username)" + (canonical.map { " (EchoChat username \($0))" } ?? " (not a valid EchoChat username: \(Usernames.rule))"))
            text.append("display name:  \(found.displayName ?? "(none; the username is used)")")
            text.append("email:         \(found.email ?? "(none)")")
            text.append("groups:        \(found.groups.isEmpty ? "(none)" : found.groups[0])")
            text += found.groups.dropFirst().map { "               \($0)" }
            if let required = report.requiredGroup {
                text.append("required group \(required): \(found.isAllowed ? "member" : "NOT a member")")
            }
            let admin: String
            switch found.identity.isAdmin {
            case true?: admin = "yes (admin_groups)"
            case false?: admin = "no"
            case nil: admin = "unchanged (no admin_groups set)"
            }
            text.append("server admin:  \(admin)")
            let grants = found.identity.roomGrants.map { "\($0.room): \($0.role.rawValue)" }
            text.append("room roles:    \(grants.isEmpty ? "(none)" : grants.joined(separator: ", "))")
            switch account {
            case let account? where account.authSource != LDAPAuth.name:
                text.append("account:       \(account.username) belongs to auth source \"\(account.authSource)\"; LDAP cannot sign it in")
                return (text, false)
            case let account?:
                text.append("account:       \(account.username) (id \(account.id))\(account.isDisabled ? ", DISABLED by an operator" : "")")
            case nil:
                text.append("account:       none yet; created at the first login")
            }
            text.append("password:      not checked (this command never asks for it)")
            let canSignIn = found.isAllowed && canonical != nil && account?.isDisabled != true
            text.append("verdict:       \(canSignIn ? "can sign in with the right password" : "cannot sign in")")
            return (text, canSignIn)
        }
    }
}

import EchoPluginAPI
import EchoTestSupport
import Foundation
import Testing

@testable import EchoChatServer

@Suite("echochat auth test")
struct AuthCommandTests {
    static let found = AuthDiagnosis(
        lines: [.field("entry", "uid=bob,ou=people"), .username("Bob"), .continuation("more")], canSignIn: true, backendName: "LDAP")

    static func account(source: String = "ldap", disabled: Bool = false) -> User {
        User(id: UserID(5), username: "bob", displayName: "Bob", authSource: source, isDisabled: disabled, createdAt: Date(), updatedAt: Date())
    }

    @Test("the host checks the username and adds the account, the password note and the verdict")
    func accountPart() {
        let plugin = ["entry:         uid=bob,ou=people", "username:      Bob (EchoChat username bob)", "               more"]
        let new = AuthCommand.Test.describe(Self.found, source: "ldap", account: nil)
        #expect(new.canSignIn)
        #expect(
            new.text == plugin + [
                "account:       none yet; created at the first login", "password:      not checked (this command never asks for it)",
                "verdict:       can sign in with the right password",
            ])
        let existing = AuthCommand.Test.describe(Self.found, source: "ldap", account: Self.account())
        #expect(existing.canSignIn && existing.text[3] == "account:       bob (id 5)")
        let disabled = AuthCommand.Test.describe(Self.found, source: "ldap", account: Self.account(disabled: true))
        #expect(!disabled.canSignIn && disabled.text[3] == "account:       bob (id 5), DISABLED by an operator")
        #expect(disabled.text.last == "verdict:       cannot sign in")
        let owned = AuthCommand.Test.describe(Self.found, source: "ldap", account: Self.account(source: "local"))
        #expect(!owned.canSignIn)
        #expect(owned.text == plugin + [#"account:       bob belongs to auth source "local"; LDAP cannot sign it in"#])
    }

    @Test("an invalid username, a refusal by the backend, or nobody found means the user cannot sign in")
    func cannotSignIn() {
        let invalid = AuthDiagnosis(lines: [.username("Bob Builder")], canSignIn: true, backendName: "LDAP")
        let described = AuthCommand.Test.describe(invalid, source: "ldap", account: nil)
        #expect(!described.canSignIn && described.text[0] == "username:      Bob Builder (not a valid EchoChat username: \(Usernames.rule))")
        let refused = AuthDiagnosis(lines: [.username("bob")], canSignIn: false, backendName: "LDAP")
        #expect(AuthCommand.Test.describe(refused, source: "ldap", account: nil).text.last == "verdict:       cannot sign in")
        let nobody = AuthDiagnosis(lines: [.field("result", "no entry found")], canSignIn: true, backendName: "LDAP")
        let none = AuthCommand.Test.describe(nobody, source: "ldap", account: nil)
        #expect(!none.canSignIn && none.text == ["result:        no entry found"])
    }

    @Test("a plugin without a diagnosis, or one not in the chain, is a clear error naming it")
    func noDiagnosis() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("plugins.json", json: ["auth": [["plugin": "local"]]])
        let first = try await ServerProcess.run(["auth", "test", "alice"], in: directory.path)
        #expect(first.status == 1 && first.output.contains("no auth plugin in plugins.json (auth.local) can look a user up"), "\(first.output)")
        let local = try await ServerProcess.run(["auth", "test", "alice", "--plugin", "local"], in: directory.path)
        #expect(local.status == 1 && local.output.contains("auth.local cannot look a user up without their password"), "\(local.output)")
        let missing = try await ServerProcess.run(["auth", "test", "alice", "--plugin", "ldap"], in: directory.path)
        #expect(missing.status == 1 && missing.output.contains(#"plugins.json has no "ldap" entry in its auth chain"#), "\(missing.output)")
        let ldap = try await ServerProcess.run(["ldap", "test", "alice"], in: directory.path)
        #expect(ldap.status == 1 && ldap.output.contains(#"plugins.json has no "ldap" entry in its auth chain"#), "\(ldap.output)")
    }

    @Test("through LDAP: the same report as `echochat ldap test`, from the first plugin that can, or the one named")
    func throughLDAP() async throws {
        let ldap = try await LDAPTestDirectory.make()
        let directory = try TemporaryDirectory()
        var config = ldap.config(["room_roles": [["group": ldap.group("support"), "room": "Support", "role": "moderator"]]])
        try directory.write("plugins.json", json: ["auth": [["plugin": "local"], ["plugin": "ldap", "config": config]]])
        let reference = try await ServerProcess.run(["ldap", "test", "Bob"], in: directory.path)
        #expect(reference.status == 0 && reference.output.contains("room roles:    Support: moderator"), "\(reference.output)")
        for arguments in [["auth", "test", "Bob"], ["auth", "test", "--plugin", "ldap", "Bob"]] {
            let result = try await ServerProcess.run(arguments, in: directory.path)
            #expect(result.status == 0 && result.output == reference.output, "\(arguments): \(result.output)")
        }
        let carol = try await ServerProcess.run(["auth", "test", "carol"], in: directory.path)
        #expect(carol.status == 1 && carol.output.contains("verdict:       cannot sign in"), "\(carol.output)")

        config["uris"] = ["ldap://127.0.0.1:\(try freeLoopbackPort())"]
        try directory.write("plugins.json", json: ["auth": [["plugin": "ldap", "config": config]]])
        let down = try await ServerProcess.run(["auth", "test", "bob"], in: directory.path)
        #expect(down.status == 1 && down.output.contains("auth.ldap did not answer"), "\(down.output)")
        #expect(!down.output.contains(ldap.server.adminPassword))
    }
}

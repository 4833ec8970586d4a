import EchoPluginAPI
import EchoPluginTesting
import EchoSQLiteStorage
import Foundation
import Logging
import Testing

@testable import EchoChatServer

private func hex(_ text: String) -> String { text.unicodeScalars.map { String($0.value, radix: 16) }.joined(separator: " ") }

@Suite("Display names: the character rule")
struct DisplayNameRuleTests {
    @Test("names in every script, with emoji sequences, are accepted as written (trimmed)", arguments: [
        "李小龙", "محمد", "Светлана", "José", "Zoë", "Ægir", "山田太郎", "Nguyễn Văn An", "Ἀριστοτέλης", "דוד", "김민준", "สมชาย",
        "देवनागरी", "O'Brien-Smith Jr.", "Ann 👩‍💻", "❤️ Love", "🏳️‍🌈 Pride", "Keycap 1️⃣", "👍🏽 ok", "🏴󠁧󠁢󠁳󠁣󠁴󠁿 Scot",
        "می‌خواهم", "a", String(repeating: "x", count: 64), "Bruce  Lee",
    ])
    func accepted(_ name: String) {
        #expect(DisplayNames.validated(name) == name, "\(hex(name))")
        #expect(DisplayNames.validated("  \(name)\u{3000}\n") == name, "surrounding whitespace is trimmed: \(hex(name))")
    }

    @Test("invisible, control and formatting characters are refused, and so are empty and over-long names", arguments: [
        "", "   ", "\u{3000}", String(repeating: "x", count: 65),
        "admin\u{3164}", "\u{3164}", "\u{115F}admin", "ad\u{1160}min", "admin\u{FFA0}", "ad\u{200B}min", "ad\u{2060}min",
        "\u{202E}nimda", "ad\u{200E}min", "tab\there", "new\nline", "nul\u{0}", "del\u{7F}", "ad\u{AD}min", "ad\u{34F}min",
        "admin\u{FE00}", "admin\u{E0100}", "ad\u{180E}min", "admin\u{2800}", "\u{2800}", "ad\u{FEFF}min",
        // Joiners and selectors only where emoji and scripts need them.
        "ad\u{200D}min", "admin\u{FE0F}", "ad\u{200C}min", "\u{200D}👩", "👩\u{200D}", "1\u{200D}2", "admin\u{E0067}\u{E007F}",
    ])
    func refused(_ name: String) {
        #expect(DisplayNames.validated(name) == nil, "\(hex(name))")
    }
}

@Suite("Display names: look-alike keys")
struct NameSkeletonTests {
    @Test("names that look alike share a key", arguments: [
        ("admin", "admin"), ("admin", "\u{430}dmin"), ("admin", "ADMIN"), ("admin", "Admin"), ("admin", "ａｄｍｉｎ"),
        ("admin", "ad\u{200B}min"), ("admin", "admin\u{3164}"), ("admin", "adrnin"), ("lily", "Iily"), ("paypal", "paypa1"),
        ("Alice Liddell", "ALICE LIDDELL"), ("Alice Liddell", "A1ice Liddell"), ("Alice Liddell", "\u{410}lice Liddell"),
        ("Bob Smith", "Bob  Smith"), ("Bob Smith", "Bob\u{A0}Smith"), ("José", "Jose\u{301}"), ("Ægir", "AEgir"),
        ("Светлана", "СВЕТЛАНА"),
    ])
    func lookAlike(_ pair: (String, String)) throws {
        #expect(!(try NameSkeletons.keys(of: pair.0).isDisjoint(with: NameSkeletons.keys(of: pair.1))), "\(pair.0) / \(hex(pair.1))")
    }

    @Test("names that look different share none", arguments: [
        ("Ian", "Lan"), ("José", "Jose"), ("Zoë", "Zoe"), ("李小龙", "李小虎"), ("alice", "bob"), ("admin", "admins"),
        ("Светлана", "Светлана 2"), ("محمد", "محمود"), ("ad min", "admin"),
    ])
    func different(_ pair: (String, String)) throws {
        #expect(try NameSkeletons.keys(of: pair.0).isDisjoint(with: NameSkeletons.keys(of: pair.1)), "\(pair.0) / \(pair.1)")
    }

    @Test("the version names ICU and its Unicode data")
    func version() throws {
        try NameSkeletons.checkData()
        #expect(NameSkeletons.version.contains("ICU "), "\(NameSkeletons.version)")
        #expect(NameSkeletons.version.contains("Unicode "), "\(NameSkeletons.version)")
    }
}

@Suite("Display names that impersonate")
struct LookalikeNameTests {
    static func register(_ client: HTTPTestClient, _ username: String, _ displayName: String) async throws -> HTTPResult {
        try await client.post(
            "/api/auth/register", ["username": username, "password": "correct horse battery", "display_name": displayName])
    }

    @Test("with an account named admin, names that look like it are refused at registration; other names in any script are not")
    func registration() async throws {
        try await TestServer.run(config: ["rate_limit_register": "off"]) { client, _ in
            #expect(try await client.register("admin").status == 201)
            for name in ["admin", "\u{430}dmin", "ADMIN", "Admin", "аdmin ", "ＡＤＭＩＮ"] {
                let refused = try await Self.register(client, "mallory", name)
                #expect(refused.status == 409, "\(hex(name)): \(refused.text)")
                #expect(refused.errorCode == "display_name_taken", "\(hex(name))")
                let message = (refused.json["error"] as? [String: Any])?["message"] as? String ?? ""
                #expect(message == "display_name looks like the name of an existing account; choose another")
            }
            for name in ["admin\u{3164}", "ad\u{200B}min", "\u{115F}admin", "admin\u{FFA0}"] {
                let refused = try await Self.register(client, "mallory", name)
                #expect(refused.status == 400, "\(hex(name)): \(refused.text)")
                #expect(refused.errorCode == "invalid_display_name", "\(hex(name))")
            }
            #expect(try await client.login("mallory").status == 401, "nothing was created")

            let names = ["李小龙", "محمد", "Светлана", "José", "Zoë", "Ægir", "山田太郎", "Nguyễn Văn An", "Ann 👩‍💻", "Admin Assistant"]
            for (index, name) in names.enumerated() {
                let created = try await Self.register(client, "person\(index)", name)
                #expect(created.status == 201, "\(name): \(created.text)")
                #expect((created["user"] as? [String: Any])?["display_name"] as? String == name)
            }
        }
    }

    @Test("a name that looks like another account's display name is refused; one's own username is one's own name")
    func otherDisplayNames() async throws {
        try await TestServer.run(config: ["rate_limit_register": "off"]) { (client: HTTPTestClient, _: HostSetup) async throws in
            #expect(try await Self.register(client, "alice", "Alice Liddell").status == 201)
            for name in ["Alice Liddell", "ALICE  LIDDELL", "A1ice Liddell", "\u{410}lice Liddell", "alice liddell"] {
                #expect(try await Self.register(client, "mallory", name).errorCode == "display_name_taken", "\(hex(name))")
            }
            // Someone's display name does not keep the owner of a username from showing it.
            #expect(try await Self.register(client, "bob", "carol").status == 201)
            #expect(try await Self.register(client, "carol", "Carol").status == 201)
            #expect(try await Self.register(client, "dave", "CAROL").errorCode == "display_name_taken")
            // Nor does a display name someone took before keep a username from being registered.
            #expect(try await client.register("liddell").status == 201)
        }
    }

    @Test("accounts without keys are indexed at start; a new display name is indexed again")
    func indexing() async throws {
        let directory = try TemporaryDirectory()
        let storage = try await SQLiteStorage(
            configuration: .init(path: directory.file("echochat.sqlite")), context: PluginTestContext.make(dataDirectory: directory.path))
        let names = LookalikeNames(storage: storage, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        var users: [User] = []
        for index in 0..<7 {
            users.append(
                try await storage.createUser(
                    NewUser(username: "user\(index)", displayName: "Person \(index)", authSource: "local", createdAt: Date()), credential: nil))
        }
        #expect(try await names.lookalikes(of: "PERSON 3", username: "mallory", userID: nil).isEmpty, "nothing indexed yet")
        #expect(try await names.indexStale(batchSize: 3) == 7)
        #expect(try await names.indexStale(batchSize: 3) == 0)
        #expect(try await names.lookalikes(of: "PERSON 3", username: "mallory", userID: nil) == [users[3].id])
        #expect(try await names.lookalikes(of: "USER3", username: "mallory", userID: nil) == [users[3].id], "usernames are indexed too")
        #expect(try await names.lookalikes(of: "Person 3", username: "mallory", userID: users[3].id).isEmpty, "not like itself")

        let renamed = try await storage.updateUser(users[3].id, UserUpdate(displayName: "Someone Else"))
        #expect(try await names.indexStale() == 1)
        #expect(try await names.lookalikes(of: "Person 3", username: "mallory", userID: nil).isEmpty)
        #expect(try await names.lookalikes(of: "someone else", username: "mallory", userID: nil) == [renamed.id])
        try await storage.shutdown()
    }
}

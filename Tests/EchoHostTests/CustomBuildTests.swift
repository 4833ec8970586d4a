import Foundation
import Testing

/// `Examples/CustomBuild`: a package of its own that builds `echochat-custom` with an extra auth
/// plugin and an extra strategy through the EchoChatServer library. The test command builds it
/// (`swift build --package-path Examples/CustomBuild`) before the tests run.
@Suite("A custom build with outside plugins")
struct CustomBuildTests {
    static let example = "\(StrategyFixtures.repository)/Examples/CustomBuild"

    static func executable() throws -> String {
        let path = ProcessInfo.processInfo.environment["ECHOCHAT_CUSTOM_BUILD"] ?? "\(example)/.build/debug/echochat-custom"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw TestFailure("\(path) is missing: build it with `swift build --package-path Examples/CustomBuild` (scripts/test does)")
        }
        return path
    }

    @Test("its extra auth plugin logs a user in over HTTP, its extra strategy passes the conformance kit, and the built-ins still work")
    func customBuild() async throws {
        let executable = try Self.executable()
        let directory = try TemporaryDirectory()
        for file in ["plugins.json", "check-password", "passwords.txt"] {
            try FileManager.default.copyItem(atPath: "\(Self.example)/\(file)", toPath: directory.file(file))
        }
        try directory.write("server_config.json", json: ["data_dir": directory.file("data"), "token_signing_secret": TestServer.signingSecret])

        let check = try await ServerProcess.run(["check-config"], in: directory.path, executable: executable)
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("auth: auth.command") && check.output.contains("subrooms: subrooms.even"))
        let kit = try await ServerProcess.run(["strategy", "test", "even", "--snapshots", "300"], in: directory.path, executable: executable)
        #expect(kit.status == 0 && kit.output.contains("PASS"), "\(kit.output)")

        let server = try ServerProcess(["serve", "--port", "0"], in: directory.path, executable: executable)
        defer { server.signal(SIGTERM) }
        let client = HTTPTestClient(port: try await server.waitForPort())
        #expect(server.outputText.contains("auth.command") && server.outputText.contains("subrooms.even"))

        // The checker program says who grace is.
        let login = try await client.login("grace", password: "correct horse battery")
        #expect(login.status == 200, "\(login.text)")
        let token = try #require(login["access_token"] as? String)
        let me = try await client.get("/api/me", token: token)["user"] as? [String: Any]
        #expect(me?["username"] as? String == "grace")
        #expect(me?["display_name"] as? String == "Grace Hopper")
        #expect(me?["auth_source"] as? String == "command")
        #expect(try await client.login("grace", password: "not her password").status == 401)
        // A name the checker does not know goes on down the chain, to the built-in local plugin.
        #expect(try await client.register("bob").status == 201)
        #expect(try await client.login("bob").status == 200)
        #expect(try await client.login("nobody", password: "whatever you like").status == 401)
        // The host's resources came along (the web client and the API document).
        #expect(try await client.get("/api/openapi.json").status == 200)

        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)
        #expect(!server.outputText.contains("correct horse battery"), "the password never reaches the log")
    }
}

import EchoTestSupport
import Foundation
import HTTPTypes
import Logging
import Testing
@testable import EchoChatServer

@Suite("The web client")
struct WebClientTests {
    static var livekit: [String: Any] {
        [
            "livekit_enabled": true, "livekit_api_key": LiveKitInterop.key, "livekit_api_secret": LiveKitInterop.secret,
            // Nothing listens there: tokens are minted all the same.
            "livekit_api_url": "http://127.0.0.1:9", "livekit_ws_url": "ws://127.0.0.1:7880",
        ]
    }

    @Test("/ serves the client with a content security policy naming only this server, the LiveKit client's host and LiveKit")
    func servesTheClient() async throws {
        var config = Self.livekit
        config["livekit_client_url"] = "https://cdn.example.com/npm/livekit-client.umd.min.js"
        config["livekit_ws_url"] = "wss://livekit.example.com"
        try await TestServer.run(config: config) { client, _ in
            let page = try await client.get("/")
            #expect(page.status == 200)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.text.contains("<title>EchoChat</title>"))
            let policy = try #require(page.headers[.contentSecurityPolicy])
            #expect(policy.contains("script-src 'self' https://cdn.example.com/npm/livekit-client.umd.min.js;"), "\(policy)")
            #expect(policy.contains("connect-src 'self' wss://livekit.example.com https://livekit.example.com;"))
            #expect(policy.contains("frame-ancestors 'none'"))
            #expect(page.headers[.xContentTypeOptions] == "nosniff")

            let etag = try #require(page.headers[.eTag])
            let again = try await client.request(.get, "/", headers: [.ifNoneMatch: etag])
            #expect(again.status == 304)
            #expect(again.body.isEmpty)

            for (path, type) in [("/app.js", "text/javascript"), ("/style.css", "text/css"), ("/icon.svg", "image/svg+xml"), ("/index.html", "text/html")] {
                let asset = try await client.get(path)
                #expect(asset.status == 200, "\(path)")
                #expect(asset.headers[.contentType]?.hasPrefix(type) == true, "\(path): \(asset.headers[.contentType] ?? "-")")
            }
            let missing = try await client.get("/no-such-file.js")
            #expect(missing.status == 404)
            #expect(missing.errorCode != nil)

            let settings = try await client.get("/api/config")
            #expect(settings.status == 200)
            #expect(settings["registration_enabled"] as? Bool == true)
            #expect(settings["livekit_enabled"] as? Bool == true)
            #expect(settings["livekit_client_url"] as? String == "https://cdn.example.com/npm/livekit-client.umd.min.js")
            #expect(settings["version"] as? String == EchoChatCommand.version)
        }
    }

    @Test("web_client_enabled false leaves only the API; the settings say when registration is off and voice is not set up")
    func switchedOff() async throws {
        let plugins: [String: Any] = [
            "auth": [["plugin": "local", "config": ["allow_registration": false, "password_hash": ["memory_kib": 1024, "iterations": 1]]]]
        ]
        try await TestServer.run(config: ["web_client_enabled": false], plugins: plugins) { client, _ in
            #expect(try await client.get("/").status == 404)
            let settings = try await client.get("/api/config")
            #expect(settings["registration_enabled"] as? Bool == false)
            #expect(settings["livekit_enabled"] as? Bool == false)
            #expect(settings["livekit_client_url"] as? String == ServerConfig.defaultLivekitClientURL)
        }
    }

    @Test("web_root serves another folder's client; a folder without index.html is refused at start-up")
    func webRoot() async throws {
        let folder = try TemporaryDirectory()
        try folder.write("index.html", text: "<!doctype html><title>Custom</title>")
        let path = folder.path
        try await TestServer.run(config: ["web_root": path]) { (client: HTTPTestClient, _: HostSetup) async throws in
            #expect(try await client.get("/").text.contains("<title>Custom</title>"))
            #expect(try await client.get("/app.js").status == 404)
        }
        let empty = try TemporaryDirectory()
        await #expect(throws: (any Error).self) {
            try await TestServer.run(config: ["web_root": empty.path]) { _, _ in }
        }
    }

    @Test(
        "headless Chromium: two people register and chat live, scroll back to the start, moderate through the dialogs, catch up after a dropped connection, and voice gets the real token",
        .timeLimit(.minutes(5)))
    func browser() async throws {
        let python = try LiveKitInterop.python()
        let standInPort = try freeLoopbackPort()
        var config = Self.livekit
        config["livekit_client_url"] = "http://127.0.0.1:\(standInPort)/livekit-standin.js"
        let root = LiveKitInterop.repositoryRoot
        let artifacts = root.appendingPathComponent("test-artifacts/web-client").path
        try await TestServer.run(config: config) { client, _ in
            let (status, output) = try await ServerProcess.run(
                [
                    root.appendingPathComponent("Tests/Browser/web_client_test.py").path,
                    "--base-url", "http://127.0.0.1:\(client.port)", "--standin-port", "\(standInPort)", "--artifacts", artifacts,
                    "--livekit-url", "ws://127.0.0.1:7880", "--livekit-key", LiveKitInterop.key, "--livekit-secret", LiveKitInterop.secret,
                ],
                in: root.path, executable: python, timeout: .seconds(240))
            #expect(status == 0, "\(output)")
            for step in ["scroll-back: 120 history messages", "live chat:", "moderation: a role change", "reconnect: bob caught up", "voice: connect(url=", "moderation: bob banned", "reactions: alice and bob reacted live", "replies: bob replied, alice answered in the thread"] {
                #expect(output.contains(step), "missing \(step.debugDescription) in:\n\(output)")
            }
            #expect(output.contains("web client: every check passed"), "\(output)")
        }
    }

    @Test(
        "headless Chromium: a conversation from the member list, a reply and a reaction in it seen live, a mention badge, the unread divider, typing, grouped messages with a keyboard toolbar, groups, dm_policy, blocks and presence",
        .timeLimit(.minutes(5)))
    func conversationsBrowser() async throws {
        let python = try LiveKitInterop.python()
        let root = LiveKitInterop.repositoryRoot
        let artifacts = root.appendingPathComponent("test-artifacts/conversations").path
        try await TestServer.run { client, _ in
            let (status, output) = try await ServerProcess.run(
                [
                    root.appendingPathComponent("Tests/Browser/conversations_test.py").path,
                    "--base-url", "http://127.0.0.1:\(client.port)", "--artifacts", artifacts,
                ],
                in: root.path, executable: python, timeout: .seconds(240))
            #expect(status == 0, "\(output)")
            for step in ["dm: alice started conversation", "reply: bob replied in the conversation", "reaction: bob's", "mention: alice's @bob", "unread divider: 'New messages'", "typing: bob saw", "grouping: bob's three quick messages", "group:", "settings:", "block:", "presence: bob saw alice online"] {
                #expect(output.contains(step), "missing \(step.debugDescription) in:\n\(output)")
            }
            #expect(output.contains("conversations: every check passed"), "\(output)")
        }
    }

    @Test(
        "headless Chromium: the voice roster before joining, joining a friend, the queue position and the offered seat, moves and voice moderation",
        .timeLimit(.minutes(5)))
    func voiceChannelBrowser() async throws {
        let python = try LiveKitInterop.python()
        let double = try await TwirpDouble()
        let standInPort = try freeLoopbackPort()
        var config = LiveKitTests.config(double, ["livekit_reservation_seconds": 6])
        config["livekit_client_url"] = "http://127.0.0.1:\(standInPort)/livekit-standin.js"
        let plugins: [String: Any] = [
            "auth": [TestServer.fastLocalAuth],
            "subrooms": ["plugin": "capacity", "config": ["capacity": 2, "max_subrooms": 2, "moderator_headroom": 0]],
        ]
        let root = LiveKitInterop.repositoryRoot
        let artifacts = root.appendingPathComponent("test-artifacts/voice-channel").path
        try await TestServer.run(config: config, plugins: plugins) { client, _ in
            let (status, output) = try await ServerProcess.run(
                [
                    root.appendingPathComponent("Tests/Browser/voice_channel_test.py").path,
                    "--base-url", "http://127.0.0.1:\(client.port)", "--standin-port", "\(standInPort)", "--artifacts", artifacts,
                    "--livekit-url", "ws://127.0.0.1:7880", "--livekit-key", LiveKitInterop.key, "--livekit-secret", LiveKitInterop.secret,
                ],
                in: root.path, executable: python, timeout: .seconds(240))
            #expect(status == 0, "\(output)")
            for step in ["roster: bob and carol shown before joining", "friends: alice joined dave in Voice Room(2)", "queue: erin was number 1", "move: erin moved to Voice Room(2)"] {
                #expect(output.contains(step), "missing \(step.debugDescription) in:\n\(output)")
            }
            #expect(output.contains("voice channel: every check passed"), "\(output)")
        }
    }
}

import EchoTestSupport
import Foundation
import Testing
@testable import EchoChatServer

@Suite("Self-hosting: generated configs, deploy files and echochat doctor")
struct SelfHostingTests {
    // MARK: Decisions from the configuration alone

    @Test(
        "doctor's URL rules",
        arguments: [
            ("ws://127.0.0.1:7880", "http://127.0.0.1:7880", nil),
            ("wss://livekit.example.com", "http://127.0.0.1:7880", nil),
            ("wss://livekit.example.com", "https://livekit.example.com", nil),
            ("ws://livekit.example.com", "http://127.0.0.1:7880", "livekit_ws_url"),
            ("ws://192.168.1.20:7880", "http://127.0.0.1:7880", "livekit_ws_url"),
            ("wss://livekit.example.com", "http://livekit.example.com:7880", "livekit_api_url"),
        ] as [(String, String, String?)])
    func urlRules(ws: String, api: String, erroneous: String?) {
        let findings = DoctorRules.livekitSettings(wsURL: ws, apiURL: api, secret: String(repeating: "s", count: 40))
        let errors = findings.filter { $0.severity == .error }
        #expect(errors.map(\.subject) == (erroneous.map { [$0] } ?? []), "\(findings.map(\.line))")
        for error in errors { #expect(!error.fix.isEmpty) }
    }

    @Test("doctor warns about a short secret, mismatched ports and hosts; it maps LiveKit's answers and the webhook probe to fixes")
    func findingsNameTheProblem() {
        let short = DoctorRules.livekitSettings(wsURL: "ws://127.0.0.1:7880", apiURL: "http://127.0.0.1:7880", secret: "secret")
        #expect(short.contains { $0.severity == .warning && $0.subject == "livekit_api_secret" })
        let ports = DoctorRules.livekitSettings(wsURL: "ws://127.0.0.1:7880", apiURL: "http://127.0.0.1:7881", secret: String(repeating: "s", count: 40))
        #expect(ports.contains { $0.severity == .warning && $0.message.contains("different ports") })
        let hosts = DoctorRules.livekitSettings(wsURL: "wss://a.example.com", apiURL: "https://b.example.com", secret: String(repeating: "s", count: 40))
        #expect(hosts.contains { $0.severity == .warning && $0.subject == "livekit_api_url" })

        #expect(DoctorRules.livekitCallFailure(.unreachable("connection refused"), apiURL: "http://127.0.0.1:7880").message.contains("cannot reach"))
        #expect(DoctorRules.livekitCallFailure(.twirp(code: "unauthenticated", message: "", status: 401), apiURL: "x").message.contains("refused"))
        #expect(DoctorRules.livekitCallFailure(.twirp(code: "http_404", message: "", status: 404), apiURL: "x").fix.contains("livekit_api_url"))
        #expect(DoctorRules.webhookProbe(url: "u", status: 401, errorCode: "invalid_webhook_signature", failure: nil).severity == .ok)
        #expect(DoctorRules.webhookProbe(url: "u", status: 200, errorCode: nil, failure: nil).severity == .error)
        #expect(DoctorRules.webhookProbe(url: "u", status: 503, errorCode: "livekit_disabled", failure: nil).message.contains("voice is switched off"))
        #expect(DoctorRules.webhookProbe(url: "u", status: nil, errorCode: nil, failure: "connection refused").severity == .error)
    }

    @Test("domain names and YAML quoting")
    func generatorPieces() {
        #expect(LiveKitDeployment.isDomainName("livekit.example.com"))
        for bad in ["localhost", "-a.example.com", "a..b", "exa mple.com", "1.2.3.4", "a.b/c", ""] {
            #expect(!LiveKitDeployment.isDomainName(bad), "\(bad)")
        }
        #expect(LiveKitDeployment.quoted(#"a"b\c"#) == #""a\"b\\c""#)
        let secret = LiveKitDeployment.generatedSecret()
        #expect(secret.count == 48 && secret != LiveKitDeployment.generatedSecret())
        #expect(LiveKitDeployment.generatedKey().hasPrefix("API"))
    }

    // MARK: The generated files, judged by the real tools

    @Test("livekit-config writes a LiveKit config with exactly LiveKit's keys and a Caddyfile caddy accepts; it never overwrites without --force")
    func livekitConfig() async throws {
        let directory = try TemporaryDirectory()
        let output = directory.file("out")
        let arguments = ["livekit-config", "--domain", "livekit.example.com", "--echochat-url", "https://chat.example.com", "--udp-mux", "--output-dir", output]
        let first = try await ServerProcess.run(arguments, in: directory.path)
        #expect(first.status == 0, "\(first.output)")
        let yaml = try await Self.parseYAML(output + "/livekit.yaml")
        let keys = try #require(yaml["keys"] as? [String: String])
        #expect(keys.count == 1)
        let (key, secret) = try #require(keys.first)
        #expect(secret.count == 48)
        #expect(Set(yaml.keys) == ["port", "rtc", "keys", "webhook", "room", "logging"])
        #expect(yaml["port"] as? Int == 7880)
        let rtc = try #require(yaml["rtc"] as? [String: Any])
        #expect(Set(rtc.keys) == ["tcp_port", "udp_port", "use_external_ip"])
        #expect(rtc["udp_port"] as? Int == 7882 && rtc["tcp_port"] as? Int == 7881 && rtc["use_external_ip"] as? Bool == true)
        let webhook = try #require(yaml["webhook"] as? [String: Any])
        #expect(webhook["api_key"] as? String == key)
        #expect(webhook["urls"] as? [String] == ["https://chat.example.com/api/livekit/webhook"])
        #expect((yaml["room"] as? [String: Any])?["auto_create"] as? Bool == false)
        let permissions = try FileManager.default.attributesOfItem(atPath: output + "/livekit.yaml")[.posixPermissions] as? Int
        #expect(permissions == 0o600, "the file with the secret is private")

        // What it prints for server_config.json is what it wrote for LiveKit.
        let printed = try Self.jsonObject(in: first.output)
        #expect(printed["livekit_api_key"] as? String == key)
        #expect(printed["livekit_api_secret"] as? String == secret)
        #expect(printed["livekit_ws_url"] as? String == "wss://livekit.example.com")
        #expect(printed["public_url"] as? String == "https://chat.example.com")

        try await Self.caddyValidate(output + "/Caddyfile", home: directory.path)
        let caddyfile = try String(contentsOfFile: output + "/Caddyfile", encoding: .utf8)
        #expect(caddyfile.contains("livekit.example.com {") && caddyfile.contains("chat.example.com {"))

        // A second run refuses and leaves both files alone; --force replaces them.
        let before = try String(contentsOfFile: output + "/livekit.yaml", encoding: .utf8)
        let again = try await ServerProcess.run(arguments, in: directory.path)
        #expect(again.status == 1 && again.output.contains("already exist"), "\(again.output)")
        #expect(try String(contentsOfFile: output + "/livekit.yaml", encoding: .utf8) == before)
        let forced = try await ServerProcess.run(arguments.filter { $0 != "--udp-mux" } + ["--force"], in: directory.path)
        #expect(forced.status == 0, "\(forced.output)")
        let range = try #require(try await Self.parseYAML(output + "/livekit.yaml")["rtc"] as? [String: Any])
        #expect(Set(range.keys) == ["tcp_port", "port_range_start", "port_range_end", "use_external_ip"])
        #expect(range["port_range_start"] as? Int == 50000 && range["port_range_end"] as? Int == 60000)

        // Refusals that name the problem.
        let badDomain = try await ServerProcess.run(["livekit-config", "--domain", "localhost", "--output-dir", directory.file("x")], in: directory.path)
        #expect(badDomain.status != 0 && badDomain.output.contains("--domain"))
        let shortSecret = try await ServerProcess.run(
            ["livekit-config", "--domain", "livekit.example.com", "--api-secret", "secret", "--output-dir", directory.file("y")], in: directory.path)
        #expect(shortSecret.status != 0 && shortSecret.output.contains("32"))
    }

    @Test("livekit-config's key and secret, set in server_config.json as printed, are what LiveKit's RoomService (a double) accepts: doctor says so")
    func generatedKeysWork() async throws {
        let directory = try TemporaryDirectory()
        let generated = try await ServerProcess.run(
            ["livekit-config", "--domain", "livekit.example.com", "--output-dir", directory.file("out")], in: directory.path)
        #expect(generated.status == 0, "\(generated.output)")
        let keys = try #require(try await Self.parseYAML(directory.file("out/livekit.yaml"))["keys"] as? [String: String])
        let (key, secret) = try #require(keys.first)
        let double = try await TwirpDouble(key: key, secret: secret)
        var config = try Self.jsonObject(in: generated.output)
        config["livekit_api_url"] = double.url
        config["data_dir"] = directory.file("data")
        try directory.write("server_config.json", json: config)
        let doctor = try await ServerProcess.run(["doctor", "--config", directory.file("server_config.json")], in: directory.path)
        #expect(doctor.output.contains("[ok]      livekit: LiveKit at \(double.url) accepted API key \(key)"), "\(doctor.output)")
        #expect(try await double.calls("ListRooms").count == 1)
    }

    @Test("the deploy folder: nginx -t accepts the site, systemd-analyze verify the unit, caddy the Caddyfile, and the LiveKit examples are LiveKit configs")
    func deployFiles() async throws {
        let root = LiveKitInterop.repositoryRoot.appendingPathComponent("deploy")
        let directory = try TemporaryDirectory()

        // nginx: the site inside a minimal main config, with a throwaway certificate in place of Let's Encrypt's.
        let certificate = directory.file("cert.pem")
        let key = directory.file("key.pem")
        try await Self.run(
            "/usr/bin/openssl",
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=chat.example.com", "-keyout", key, "-out", certificate])
        let site = try String(contentsOf: root.appendingPathComponent("nginx/echochat.conf"), encoding: .utf8)
            .replacingOccurrences(of: "/etc/letsencrypt/live/chat.example.com/fullchain.pem", with: certificate)
            .replacingOccurrences(of: "/etc/letsencrypt/live/chat.example.com/privkey.pem", with: key)
        try directory.write("site.conf", text: site)
        try directory.write(
            "nginx.conf",
            text: """
                pid \(directory.file("nginx.pid"));
                error_log \(directory.file("error.log"));
                events {}
                http {
                    access_log off;
                    client_body_temp_path \(directory.path);
                    proxy_temp_path \(directory.path);
                    include \(directory.file("site.conf"));
                }
                """)
        try await Self.run("/usr/sbin/nginx", ["-t", "-p", directory.path, "-c", directory.file("nginx.conf")])

        // systemd: the unit as shipped, pointed at this build's binary (verify checks that ExecStart exists).
        let unit = try String(contentsOf: root.appendingPathComponent("echochat.service"), encoding: .utf8)
            .replacingOccurrences(of: "/usr/local/bin/echochat", with: ServerProcess.executable)
        #expect(unit.contains("ProtectSystem=strict") && unit.contains("Restart=on-failure") && unit.contains("User=echochat"))
        try directory.write("echochat.service", text: unit)
        try await Self.run("/usr/bin/systemd-analyze", ["verify", "--man=no", directory.file("echochat.service")])

        try await Self.caddyValidate(root.appendingPathComponent("Caddyfile").path, home: directory.path)

        let dev = try await Self.parseYAML(root.appendingPathComponent("livekit/dev.yaml").path)
        #expect((dev["keys"] as? [String: String])?["devkey"]?.count ?? 0 >= 32)
        #expect((dev["room"] as? [String: Any])?["auto_create"] as? Bool == false)
        #expect((dev["webhook"] as? [String: Any])?["urls"] as? [String] == ["http://127.0.0.1:8080/api/livekit/webhook"])
        let production = try await Self.parseYAML(root.appendingPathComponent("livekit/production-udp-mux.yaml").path)
        #expect((production["rtc"] as? [String: Any])?["udp_port"] as? Int == 7882)
        #expect((production["room"] as? [String: Any])?["auto_create"] as? Bool == false)
        let productionKeys = try #require(production["keys"] as? [String: String])
        #expect((production["webhook"] as? [String: Any])?["api_key"] as? String == productionKeys.keys.first)
    }

    // MARK: doctor against a RoomService double

    @Test("doctor: the right key passes; a wrong secret, a wrong port, ws:// on a public host and an unreachable webhook are each named with a fix")
    func doctor() async throws {
        let double = try await TwirpDouble(key: "APIdoctor", secret: String(repeating: "k", count: 40))
        let closed = try freeLoopbackPort()
        let url = double.url
        try await TestServer.run(config: Self.doctorLiveKit(url)) { client, _ in
            let good = Self.doctorLiveKit(url).merging(["public_url": "http://127.0.0.1:\(client.port)"]) { $1 }
            let passing = try await Self.doctor(good)
            #expect(passing.status == 0, "\(passing.output)")
            #expect(passing.output.contains("[ok]      livekit: LiveKit at \(double.url) accepted API key APIdoctor"), "\(passing.output)")
            #expect(passing.output.contains("[ok]      webhook: http://127.0.0.1:\(client.port)/api/livekit/webhook reaches EchoChat's webhook receiver"))
            #expect(passing.output.contains("[ok]      storage.sqlite: answers, schema at v11_unread (current)"), "\(passing.output)")
            #expect(passing.output.contains("No errors (0 warnings)"), "\(passing.output)")

            let cases: [(change: [String: Any], expected: String)] = [
                (["livekit_api_secret": String(repeating: "w", count: 40)], "[error]   livekit: LiveKit at \(double.url) refused EchoChat's API key and secret"),
                (["livekit_api_url": "http://127.0.0.1:\(closed)"], "[error]   livekit: cannot reach LiveKit's API at http://127.0.0.1:\(closed)"),
                // A URL that reaches some other service: EchoChat itself.
                (["livekit_api_url": "http://127.0.0.1:\(client.port)"], "[error]   livekit: http://127.0.0.1:\(client.port) answered 404: it is not LiveKit's API"),
                (["livekit_ws_url": "ws://livekit.example.com"], "[error]   livekit_ws_url: ws://livekit.example.com is not TLS"),
                (["public_url": "http://127.0.0.1:\(closed)"], "[error]   webhook: LiveKit could not deliver events to http://127.0.0.1:\(closed)/api/livekit/webhook"),
            ]
            for (change, expected) in cases {
                let result = try await Self.doctor(good.merging(change) { $1 })
                #expect(result.status == 1, "\(change): \(result.output)")
                #expect(result.output.contains(expected), "\(change): \(result.output)")
                #expect(result.output.contains("Fix:"))
                #expect(!result.output.contains(String(repeating: "k", count: 40)) && !result.output.contains(String(repeating: "w", count: 40)), "no secret in the report")
            }
        }
    }

    // MARK: Helpers

    static func doctorLiveKit(_ url: String) -> [String: Any] {
        [
            "livekit_enabled": true, "livekit_api_key": "APIdoctor", "livekit_api_secret": String(repeating: "k", count: 40),
            "livekit_api_url": url, "livekit_ws_url": url.replacingOccurrences(of: "http://", with: "ws://"),
        ]
    }

    static func doctor(_ config: [String: Any]) async throws -> (status: Int32, output: String) {
        let directory = try TemporaryDirectory()
        var config = config
        config["data_dir"] = directory.file("data")
        try directory.write("server_config.json", json: config)
        return try await ServerProcess.run(["doctor", "--config", directory.file("server_config.json")], in: directory.path)
    }

    /// YAML read by PyYAML (which the test venv has), as JSON.
    static func parseYAML(_ path: String) async throws -> [String: Any] {
        let python = try LiveKitInterop.python()
        let output = try await run(python, ["-c", "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))", path])
        return try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
    }

    /// The first `{ … }` block of `text`, parsed.
    static func jsonObject(in text: String) throws -> [String: Any] {
        let start = try #require(text.firstIndex(of: "{"))
        let end = try #require(text[start...].firstIndex(of: "}"))
        return try #require(try JSONSerialization.jsonObject(with: Data(text[start...end].utf8)) as? [String: Any])
    }

    static func caddyValidate(_ path: String, home: String) async throws {
        try await run("/usr/bin/caddy", ["validate", "--config", path, "--adapter", "caddyfile"], environment: ["HOME": home, "XDG_DATA_HOME": home, "XDG_CONFIG_HOME": home])
    }

    /// Runs a tool to completion; a non-zero exit is a failure that shows its output.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> String {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw TestFailure("\(executable) is missing: scripts/test installs it")
        }
        let (status, output) = try await ServerProcess.run(arguments, in: "/", environment: environment, executable: executable)
        guard status == 0 else {
            throw TestFailure("\(executable) \(arguments.joined(separator: " ")) exited \(status):\n\(output)")
        }
        return output
    }
}

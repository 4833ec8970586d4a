import Foundation
import HTTPTypes
import Testing
@testable import EchoChatServer

@Suite("The OpenAPI document")
struct OpenAPITests {
    /// Fixed seeds keep a CI run reproducible; `ECHOCHAT_FUZZ_SEED` tries others.
    static var seed: String { ProcessInfo.processInfo.environment["ECHOCHAT_FUZZ_SEED"] ?? "7" }

    @Test(
        "schemathesis finds no server error and no answer the document does not allow: examples, coverage, fuzzing, then stateful sequences along the links",
        .timeLimit(.minutes(10)))
    func fuzzing() async throws {
        let python = try LiveKitInterop.python()
        let schemathesis = URL(fileURLWithPath: python).deletingLastPathComponent().appendingPathComponent("schemathesis").path
        let root = LiveKitInterop.repositoryRoot
        let double = try await TwirpDouble()
        let config: [String: Any] = [
            "livekit_enabled": true, "livekit_api_key": LiveKitInterop.key, "livekit_api_secret": LiveKitInterop.secret,
            "livekit_api_url": double.url, "access_token_ttl_seconds": 3600,
            "rate_limit_login": "off", "rate_limit_login_per_address": "off", "rate_limit_register": "off", "rate_limit_livekit_token": "off",
        ]
        try await TestServer.run(config: config) { client, _ in
            let url = "http://127.0.0.1:\(client.port)"
            let environment = [
                "ECHOCHAT_URL": url, "LIVEKIT_API_KEY": LiveKitInterop.key, "LIVEKIT_API_SECRET": LiveKitInterop.secret,
                "SCHEMATHESIS_HOOKS": "hooks", "PYTHONPATH": root.appendingPathComponent("Tests/OpenAPI").path,
            ]
            let common = [
                "--config-file", root.appendingPathComponent("Tests/OpenAPI/schemathesis.toml").path,
                "run", "\(url)/api/openapi.json", "--checks", "all", "--workers", "1", "--exclude-path", "/api/ws",
                // A 404 after a room was created may be about another resource the request names
                // (the user to ban or invite: user_not_found); this check reads any 404 on a linked
                // operation as the room gone. Every other check runs, and the links are followed.
                "--exclude-checks", "ensure_resource_availability",
                "--report", "junit",
                // Nothing carried over from earlier runs: a run here repeats what CI runs.
                "--generation-database", "none",
            ]
            let reports = root.appendingPathComponent("test-artifacts/schemathesis")
            try FileManager.default.createDirectory(at: reports, withIntermediateDirectories: true)
            let runs: [(name: String, report: String, arguments: [String])] = [
                ("examples, coverage and fuzzing", "fuzzing.xml", ["--phases", "examples,coverage,fuzzing", "--max-examples", "40", "--seed", Self.seed]),
                ("stateful", "stateful.xml", ["--phases", "stateful", "--max-time", "60", "--seed", Self.seed]),
            ]
            for run in runs {
                let (status, output) = try await ServerProcess.run(
                    common + run.arguments + ["--report-junit-path", reports.appendingPathComponent(run.report).path],
                    in: root.path, environment: environment, executable: schemathesis, timeout: .seconds(300))
                #expect(status == 0, "schemathesis (\(run.name)) found problems:\n\(output.suffix(12_000))")
                let summary = output.range(of: "SUMMARY").map { output[$0.lowerBound...] } ?? output.suffix(2000)
                print("schemathesis \(run.name):\n\(summary)")
            }
        }
    }

    @Test("/api/openapi.json is OpenAPI 3.1 and describes exactly the routes the server has")
    func describesEveryRoute() async throws {
        let body = try await TestServer.run { client, _ in
            let response = try await client.get("/api/openapi.json")
            #expect(response.status == 200)
            #expect(response.headers[.contentType] == "application/json; charset=utf-8")
            return response.body
        }
        let document = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]
        let documented = Set(paths.flatMap { path, item in item.keys.filter(methods.contains).map { "\($0.uppercased()) \(path)" } })
        // The web client's files are not part of the API.
        let served = Set(
            try await TestServer.routes().filter { route in
                let path = route.split(separator: " ", maxSplits: 1).last.map(String.init) ?? ""
                return path.hasPrefix("/api/") || ["/health", "/livez", "/readyz", "/metrics"].contains(path)
            })
        #expect(served.subtracting(documented).sorted() == [], "routes the document leaves out")
        #expect(documented.subtracting(served).sorted() == [], "documented routes the server does not have")

        // Every operation names its id and answers, and every error answer uses the one error shape.
        for (path, item) in paths {
            for (method, value) in item where methods.contains(method) {
                let operation = try #require(value as? [String: Any])
                #expect(operation["operationId"] is String, "\(method) \(path)")
                let responses = try #require(operation["responses"] as? [String: Any], "\(method) \(path)")
                // The probes' 503s are their own shapes: /health's {"status": "unavailable", "error": {...}},
                // /readyz's {"status": "degraded", "failing": [...]}.
                for (status, response) in responses where (status.hasPrefix("4") || status.hasPrefix("5")) && path != "/health"
                    && !(path == "/readyz" && status == "503")
                {
                    let resolved = resolve(response, in: document)
                    let schema = ((resolved["content"] as? [String: Any])?["application/json"] as? [String: Any])?["schema"] as? [String: Any]
                    #expect(schema?["$ref"] as? String == "#/components/schemas/Error", "\(method) \(path) \(status) should use the Error schema")
                    if status == "429" {
                        #expect((resolved["headers"] as? [String: Any])?["Retry-After"] != nil, "\(method) \(path) 429 names Retry-After")
                    }
                }
            }
        }
    }

    /// Follows a local `$ref` (`#/components/responses/Name`).
    private func resolve(_ value: Any, in document: [String: Any]) -> [String: Any] {
        guard let object = value as? [String: Any] else { return [:] }
        guard let reference = object["$ref"] as? String, reference.hasPrefix("#/") else { return object }
        var current: Any = document
        for key in reference.dropFirst(2).split(separator: "/") {
            current = (current as? [String: Any])?[String(key)] ?? [:]
        }
        return resolve(current, in: document)
    }
}

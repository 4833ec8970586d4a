import Foundation
import HTTPTypes
import Testing
@testable import EchoHost

@Suite("The OpenAPI document")
struct OpenAPITests {
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
                return path.hasPrefix("/api/") || path == "/health" || path == "/metrics"
            })
        #expect(served.subtracting(documented).sorted() == [], "routes the document leaves out")
        #expect(documented.subtracting(served).sorted() == [], "documented routes the server does not have")

        // Every operation names its id and answers, and every error answer uses the one error shape.
        for (path, item) in paths {
            for (method, value) in item where methods.contains(method) {
                let operation = try #require(value as? [String: Any])
                #expect(operation["operationId"] is String, "\(method) \(path)")
                let responses = try #require(operation["responses"] as? [String: Any], "\(method) \(path)")
                // /health's 503 is its own shape: {"status": "unavailable", "error": {...}}.
                for (status, response) in responses where (status.hasPrefix("4") || status.hasPrefix("5")) && path != "/health" {
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

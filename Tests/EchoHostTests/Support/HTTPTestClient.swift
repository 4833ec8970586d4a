import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore

/// One HTTP exchange against a server on a loopback port.
struct HTTPResult: Sendable {
    let status: Int
    let headers: HTTPFields
    let body: Data

    /// The body as a JSON object (empty when it is not one).
    var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]) ?? [:] }
    var text: String { String(decoding: body, as: UTF8.self) }
    var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
    subscript(key: String) -> Any? { json[key] }
}

/// A minimal JSON-over-HTTP client: a new connection per request, so it survives server restarts.
struct HTTPTestClient: Sendable {
    let port: Int
    /// How long a request may go without a byte from the server.
    var timeout: Duration = .seconds(15)

    func request(
        _ method: HTTPRequest.Method, _ path: String, json: [String: Any]? = nil, rawBody: String? = nil, token: String? = nil,
        headers extra: HTTPFields = [:]
    ) async throws -> HTTPResult {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        var body: ByteBuffer?
        if let json {
            headers[.contentType] = "application/json"
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json))
        } else if let rawBody {
            headers[.contentType] = "application/json"
            body = ByteBuffer(string: rawBody)
        }
        let request = TestClient.Request(path, method: method, headers: headers, body: body)
        let response = try await TestClient.withClient(host: "127.0.0.1", port: port, configuration: .init(timeout: timeout)) { client in
            try await client.execute(request)
        }
        return HTTPResult(
            status: Int(response.status.code), headers: response.headers,
            body: response.body.map { Data($0.readableBytesView) } ?? Data())
    }

    func get(_ path: String, token: String? = nil) async throws -> HTTPResult {
        try await request(.get, path, token: token)
    }

    func post(_ path: String, _ json: [String: Any]? = nil, token: String? = nil) async throws -> HTTPResult {
        try await request(.post, path, json: json, token: token)
    }

    // MARK: Account helpers

    @discardableResult
    func register(_ username: String, password: String = "correct horse battery") async throws -> HTTPResult {
        try await post("/api/auth/register", ["username": username, "password": password])
    }

    func login(_ username: String, password: String = "correct horse battery") async throws -> HTTPResult {
        try await post("/api/auth/login", ["username": username, "password": password])
    }

    /// Registers and logs in; returns (access token, refresh token).
    /// Signs up every user and joins them to `room`, 32 at a time; returns their access tokens.
    func signUpAndJoin(_ usernames: [String], room: String) async throws -> [String: String] {
        try await withThrowingTaskGroup(of: [String: String].self) { group in
            for start in stride(from: 0, to: usernames.count, by: 32) {
                let chunk = usernames[start..<min(start + 32, usernames.count)]
                group.addTask {
                    var tokens: [String: String] = [:]
                    for name in chunk {
                        let (access, _) = try await signUp(name)
                        _ = try await post("/api/rooms/\(room)/join", token: access)
                        tokens[name] = access
                    }
                    return tokens
                }
            }
            return try await group.reduce(into: [:]) { $0.merge($1) { first, _ in first } }
        }
    }

    func signUp(_ username: String, password: String = "correct horse battery") async throws -> (access: String, refresh: String) {
        try await register(username, password: password)
        let login = try await login(username, password: password)
        guard let access = login["access_token"] as? String, let refresh = login["refresh_token"] as? String else {
            throw TestFailure("login for \(username) failed: \(login.status) \(login.text)")
        }
        return (access, refresh)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

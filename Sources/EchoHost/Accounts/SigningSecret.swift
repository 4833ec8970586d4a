import Foundation

/// The secret that signs access tokens: `token_signing_secret` when configured, else one
/// generated on first start and kept in `data_dir/token_signing_secret` (mode 0600).
///
/// Several instances sharing one database must share this secret: configure it explicitly.
enum SigningSecret {
    static let fileName = "token_signing_secret"

    static func load(configured: String?, dataDirectory: String) throws -> String {
        if let configured { return configured }
        let path = URL(fileURLWithPath: dataDirectory).appendingPathComponent(fileName).path
        if let data = FileManager.default.contents(atPath: path) {
            let secret = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard secret.utf8.count >= 32 else {
                throw SetupError("\(path) holds a signing secret shorter than 32 characters; delete it to generate a new one")
            }
            return secret
        }
        let secret = TokenService.randomBytes(48).base64URLEncodedString()
        let temporary = path + ".\(ProcessInfo.processInfo.processIdentifier).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data((secret + "\n").utf8), attributes: [.posixPermissions: 0o600])
        else { throw SetupError("cannot write \(temporary): check that data_dir is writable") }
        // link(2) fails if another process created the file first; then use theirs.
        if link(temporary, path) != 0 {
            unlink(temporary)
            return try load(configured: nil, dataDirectory: dataDirectory)
        }
        unlink(temporary)
        return secret
    }
}

/// A start-up problem outside the configuration files (an unwritable directory).
struct SetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

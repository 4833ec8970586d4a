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
        if let secret = try read(path) { return secret }
        let secret = TokenService.randomBytes(48).base64URLEncodedString()
        // O_EXCL: of two processes starting together, one creates the file and the other reads it.
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if descriptor < 0 {
            let code = errno
            if code == EEXIST, let existing = try read(path) { return existing }
            throw SetupError("cannot create \(path): \(String(cString: strerror(code)))")
        }
        defer { close(descriptor) }
        let bytes = Array((secret + "\n").utf8)
        guard write(descriptor, bytes, bytes.count) == bytes.count, fsync(descriptor) == 0 else {
            let code = errno
            unlink(path)
            throw SetupError("cannot write \(path): \(String(cString: strerror(code)))")
        }
        return secret
    }

    /// The stored secret, `nil` when the file does not exist, or an error when it is unusable.
    private static func read(_ path: String) throws -> String? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SetupError("cannot read \(path): check its owner and permissions")
        }
        let secret = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard secret.utf8.count >= 32 else {
            throw SetupError("\(path) holds a signing secret shorter than 32 characters; delete it to generate a new one")
        }
        return secret
    }
}

/// A start-up problem outside the configuration files (an unwritable directory).
struct SetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

import CArgon2

/// Argon2id password hashing through the reference implementation (libargon2), in the PHC string
/// format (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`), which carries its own parameters so they
/// can be raised later without invalidating stored hashes.
///
/// Every function here blocks for tens of milliseconds: call them on a thread pool.
public enum Argon2id {
    /// Cost parameters.
    public struct Parameters: Hashable, Sendable, CustomStringConvertible {
        /// Memory in KiB.
        public var memoryKiB: UInt32
        /// Number of passes.
        public var iterations: UInt32
        /// Lanes.
        public var parallelism: UInt32

        /// Creates parameters.
        public init(memoryKiB: UInt32, iterations: UInt32, parallelism: UInt32) {
            self.memoryKiB = memoryKiB
            self.iterations = iterations
            self.parallelism = parallelism
        }

        /// OWASP's recommended minimum: 19 MiB, 2 passes, 1 lane.
        public static let recommended = Parameters(memoryKiB: 19_456, iterations: 2, parallelism: 1)

        public var description: String { "m=\(memoryKiB),t=\(iterations),p=\(parallelism)" }
    }

    /// A failure inside libargon2 (out of memory, bad parameters). Never contains the password.
    public struct Failure: Error, CustomStringConvertible {
        /// libargon2's result code.
        public let code: Int32
        public var description: String { "argon2: " + (String(validatingCString: argon2_error_message(code)) ?? "error \(code)") }
    }

    static let saltLength = 16
    static let hashLength = 32

    /// Hashes `password` with a fresh random salt.
    public static func hash(_ password: String, parameters: Parameters) throws -> String {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<saltLength).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let encodedLength = argon2_encodedlen(
            parameters.iterations, parameters.memoryKiB, parameters.parallelism,
            UInt32(saltLength), UInt32(hashLength), Argon2_id
        )
        var encoded = [CChar](repeating: 0, count: encodedLength)
        let password = Array(password.utf8)
        let code = argon2id_hash_encoded(
            parameters.iterations, parameters.memoryKiB, parameters.parallelism,
            password, password.count, salt, salt.count, hashLength, &encoded, encodedLength
        )
        guard code == ARGON2_OK.rawValue else { throw Failure(code: code) }
        return String(decoding: encoded.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether `password` matches `encoded`. A malformed hash never matches.
    public static func verify(_ password: String, encoded: String) -> Bool {
        let password = Array(password.utf8)
        return argon2id_verify(encoded, password, password.count) == ARGON2_OK.rawValue
    }

    /// The parameters stored in an encoded hash, or `nil` when it is not an Argon2id PHC string.
    public static func parameters(of encoded: String) -> Parameters? {
        let fields = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard fields.count == 6, fields[0].isEmpty, fields[1] == "argon2id", fields[2] == "v=19" else { return nil }
        var values: [Substring: UInt32] = [:]
        for pair in fields[3].split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let value = UInt32(parts[1]) else { return nil }
            values[parts[0]] = value
        }
        guard let m = values["m"], let t = values["t"], let p = values["p"] else { return nil }
        return Parameters(memoryKiB: m, iterations: t, parallelism: p)
    }
}

public import EchoPluginAPI

extension LocalAuth {
    /// `{"allow_registration": true, "min_password_length": 8,
    ///   "password_hash": {"memory_kib": 19456, "iterations": 2, "parallelism": 1}}`
    public struct Configuration: PluginConfiguration {
        /// Whether `POST /api/auth/register` may create local accounts.
        public var allowRegistration = true
        /// The shortest password accepted for new accounts.
        public var minPasswordLength = 8
        /// Argon2id cost for new hashes; stored hashes with other parameters are re-hashed at the next login.
        public var passwordHash = Argon2id.Parameters.recommended

        /// Passwords longer than this many bytes are refused, bounding the hashing cost.
        public static let maxPasswordBytes = 1024

        enum CodingKeys: String, CodingKey {
            case allowRegistration = "allow_registration"
            case minPasswordLength = "min_password_length"
            case passwordHash = "password_hash"
        }

        enum HashKeys: String, CodingKey {
            case memoryKiB = "memory_kib"
            case iterations, parallelism
        }

        public init() {}

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            allowRegistration = try container.decodeIfPresent(Bool.self, forKey: .allowRegistration) ?? true
            minPasswordLength = try container.decodeIfPresent(Int.self, forKey: .minPasswordLength) ?? 8
            if container.contains(.passwordHash) {
                let hash = try container.nestedContainer(keyedBy: HashKeys.self, forKey: .passwordHash)
                let defaults = Argon2id.Parameters.recommended
                passwordHash = Argon2id.Parameters(
                    memoryKiB: try hash.decodeIfPresent(UInt32.self, forKey: .memoryKiB) ?? defaults.memoryKiB,
                    iterations: try hash.decodeIfPresent(UInt32.self, forKey: .iterations) ?? defaults.iterations,
                    parallelism: try hash.decodeIfPresent(UInt32.self, forKey: .parallelism) ?? defaults.parallelism
                )
            }
        }

        public func validate() throws {
            guard (1...128).contains(minPasswordLength) else {
                throw ConfigIssue(key: "min_password_length", "must be between 1 and 128")
            }
            guard (1...16).contains(passwordHash.parallelism) else {
                throw ConfigIssue(keyPath: ["password_hash", "parallelism"], message: "must be between 1 and 16")
            }
            guard (1...20).contains(passwordHash.iterations) else {
                throw ConfigIssue(keyPath: ["password_hash", "iterations"], message: "must be between 1 and 20")
            }
            guard (max(1024, 8 * passwordHash.parallelism)...4_194_304).contains(passwordHash.memoryKiB) else {
                throw ConfigIssue(keyPath: ["password_hash", "memory_kib"], message: "must be between 1024 and 4194304")
            }
        }

        /// Throws ``AuthError/rejectedPassword(_:)`` for a password this policy refuses.
        /// Length counts Unicode code points, as the API document's `minLength` does (JSON
        /// Schema's rule), so that a password the document allows is not refused for combining
        /// marks that join into fewer visible characters.
        func checkPolicy(_ password: String) throws {
            if password.unicodeScalars.count < minPasswordLength {
                throw AuthError.rejectedPassword("the password must have at least \(minPasswordLength) characters")
            }
            if password.utf8.count > Self.maxPasswordBytes {
                throw AuthError.rejectedPassword("the password must be at most \(Self.maxPasswordBytes) bytes long")
            }
        }
    }
}

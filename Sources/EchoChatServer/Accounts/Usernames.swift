import Foundation

/// The canonical form of usernames, shared by every auth source: `Alice` and `alice` are one account.
enum Usernames {
    static let maxLength = 64

    /// The case-folded username, or `nil` when it has characters or a length EchoChat does not
    /// allow: 1–64 of `a-z 0-9 . _ -`, starting with a letter or digit.
    static func canonical(_ raw: String) -> String? {
        let folded = raw.lowercased()
        guard (1...maxLength).contains(folded.unicodeScalars.count),
            let first = folded.unicodeScalars.first, isAlphanumeric(first),
            folded.unicodeScalars.allSatisfy({ isAlphanumeric($0) || $0 == "." || $0 == "_" || $0 == "-" })
        else { return nil }
        return folded
    }

    static let rule = "usernames are 1–64 characters of letters, digits, '.', '_' and '-', starting with a letter or digit"

    private static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar)
    }
}

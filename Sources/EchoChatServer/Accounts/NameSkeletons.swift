import CConfusables

/// The look-alike keys of a name: two names look alike when they share a key. Keys are
/// confusable skeletons after Unicode UTS #39, from the system's ICU:
///
/// - `f:` the skeleton after NFKC case folding, so that `ADMIN`, `аdmin` (Cyrillic а) and
///   `admin` share one;
/// - `c:` the skeleton as written, so that `Iily` (capital I) and `lily` share one, which folding
///   would tell apart.
///
/// Invisible characters are dropped and runs of whitespace count as one space first, as a
/// browser shows them.
enum NameSkeletons {
    /// Names this recipe and the Unicode data behind it. Stored with every account's keys, so
    /// that a change of either has the accounts indexed again.
    static let version: String = {
        var text = [CChar](repeating: 0, count: 128)
        let data =
            echo_confusables_version(&text, Int32(text.count)) == 0
            ? String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "unknown ICU"
        return "uts39 keys 1 (\(data))"
    }()

    /// Throws unless ICU finds that `аdmin` (Cyrillic а) looks like `ADMIN`: its data is missing or broken.
    static func checkData() throws {
        guard try !keys(of: "\u{430}dmin").isDisjoint(with: keys(of: "ADMIN")) else { throw ConfusablesError(text: "\u{430}dmin") }
    }

    static func keys(of name: String) throws -> Set<String> {
        let shown = visible(name)
        return ["f:" + (try skeleton(shown, folded: true)), "c:" + (try skeleton(shown, folded: false))]
    }

    /// `name` without default-ignorable code points, its whitespace runs made one space and trimmed.
    static func visible(_ name: String) -> String {
        let seen = String(String.UnicodeScalarView(name.unicodeScalars.filter { !$0.properties.isDefaultIgnorableCodePoint }))
        return seen.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// ICU's skeleton of `text`, after NFKC_Casefold when `folded`.
    static func skeleton(_ text: String, folded: Bool) throws -> String {
        let length = Int32(text.utf8.count)
        var capacity = Int(length) * 3 + 16
        while true {
            var buffer = [CChar](repeating: 0, count: capacity)
            let written = echo_confusable_skeleton(text, length, folded ? 1 : 0, &buffer, Int32(capacity))
            guard written >= 0 else { throw ConfusablesError(text: text) }
            guard Int(written) <= capacity else {
                capacity = Int(written)
                continue
            }
            return String(decoding: buffer.prefix(Int(written)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }
}

/// ICU could not compute a skeleton (its data missing, say).
struct ConfusablesError: Error, CustomStringConvertible {
    let text: String
    var description: String { "ICU could not compute the confusable skeleton of \(text.debugDescription) (\(NameSkeletons.version))" }
}

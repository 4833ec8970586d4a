import Foundation

/// What a display name may hold. Whether it looks like another account's name is a question for
/// storage (``LookalikeNames``); this is the part that needs nothing but the name.
enum DisplayNames {
    static let maxLength = 64

    static let rule = "1–64 characters without control or invisible characters"

    /// The display name trimmed of surrounding whitespace, or `nil` when it is empty, longer than
    /// 64 code points, or holds a character that is not seen: controls, formatting characters
    /// (bidi overrides, zero-width spaces), default-ignorable code points (Hangul fillers,
    /// variation selectors) and U+2800 BRAILLE PATTERN BLANK. Emoji keep the joiners and
    /// selectors they are built of, and scripts that need U+200C ZERO WIDTH NON-JOINER keep it.
    static func validated(_ raw: String) -> String? {
        let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        let scalars = Array(trimmed.unicodeScalars)
        guard (1...maxLength).contains(scalars.count), scalars.indices.allSatisfy({ isAllowed(scalars, at: $0) }) else { return nil }
        return trimmed
    }

    /// Whether the scalar at `index` may stand where it is.
    static func isAllowed(_ scalars: [Unicode.Scalar], at index: Int) -> Bool {
        let scalar = scalars[index]
        let previous = index > scalars.startIndex ? scalars[index - 1] : nil
        let next = index + 1 < scalars.endIndex ? scalars[index + 1] : nil
        switch scalar.value {
        case 0x200D:  // ZERO WIDTH JOINER inside an emoji sequence: 👩‍💻, 🏳️‍🌈
            return previous.map { isEmoji($0) || $0 == "\u{FE0F}" } == true && next.map(isEmoji) == true
        case 0xFE0F:  // the emoji presentation selector after a character that has one: ❤️, 1️⃣
            return previous?.properties.isEmoji == true
        case 0x200C:  // ZERO WIDTH NON-JOINER between letters of the scripts that use it (Persian, Indic)
            return previous.map(isNonASCIILetter) == true && next.map(isNonASCIILetter) == true
        case 0xE0020...0xE007F:  // tag characters spelling a subdivision flag after 🏴 (🏴󠁧󠁢󠁳󠁣󠁴󠁿)
            return previous.map { $0 == "\u{1F3F4}" || (0xE0020...0xE007F).contains($0.value) } == true
        case 0x2800:  // shows as a space without being one
            return false
        default:
            break
        }
        let properties = scalar.properties
        if properties.isDefaultIgnorableCodePoint { return false }
        switch properties.generalCategory {
        case .control, .format: return false
        default: return true
        }
    }

    private static func isEmoji(_ scalar: Unicode.Scalar) -> Bool {
        !scalar.isASCII && scalar.properties.isEmoji
    }

    private static func isNonASCIILetter(_ scalar: Unicode.Scalar) -> Bool {
        guard !scalar.isASCII else { return false }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .nonspacingMark, .spacingMark: return true
        default: return false
        }
    }
}

import Foundation

/// Room names: 1–80 characters of letters, digits, space and `_ - . # [ ]`, not starting or ending
/// with a space. A trailing `(N)` is reserved for voice sub-rooms, and `(` is not allowed at all.
enum RoomNames {
    static let rule = "room names are 1–80 characters of letters, digits, spaces and _ - . # [ ], without leading or trailing spaces"

    static func isValid(_ name: String) -> Bool {
        guard (1...80).contains(name.unicodeScalars.count), name.first != " ", name.last != " " else { return false }
        // "." and ".." are dot segments: browsers and HTTP clients remove them from a URL's path.
        guard name != ".", name != ".." else { return false }
        return name.unicodeScalars.allSatisfy { scalar in
            scalar.properties.isAlphabetic || scalar.properties.numericType == .decimal || " _-.#[]".unicodeScalars.contains(scalar)
        }
    }

    /// A path segment decoded (`General%20Chat` → `General Chat`), or `nil` when it is not valid UTF-8.
    static func fromPath(_ segment: String) -> String? {
        segment.removingPercentEncoding.map(normalized)
    }

    /// The canonical (NFC) spelling, so that one room name typed two ways is one room.
    static func normalized(_ name: String) -> String { name.precomposedStringWithCanonicalMapping }
}

import Foundation

/// Escaping of user-supplied values before they go into LDAP filters and DNs, so that a
/// username can only ever be a value, never syntax.
enum LDAPEscaping {
    /// A value for an assertion in a search filter (RFC 4515 §3): `*`, `(`, `)`, `\`, NUL, and
    /// every control or non-ASCII byte of the UTF-8 encoding become `\XX`.
    static func filterValue(_ value: String) -> String {
        var escaped: [UInt8] = []
        escaped.reserveCapacity(value.utf8.count)
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "*"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "\\"), 0...0x1F, 0x7F...0xFF:
                escaped += hex(byte)
            default:
                escaped.append(byte)
            }
        }
        return String(decoding: escaped, as: UTF8.self)
    }

    /// A value for one attribute of a DN's relative name (RFC 4514 §2.4): `"`, `+`, `,`, `;`,
    /// `<`, `>`, `=`, `\` anywhere, `#` and space at the start, space at the end, NUL and
    /// controls as `\XX`. Non-ASCII characters stay UTF-8, as the RFC allows.
    static func dnValue(_ value: String) -> String {
        let bytes = Array(value.utf8)
        var escaped: [UInt8] = []
        escaped.reserveCapacity(bytes.count)
        for (index, byte) in bytes.enumerated() {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "<"),
                UInt8(ascii: ">"), UInt8(ascii: "\\"), UInt8(ascii: "="):
                escaped += [UInt8(ascii: "\\"), byte]
            case UInt8(ascii: "#") where index == 0:
                escaped += [UInt8(ascii: "\\"), byte]
            case UInt8(ascii: " ") where index == 0 || index == bytes.count - 1:
                escaped += [UInt8(ascii: "\\"), byte]
            case 0...0x1F, 0x7F:
                escaped += hex(byte)
            default:
                escaped.append(byte)
            }
        }
        return String(decoding: escaped, as: UTF8.self)
    }

    /// A DN in a form fit for comparing: lowercased, without spaces around `,` and `=`.
    /// Enough for the DNs a directory hands back and administrators type into config files.
    static func normalizedDN(_ dn: String) -> String {
        var parts: [String] = []
        for rdn in dn.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = rdn.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            parts.append(pieces.joined(separator: "="))
        }
        return parts.joined(separator: ",").lowercased()
    }

    private static func hex(_ byte: UInt8) -> [UInt8] {
        let digits = Array("0123456789abcdef".utf8)
        return [UInt8(ascii: "\\"), digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]
    }
}

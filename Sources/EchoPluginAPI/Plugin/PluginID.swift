/// The three kinds of backend a host loads, as named in `plugins.json`.
public enum PluginSlot: String, CaseIterable, Hashable, Codable, Sendable, CustomStringConvertible {
    /// Persistent state: users, sessions, rooms, messages, voice reservations.
    case storage
    /// Password verification and user identity; configured as an ordered chain.
    case auth
    /// The decision which voice sub-room a user joins.
    case subrooms

    public var description: String { rawValue }
}

/// A plugin's namespaced identity, written `slot.name` (`storage.sqlite`, `auth.ldap`).
public struct PluginID: Hashable, Sendable, CustomStringConvertible {
    /// The slot the plugin fills.
    public let slot: PluginSlot
    /// The plugin's name within its slot: lowercase letters, digits and `-`.
    public let name: String

    /// Creates an identity.
    public init(slot: PluginSlot, name: String) {
        self.slot = slot
        self.name = name
    }

    public var description: String { "\(slot).\(name)" }

    /// Whether `name` is a valid plugin name: 1–40 lowercase letters, digits and inner `-`.
    public static func isValidName(_ name: String) -> Bool {
        guard (1...40).contains(name.count), name.first != "-", name.last != "-" else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }
}

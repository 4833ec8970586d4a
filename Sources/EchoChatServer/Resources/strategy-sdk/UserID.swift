/// Who holds a seat or asks for one: the host's user id, a decimal string such as `"42"`.
///
/// A `UserID` refers to the id's UTF-8 bytes where the SDK decoded them, inside the call's input,
/// so reading a snapshot creates no strings. It is valid for the call that produced it, which is
/// all a strategy needs: the host restores the module's memory before every decision, so nothing
/// carries over from one call to the next anyway.
///
/// ```swift
/// let alreadySeated = snapshot.subrooms.contains { $0.seats.contains { $0.userID == request.userID } }
/// ```
public struct UserID: Hashable, CustomStringConvertible {
    /// The id's UTF-8 bytes.
    public let utf8: UnsafeBufferPointer<UInt8>

    /// Refers to bytes that outlive the call, such as the decoded input.
    init(utf8: UnsafeBufferPointer<UInt8>) {
        self.utf8 = utf8
    }

    /// Copies `rawValue` into the module's heap, for comparing with ids from a snapshot.
    public init(_ rawValue: String) {
        self.utf8 = .copying(rawValue)
    }

    /// The id as a string.
    public var rawValue: String { utf8.string }

    /// The id as a string.
    public var description: String { rawValue }

    /// The id's number, when it is a decimal integer that fits in `Int64` (host ids always are).
    public var number: Int64? {
        guard !utf8.isEmpty, utf8.count <= 18 else { return nil }
        var value: Int64 = 0
        for byte in utf8 {
            let digit = byte &- UInt8(ascii: "0")
            guard digit <= 9 else { return nil }
            value = value * 10 + Int64(digit)
        }
        return value
    }

    /// Whether both ids have the same bytes.
    public static func == (lhs: UserID, rhs: UserID) -> Bool {
        let count = lhs.utf8.count
        guard count == rhs.utf8.count else { return false }
        if lhs.utf8.baseAddress == rhs.utf8.baseAddress { return true }
        guard let left = lhs.utf8.baseAddress, let right = rhs.utf8.baseAddress else { return count == 0 }
        for index in 0..<count where left[index] != right[index] { return false }
        return true
    }

    /// Hashes the id's bytes.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(bytes: UnsafeRawBufferPointer(utf8))
    }
}

/// Where the host writes each input: a heap block of the requested length, followed by a NUL
/// and ``Swift/StaticString/maxJSONLiteralCount`` more zero bytes, which lets ``JSONReader`` run
/// without bounds checks.
///
/// The block comes from the bump allocator in `allocator.c`. The host restores the module's
/// memory to its state after `echochat_configure` before each decision, so each decision's
/// input and everything decoded from it reuse the same heap space.
enum InputBuffer {
    /// Zero bytes after the input: the NUL plus room for a literal compare starting at it.
    static var padding: Int { StaticString.maxJSONLiteralCount + 8 }

    /// The last block handed out, to recognise it when the host passes it back.
    nonisolated(unsafe) private static var last: (start: UnsafeMutablePointer<UInt8>, count: Int)? = nil

    /// Allocates a block for `count` bytes of input, or answers `nil` when `count` is beyond any
    /// memory a module may have.
    static func reserve(_ count: Int) -> UnsafeMutablePointer<UInt8>? {
        guard count <= 0x7FFF_0000 - padding else { return nil }
        let start = UnsafeMutablePointer<UInt8>.allocate(capacity: count + padding)
        (start + count).initialize(repeating: 0, count: padding)
        last = (start, count)
        return start
    }

    /// A reader over the input at `pointer`. Input that did not come from the last ``reserve(_:)``
    /// (a host that skipped `echochat_alloc`) is first copied into a padded block.
    static func reader(_ pointer: Int32, _ length: Int32) -> JSONReader {
        if let last, Int(bitPattern: last.start) == Int(pointer), last.count == Int(length) {
            return JSONReader(start: last.start, count: last.count)
        }
        return copiedReader(pointer, length)
    }

    @inline(never)
    private static func copiedReader(_ pointer: Int32, _ length: Int32) -> JSONReader {
        let count = Int(Swift.max(length, 0))
        guard let copy = reserve(count) else { return JSONReader(start: emptyInput(), count: 0) }
        if count > 0, let source = UnsafePointer<UInt8>(bitPattern: Int(pointer)) {
            copy.update(from: source, count: count)
        }
        return JSONReader(start: copy, count: count)
    }

    private static func emptyInput() -> UnsafeMutablePointer<UInt8> {
        let start = UnsafeMutablePointer<UInt8>.allocate(capacity: padding)
        start.initialize(repeating: 0, count: padding)
        return start
    }
}

extension JSONReader {
    /// Reads a string and answers its UTF-8 bytes, escapes decoded in place. The bytes stay valid
    /// as long as the input does.
    mutating func string() throws(JSONError) -> UnsafeBufferPointer<UInt8> {
        guard byte == UInt8(ascii: "\"") else { throw .malformed }
        let start = cursor + 1
        var scan = start
        // Unrolled by four: most strings in the input are short and plain.
        while true {
            if JSONReader.endsPlainRun(scan[0]) { break }
            if JSONReader.endsPlainRun(scan[1]) { scan += 1; break }
            if JSONReader.endsPlainRun(scan[2]) { scan += 2; break }
            if JSONReader.endsPlainRun(scan[3]) { scan += 3; break }
            scan += 4
        }
        if scan.pointee == UInt8(ascii: "\"") {
            cursor = scan + 1
            return UnsafeBufferPointer(start: start, count: scan - start)
        }
        cursor = scan
        return try escapedString(from: start)
    }

    /// Continues ``string()`` at the first backslash or control character, copying decoded bytes
    /// down over the escapes.
    @inline(never)
    private mutating func escapedString(from start: UnsafeMutablePointer<UInt8>) throws(JSONError) -> UnsafeBufferPointer<UInt8> {
        var output = cursor
        while true {
            let next = byte
            if next == UInt8(ascii: "\"") { break }
            guard next == UInt8(ascii: "\\") else {
                guard next >= 0x20 else { throw .malformed }
                output.pointee = next
                output += 1
                cursor += 1
                continue
            }
            let escaped = cursor[1]
            cursor += 2
            let decoded: UInt8
            switch escaped {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded = escaped
            case UInt8(ascii: "b"): decoded = 0x08
            case UInt8(ascii: "f"): decoded = 0x0C
            case UInt8(ascii: "n"): decoded = 0x0A
            case UInt8(ascii: "r"): decoded = 0x0D
            case UInt8(ascii: "t"): decoded = 0x09
            case UInt8(ascii: "u"):
                output = write(try unicodeEscape(), to: output)
                continue
            default: throw .malformed
            }
            output.pointee = decoded
            output += 1
        }
        cursor += 1
        return UnsafeBufferPointer(start: start, count: output - start)
    }

    /// Decodes the `XXXX` of `\uXXXX` (the cursor is past the `u`), pairing surrogates; a lone
    /// surrogate becomes U+FFFD.
    private mutating func unicodeEscape() throws(JSONError) -> UInt32 {
        let first = try hexQuad()
        guard (0xD800...0xDBFF).contains(first) else {
            return (0xDC00...0xDFFF).contains(first) ? 0xFFFD : first
        }
        guard cursor[0] == UInt8(ascii: "\\"), cursor[1] == UInt8(ascii: "u") else { return 0xFFFD }
        let saved = cursor
        cursor += 2
        let second = try hexQuad()
        guard (0xDC00...0xDFFF).contains(second) else {
            cursor = saved
            return 0xFFFD
        }
        return 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
    }

    private mutating func hexQuad() throws(JSONError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            let digit = byte
            let nibble: UInt8
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = digit - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = digit - UInt8(ascii: "A") + 10
            default: throw .malformed
            }
            value = value << 4 | UInt32(nibble)
            cursor += 1
        }
        return value
    }

    /// Writes `scalar` as UTF-8 at `output`; answers the position after it.
    private func write(_ scalar: UInt32, to output: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        switch scalar {
        case 0..<0x80:
            output[0] = UInt8(scalar)
            return output + 1
        case 0x80..<0x800:
            output[0] = UInt8(0xC0 | scalar >> 6)
            output[1] = UInt8(0x80 | scalar & 0x3F)
            return output + 2
        case 0x800..<0x10000:
            output[0] = UInt8(0xE0 | scalar >> 12)
            output[1] = UInt8(0x80 | scalar >> 6 & 0x3F)
            output[2] = UInt8(0x80 | scalar & 0x3F)
            return output + 3
        default:
            output[0] = UInt8(0xF0 | scalar >> 18)
            output[1] = UInt8(0x80 | scalar >> 12 & 0x3F)
            output[2] = UInt8(0x80 | scalar >> 6 & 0x3F)
            output[3] = UInt8(0x80 | scalar & 0x3F)
            return output + 4
        }
    }

    /// Reads `true` or `false`.
    mutating func bool() throws(JSONError) -> Bool {
        if take("false") { return false }
        if take("true") { return true }
        throw .malformed
    }

    /// Consumes `null` if it is next.
    mutating func takeNull() -> Bool {
        take("null")
    }

    /// Skips one value of any kind, checking its syntax; `depth` counts the enclosing containers.
    mutating func skipValue(depth: Int = 0) throws(JSONError) {
        switch byte {
        case UInt8(ascii: "\""):
            _ = try string()
        case UInt8(ascii: "{"):
            guard depth < JSONReader.maxDepth else { throw .malformed }
            guard try beginObject() else { return }
            repeat {
                _ = try string()
                try expect(UInt8(ascii: ":"))
                skipWhitespace()
                try skipValue(depth: depth + 1)
            } while try nextMember()
        case UInt8(ascii: "["):
            guard depth < JSONReader.maxDepth else { throw .malformed }
            guard try beginArray() else { return }
            repeat {
                try skipValue(depth: depth + 1)
            } while try nextElement()
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            _ = try bool()
        case UInt8(ascii: "n"):
            guard takeNull() else { throw .malformed }
        default:
            _ = try number()
        }
    }
}

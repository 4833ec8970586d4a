import HTTPTypes

/// The token of an `Authorization: Bearer <token>` header, for HTTP routes and WebSocket upgrades alike.
enum BearerToken {
    static func parse(_ fields: HTTPFields) -> String? {
        guard let header = fields[.authorization] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].utf8.count == 6, parts[0].lowercased() == "bearer" else { return nil }
        // Tokens never contain spaces; trim what a client may have added around it.
        var token = parts[1]
        while let first = token.first, first == " " || first == "\t" { token = token.dropFirst() }
        while let last = token.last, last == " " || last == "\t" { token = token.dropLast() }
        return String(token)
    }
}

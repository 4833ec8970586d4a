extension String {
    /// The text without slashes at its end: `https://chat.example.com/` → `https://chat.example.com`.
    var trimmingTrailingSlashes: String {
        var text = self
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }
}

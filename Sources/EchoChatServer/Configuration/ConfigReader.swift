import EchoPluginAPI

/// Reads typed values out of a JSON object and remembers which keys it read and what was wrong.
struct ConfigReader {
    let members: [String: ConfigValue]
    let file: String
    var issues: [ConfigIssue] = []
    private var seen: Set<String> = []

    init(members: [String: ConfigValue], file: String) {
        self.members = members
        self.file = file
    }

    mutating func read<T: Decodable>(_ key: String, into target: inout T, check: (T) -> String?) {
        var value: T? = target
        readOptional(key, into: &value, check: check)
        if let value { target = value }
    }

    mutating func readOptional<T: Decodable>(_ key: String, into target: inout T?, check: (T) -> String?) {
        seen.insert(key)
        guard let raw = members[key], raw != .null else { return }
        do {
            let value = try ConfigDecoder().decode(T.self, from: raw)
            if let problem = check(value) {
                issues.append(ConfigIssue(file: file, keyPath: [key], message: problem))
            } else {
                target = value
            }
        } catch let error as ConfigurationError {
            issues += error.issues.map { $0.located(file: file, under: [key]) }
        } catch {
            issues.append(ConfigIssue(file: file, keyPath: [key], message: "\(error)"))
        }
    }

    mutating func readRateLimit(_ key: String, into target: inout RateLimitRule?) {
        var text: String?
        readOptional(key, into: &text) { _ in nil }
        guard let text else { return }
        do {
            target = try RateLimitRule.parse(text)
        } catch let issue as ConfigIssue {
            issues.append(issue.located(file: file, under: [key]))
        } catch {
            issues.append(ConfigIssue(file: file, keyPath: [key], message: "\(error)"))
        }
    }

    func unknownKeys() -> [String] { members.keys.filter { !seen.contains($0) }.sorted() }
}

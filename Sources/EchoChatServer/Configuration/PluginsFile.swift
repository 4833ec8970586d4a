import EchoPluginAPI

/// One plugin chosen in `plugins.json`: its slot, name and undecoded `config`.
struct PluginSelection: Sendable {
    var slot: PluginSlot
    var name: String
    var config: ConfigValue
    /// Where it stands in the file (`["auth", "[0]"]`), for error messages.
    var keyPath: [String]

    var id: PluginID { PluginID(slot: slot, name: name) }
}

/// The parsed `plugins.json`: which plugin fills each slot.
struct PluginsFile: Sendable {
    var storage = PluginSelection(slot: .storage, name: "sqlite", config: .null, keyPath: ["storage"])
    var auth = [PluginSelection(slot: .auth, name: "local", config: .null, keyPath: ["auth", "[0]"])]
    var subrooms = PluginSelection(slot: .subrooms, name: "capacity", config: .null, keyPath: ["subrooms"])
    /// A second strategy asked beside `subrooms` on every decision, whose answers are only
    /// compared (`subrooms_shadow`).
    var shadow: PluginSelection?

    /// The top-level key of the shadow strategy.
    static let shadowKey = "subrooms_shadow"

    var all: [PluginSelection] { [storage] + auth + [subrooms] + (shadow.map { [$0] } ?? []) }

    /// Reads the file's top-level object strictly: unknown keys are errors here, since a typo
    /// would silently swap a backend for the default.
    static func load(_ object: [String: ConfigValue], file: String) -> (PluginsFile, [ConfigIssue]) {
        var result = PluginsFile()
        var issues: [ConfigIssue] = []
        for key in object.keys.sorted() where PluginSlot(rawValue: key) == nil && key != shadowKey {
            issues.append(ConfigIssue(file: file, keyPath: [key], message: "unknown key; the slots are storage, auth, subrooms and \(shadowKey)"))
        }
        if let value = object["storage"] {
            if let selection = selection(value, slot: .storage, keyPath: ["storage"], file: file, issues: &issues) {
                result.storage = selection
            }
        }
        if let value = object["subrooms"] {
            if let selection = selection(value, slot: .subrooms, keyPath: ["subrooms"], file: file, issues: &issues) {
                result.subrooms = selection
            }
        }
        if let value = object[shadowKey], value != .null {
            result.shadow = selection(value, slot: .subrooms, keyPath: [shadowKey], file: file, issues: &issues)
        }
        switch object["auth"] {
        case nil:
            break
        case .array(let entries)?:
            if entries.isEmpty {
                issues.append(ConfigIssue(file: file, keyPath: ["auth"], message: "must list at least one auth plugin"))
            }
            result.auth = entries.enumerated().compactMap { index, entry in
                selection(entry, slot: .auth, keyPath: ["auth", "[\(index)]"], file: file, issues: &issues)
            }
            var seen: Set<String> = []
            for selection in result.auth where !seen.insert(selection.name).inserted {
                issues.append(
                    ConfigIssue(file: file, keyPath: selection.keyPath + ["plugin"], message: "auth.\(selection.name) appears twice in the chain"))
            }
        case .object?:
            if let selection = selection(object["auth"]!, slot: .auth, keyPath: ["auth"], file: file, issues: &issues) {
                result.auth = [selection]
            }
        case let other?:
            issues.append(ConfigIssue(file: file, keyPath: ["auth"], message: "expected an array of plugins, found \(other.typeDescription)"))
        }
        return (result, issues)
    }

    private static func selection(
        _ value: ConfigValue, slot: PluginSlot, keyPath: [String], file: String, issues: inout [ConfigIssue]
    ) -> PluginSelection? {
        guard case .object(let members) = value else {
            issues.append(
                ConfigIssue(file: file, keyPath: keyPath, message: "expected an object like {\"plugin\": \"name\", \"config\": {...}}, found \(value.typeDescription)"))
            return nil
        }
        for key in members.keys.sorted() where key != "plugin" && key != "config" {
            issues.append(ConfigIssue(file: file, keyPath: keyPath + [key], message: "unknown key; expected \"plugin\" and \"config\""))
        }
        guard case .string(let name)? = members["plugin"] else {
            let found = members["plugin"].map { "found \($0.typeDescription)" } ?? "it is missing"
            issues.append(ConfigIssue(file: file, keyPath: keyPath + ["plugin"], message: "expected the plugin's name as a string; \(found)"))
            return nil
        }
        let config = members["config"] ?? .null
        switch config {
        case .null, .object: break
        default:
            issues.append(
                ConfigIssue(file: file, plugin: PluginID(slot: slot, name: name), keyPath: keyPath + ["config"],
                    message: "expected an object, found \(config.typeDescription)"))
            return nil
        }
        return PluginSelection(slot: slot, name: name, config: config, keyPath: keyPath)
    }
}

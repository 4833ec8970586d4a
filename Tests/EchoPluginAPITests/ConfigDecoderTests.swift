import EchoPluginAPI
import Foundation
import Testing

private struct Pool: Decodable, Equatable {
    var poolSize: Int
    var ldapURL: String?
    var tags: [String]
    var weights: [String: Double]
    var nested: Inner?

    struct Inner: Decodable, Equatable {
        var enabled: Bool
    }
}

private func value(_ json: String) throws -> ConfigValue {
    try JSONDecoder().decode(ConfigValue.self, from: Data(json.utf8))
}

@Suite("ConfigDecoder")
struct ConfigDecoderTests {
    @Test("snake_case keys map to Swift properties, dictionaries keep their keys")
    func snakeCase() throws {
        let decoded = try ConfigDecoder().decode(
            Pool.self,
            from: value(#"{"pool_size": 4, "ldap_url": "ldap://x", "tags": ["a"], "weights": {"screen_share": 4, "camera": 3.5}, "nested": {"enabled": true}}"#))
        #expect(decoded == Pool(poolSize: 4, ldapURL: "ldap://x", tags: ["a"], weights: ["screen_share": 4, "camera": 3.5], nested: .init(enabled: true)))
    }

    @Test("unknown keys are reported with their full path, at every depth")
    func unknownKeys() throws {
        do {
            _ = try ConfigDecoder().decode(
                Pool.self, from: value(#"{"pool_size": 1, "tags": [], "weights": {}, "pool_sise": 2, "nested": {"enabled": true, "enabeld": false}}"#))
            Issue.record("unknown keys were accepted")
        } catch let error as ConfigurationError {
            #expect(error.issues.map(\.keyPathDescription).sorted() == ["nested.enabeld", "pool_sise"])
            #expect(error.issues.allSatisfy { $0.message == "unknown key" })
        }
    }

    @Test("wrong types name the key and what was expected", arguments: [
        (#"{"pool_size": "4", "tags": [], "weights": {}}"#, "pool_size", "expected an integer, found a string"),
        (#"{"pool_size": 4.5, "tags": [], "weights": {}}"#, "pool_size", "expected an integer, found a number"),
        (#"{"pool_size": 4, "tags": [1], "weights": {}}"#, "tags[0]", "expected a string, found an integer"),
        (#"{"pool_size": 4, "tags": [], "weights": {"camera": "x"}}"#, "weights.camera", "expected a number, found a string"),
        (#"{"pool_size": 4, "tags": [], "weights": {}, "nested": {"enabled": 1}}"#, "nested.enabled", "expected a boolean (true or false), found an integer"),
        (#"{"tags": [], "weights": {}}"#, "pool_size", "required key is missing"),
        (#"{"pool_size": 4, "tags": {}, "weights": {}}"#, "tags", "expected an array, found an object"),
    ])
    func typeMismatch(json: String, path: String, message: String) throws {
        do {
            _ = try ConfigDecoder().decode(Pool.self, from: value(json))
            Issue.record("accepted \(json)")
        } catch let error as ConfigurationError {
            #expect(error.issues.count == 1)
            #expect(error.issues.first?.keyPathDescription == path)
            #expect(error.issues.first?.message == message)
        }
    }

    @Test("a ConfigValue property takes its whole subtree, with no unknown keys inside")
    func rawSubtree() throws {
        struct Wrapper: Decodable { var extra: ConfigValue }
        let decoded = try ConfigDecoder().decode(Wrapper.self, from: value(#"{"extra": {"anything": [1, {"b": null}]}}"#))
        #expect(decoded.extra.objectValue?["anything"] != nil)
    }

    @Test("the empty configuration refuses any key")
    func emptyConfiguration() throws {
        #expect(throws: ConfigurationError.self) { try ConfigDecoder().decode(EmptyPluginConfiguration.self, from: value(#"{"x": 1}"#)) }
        _ = try ConfigDecoder().decode(EmptyPluginConfiguration.self, from: value("{}"))
    }

    @Test("integers out of range are refused")
    func outOfRange() throws {
        struct Port: Decodable { var port: UInt16 }
        #expect(throws: ConfigurationError.self) { try ConfigDecoder().decode(Port.self, from: value(#"{"port": 70000}"#)) }
    }

    @Test("issues print as file: key (plugin): message")
    func issueDescription() {
        let issue = ConfigIssue(key: "capacity", "must be at least 1")
            .located(file: "plugins.json", plugin: PluginID(slot: .subrooms, name: "capacity"), under: ["subrooms", "config"])
        #expect(issue.description == "plugins.json: subrooms.config.capacity (subrooms.capacity): must be at least 1")
        let indexed = ConfigIssue(keyPath: ["auth", "[1]", "plugin"], message: "x")
        #expect(indexed.keyPathDescription == "auth[1].plugin")
    }
}

@Suite("Plugin identity and versions")
struct PluginIdentityTests {
    @Test("a host loads plugins of its major version and an equal or older minor", arguments: [
        (PluginAPIVersion(1, 0), PluginAPIVersion(1, 0), true),
        (PluginAPIVersion(1, 3), PluginAPIVersion(1, 2), true),
        (PluginAPIVersion(1, 2), PluginAPIVersion(1, 3), false),
        (PluginAPIVersion(1, 0), PluginAPIVersion(2, 0), false),
        (PluginAPIVersion(2, 0), PluginAPIVersion(1, 9), false),
    ])
    func compatibility(host: PluginAPIVersion, plugin: PluginAPIVersion, loads: Bool) {
        #expect(host.canLoad(pluginWrittenFor: plugin) == loads)
    }

    @Test("plugin names", arguments: [("sqlite", true), ("load-weighted", true), ("LDAP", false), ("-x", false), ("", false), ("a b", false)])
    func names(name: String, valid: Bool) {
        #expect(PluginID.isValidName(name) == valid)
    }

    @Test("identities print as slot.name")
    func identity() {
        #expect(PluginID(slot: .storage, name: "sqlite").description == "storage.sqlite")
    }
}

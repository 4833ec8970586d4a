import Crypto
import EchoPluginAPI
import Foundation
import WasmKit
import WasmParser

/// A strategy module read from disk and checked before anything of it runs: at most 4 MiB,
/// WebAssembly, no imports, the ABI's exports with their types, and a memory within the cap.
/// Each problem is a ``ConfigIssue`` naming the file and the key, like every configuration error.
struct StrategyModuleImage: Sendable {
    let path: String
    let module: Module
    /// Hex SHA-256 of the file's bytes.
    let digest: String
    /// The file's name, for logs and metrics labels.
    var name: String { (path as NSString).lastPathComponent }

    /// The functions a module must export, and their types.
    static let requiredFunctions: [(String, FunctionType)] = [
        ("echochat_abi_version", FunctionType(parameters: [], results: [.i32])),
        ("echochat_alloc", FunctionType(parameters: [.i32], results: [.i32])),
        ("echochat_decide", FunctionType(parameters: [.i32, .i32], results: [.i32])),
    ]
    /// The functions a module may export, and their types.
    static let optionalFunctions: [(String, FunctionType)] = [
        ("echochat_configure", FunctionType(parameters: [.i32, .i32], results: [.i32])),
        ("echochat_max_participants", FunctionType(parameters: [], results: [.i32])),
        ("echochat_message", FunctionType(parameters: [], results: [.i64])),
    ]

    /// Reads and checks the module at `path` against a cap of `maxPages` pages of memory.
    static func load(_ path: String, maxPages: Int) throws -> StrategyModuleImage {
        let bytes = try read(path)
        guard bytes.starts(with: [0x00, 0x61, 0x73, 0x6D]) else {
            throw issue(path, "is not a WebAssembly module (it does not start with \\0asm)")
        }
        let module: Module
        do {
            module = try parseWasm(bytes: bytes)
        } catch {
            throw issue(path, "is not a valid WebAssembly module: \(error)")
        }
        if let first = module.imports.first {
            let more = module.imports.count > 1 ? " (and \(module.imports.count - 1) more)" : ""
            throw issue(path, "imports \(first.module).\(first.name)\(more); a strategy module must import nothing")
        }
        try checkMemory(bytes, path: path, maxPages: maxPages)
        let exported = Set(module.exports.map(\.name))
        guard module.exports.contains(where: { $0.name == "memory" && $0.descriptor.isMemory }) else {
            throw issue(path, "does not export its memory as \"memory\"")
        }
        for (name, _) in requiredFunctions where !exported.contains(name) {
            throw issue(path, "does not export \(name), which every strategy module must (ABI version 1)")
        }
        let digest = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        return StrategyModuleImage(path: path, module: module, digest: digest)
    }

    private static func read(_ path: String) throws -> [UInt8] {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw issue(path, "cannot be read: no such file")
        }
        if let size = attributes[.size] as? Int, size > WasmStrategy.Configuration.maxModuleBytes {
            throw issue(path, "is \(size) bytes; a strategy module may be at most 4 MiB")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw issue(path, "cannot be read (not readable by the server's account)")
        }
        guard data.count <= WasmStrategy.Configuration.maxModuleBytes else {
            throw issue(path, "is \(data.count) bytes; a strategy module may be at most 4 MiB")
        }
        return [UInt8](data)
    }

    /// The declared memories: one at most, starting within the cap and declaring no maximum
    /// above it (a module without a maximum is held to the cap at run time).
    private static func checkMemory(_ bytes: [UInt8], path: String, maxPages: Int) throws {
        var parser = WasmParser.Parser(bytes: bytes)
        var memories: [MemoryType] = []
        do {
            while let payload = try parser.parseNext() {
                if case .memorySection(let declared) = payload {
                    memories += declared.map(\.type)
                }
            }
        } catch {
            throw issue(path, "is not a valid WebAssembly module: \(error)")
        }
        guard memories.count == 1, let memory = memories.first else {
            throw issue(path, memories.isEmpty ? "declares no memory" : "declares \(memories.count) memories; a strategy module has one")
        }
        if memory.isMemory64 || memory.shared {
            throw issue(path, "declares a \(memory.shared ? "shared" : "64-bit") memory; a strategy module has one plain 32-bit memory")
        }
        if memory.min > UInt64(maxPages) {
            throw ConfigIssue(
                keyPath: ["max_memory_pages"], message: "is \(maxPages) pages, but \(path) starts with \(memory.min) pages of memory")
        }
        if let max = memory.max, max > UInt64(maxPages) {
            throw ConfigIssue(
                keyPath: ["max_memory_pages"], message: "is \(maxPages) pages, but \(path) declares up to \(max) pages of memory")
        }
    }

    static func issue(_ path: String, _ message: String) -> ConfigIssue {
        ConfigIssue(key: "module", "\(path) \(message)")
    }
}

extension ExportDescriptor {
    var isMemory: Bool {
        if case .memory = self { return true }
        return false
    }
}

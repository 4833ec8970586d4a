import ArgumentParser
import Foundation

/// `echochat strategy build FILE.swift [-o OUT.wasm]`: compiles one strategy file with the SDK
/// that ships with `echochat`, using Embedded Swift for `wasm32-unknown-none-wasm` and the
/// toolchain's own clang and wasm-ld. Needs nothing but `swiftc` on the PATH.
struct StrategyBuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build", abstract: "Compile a strategy written with the Swift SDK into a WebAssembly module.",
        discussion: """
            FILE.swift declares a type conforming to WasmStrategy and names it with `typealias ExportedStrategy = ThatType`. \
            The SDK's sources ship with echochat; swiftc (Swift 6.2 or newer, with Embedded Swift) must be on the PATH, and \
            its toolchain's clang and wasm-ld are used beside it.
            """)

    @Argument(help: "The strategy's Swift file.") var file: String
    @Option(name: .shortAndLong, help: "The module to write (default: FILE with .wasm, in the current folder).") var output: String?

    func run() async throws {
        guard FileManager.default.fileExists(atPath: file) else { throw ValidationError("\(file) does not exist") }
        let toolchain = try Toolchain.locate()
        guard let resources = WebAssets.bundledResources() else {
            throw ValidationError("the strategy SDK is missing: echochat's resources (strategy-sdk/) are not beside the executable")
        }
        let sdk = (resources as NSString).appendingPathComponent("strategy-sdk")
        let target = output ?? ((file as NSString).lastPathComponent as NSString).deletingPathExtension + ".wasm"
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("echochat-strategy-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }

        let files = try FileManager.default.contentsOfDirectory(atPath: sdk).sorted()
        let swiftSources = files.filter { $0.hasSuffix(".swift") }.map { "\(sdk)/\($0)" } + [file]
        let cSources = files.filter { $0.hasSuffix(".c") }.map { "\(sdk)/\($0)" }
        let strategyObject = "\(scratch)/strategy.o"
        try toolchain.run(
            toolchain.swiftc,
            ["-target", "wasm32-unknown-none-wasm", "-enable-experimental-feature", "Embedded", "-wmo", "-O", "-parse-as-library",
                "-module-name", "Strategy", "-Xfrontend", "-disable-stack-protector"]
                + swiftSources + ["-c", "-o", strategyObject],
            step: "compiling \(file)")
        var objects = [strategyObject]
        for source in cSources {
            let object = "\(scratch)/\(((source as NSString).lastPathComponent as NSString).deletingPathExtension).o"
            try toolchain.run(toolchain.clang, ["--target=wasm32", "-O2", "-nostdlib", "-ffreestanding", "-c", source, "-o", object], step: "compiling the SDK's \(source)")
            objects.append(object)
        }
        // The SDK exports the ABI's functions by name (@_expose(wasm)); the stack comes first, so
        // that overflowing it traps instead of overwriting data. No maximum memory is declared:
        // the server holds a module to its max_memory_pages.
        try toolchain.run(
            toolchain.wasmLD,
            ["--no-entry", "--gc-sections", "--strip-all", "--stack-first", "-z", "stack-size=65536"] + objects
                + [toolchain.unicodeTables, "-o", target],
            step: "linking \(target)")
        let size = (try? FileManager.default.attributesOfItem(atPath: target)[.size] as? Int) ?? 0
        CLIOutput.print("built \(target) (\(size) bytes)")
    }
}

/// The Swift toolchain found through `swiftc` on the PATH, with the clang and wasm-ld beside it.
struct Toolchain {
    let swiftc: String
    let clang: String
    let wasmLD: String
    /// Embedded Swift's Unicode tables, which `String` comparisons need; linked only when used.
    let unicodeTables: String

    static func locate(path: String = ProcessInfo.processInfo.environment["PATH"] ?? "") throws -> Toolchain {
        let candidates = path.split(separator: ":").map { "\($0)/swiftc" }
        guard let found = candidates.first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw ValidationError(
                "echochat strategy build needs swiftc on the PATH: install a Swift toolchain (6.2 or newer, from swift.org) and put its bin/ on the PATH")
        }
        // Run as found (the driver goes by the name it is called with); look beside where it lives.
        let swiftc = found
        let bin = (URL(fileURLWithPath: found).resolvingSymlinksInPath().path as NSString).deletingLastPathComponent
        let embedded = ((bin as NSString).deletingLastPathComponent as NSString).appendingPathComponent("lib/swift/embedded/wasm32-unknown-none-wasm")
        let toolchain = Toolchain(
            swiftc: swiftc, clang: "\(bin)/clang", wasmLD: "\(bin)/wasm-ld", unicodeTables: "\(embedded)/libswiftUnicodeDataTables.a")
        for tool in [toolchain.clang, toolchain.wasmLD] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw ValidationError("\(tool) is missing: the Swift toolchain of \(swiftc) has no \((tool as NSString).lastPathComponent)")
        }
        guard FileManager.default.fileExists(atPath: toolchain.unicodeTables) else {
            throw ValidationError("the Swift toolchain of \(swiftc) has no Embedded Swift for wasm32 (\(embedded)); Swift 6.2 or newer has it")
        }
        return toolchain
    }

    /// Runs `tool`; its output is printed when it fails.
    func run(_ tool: String, _ arguments: [String], step: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            CLIOutput.error("\(step) failed:\n\(String(decoding: text, as: UTF8.self))")
            throw ExitCode(1)
        }
    }
}

import Crypto
import Foundation
import Hummingbird

/// The browser client's files, read once at start-up and served from memory.
///
/// They ship in the executable's resource bundle (`EchoChat_EchoChatServer.resources/Resources/web`, beside the
/// binary after `swift build`); `web_root` in server_config.json points at another folder instead.
struct WebAssets: Sendable {
    struct Asset: Sendable {
        let body: ByteBuffer
        let contentType: String
        /// A strong validator: the first 16 bytes of the content's SHA-256.
        let etag: String
    }

    /// By URL path: `/index.html`, `/app/chat.js`, …
    let assets: [String: Asset]
    let folder: String

    /// The most the client's files may weigh together: a typo in `web_root` must not read a disk into memory.
    static let maxTotalBytes = 16 * 1024 * 1024

    /// Reads every regular file below `folder` (dot-files skipped).
    init(folder: String) throws {
        let root = URL(fileURLWithPath: folder, isDirectory: true).standardizedFileURL
        guard let walker = FileManager.default.enumerator(
            at: root, includingPropertiesForKeys: [.isRegularFileKey, .fileSizeKey], options: [.skipsHiddenFiles])
        else {
            throw SetupError("cannot read the web client folder \(folder)")
        }
        var assets: [String: Asset] = [:]
        var total = 0
        for case let url as URL in walker {
            guard try url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true else { continue }
            let data = try Data(contentsOf: url)
            total += data.count
            guard total <= Self.maxTotalBytes else {
                throw SetupError("the web client folder \(folder) holds more than \(Self.maxTotalBytes / 1_048_576) MiB")
            }
            let relative = url.standardizedFileURL.path.dropFirst(root.path.count).drop { $0 == "/" }
            let digest = SHA256.hash(data: data).prefix(16).map { String(format: "%02x", $0) }.joined()
            assets["/" + relative] = Asset(body: ByteBuffer(bytes: data), contentType: Self.contentType(of: url.pathExtension), etag: "\"\(digest)\"")
        }
        guard assets["/index.html"] != nil else { throw SetupError("the web client folder \(folder) has no index.html") }
        self.assets = assets
        self.folder = folder
    }

    static func contentType(of fileExtension: String) -> String {
        switch fileExtension.lowercased() {
        case "html": "text/html; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "js", "mjs": "text/javascript; charset=utf-8"
        case "json", "webmanifest": "application/json; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "ico": "image/x-icon"
        case "txt": "text/plain; charset=utf-8"
        default: "application/octet-stream"
        }
    }

    /// The folder of bundled resources (`web/`, `openapi.json`): `EchoChat_EchoChatServer.resources/Resources`
    /// beside the executable (in a custom build, the bundle may carry another package's name), or
    /// `share/echochat` beside its `bin` folder for installs that follow the usual layout.
    static func bundledResources() -> String? {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let folder = executable.deletingLastPathComponent()
        let bundles = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasSuffix("_EchoChatServer.resources") }.sorted()
        let candidates = [
            folder.appendingPathComponent("EchoChat_EchoChatServer.resources/Resources")
        ] + bundles.map { folder.appendingPathComponent($0).appendingPathComponent("Resources") } + [
            folder.deletingLastPathComponent().appendingPathComponent("share/echochat"),
            Bundle.main.bundleURL.appendingPathComponent("EchoChat_EchoChatServer.resources/Resources"),
        ]
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("web/index.html").path) }?.path
    }
}

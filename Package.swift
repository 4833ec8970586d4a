// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "EchoChat",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "EchoPluginAPI", targets: ["EchoPluginAPI"]),
        .library(name: "EchoPluginTesting", targets: ["EchoPluginTesting"]),
        // The server as a library: a package of its own builds an `echochat` with more plugins.
        .library(name: "EchoChatServer", targets: ["EchoChatServer"]),
        .library(name: "EchoBuiltinPlugins", targets: ["EchoBuiltinPlugins"]),
        .executable(name: "echochat", targets: ["EchoChatMain"]),
        .executable(name: "echochat-bench", targets: ["EchoBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swiftwasm/WasmKit", from: "0.4.2"),
    ],
    targets: [
        // The stable plugin API: protocols and value types only, no server framework.
        .target(
            name: "EchoPluginAPI",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // Built-in plugins: each imports EchoPluginAPI and its own driver only.
        .target(
            name: "EchoSQLiteStorage",
            dependencies: [
                "EchoPluginAPI",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Sources/Plugins/SQLiteStorage",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "EchoPostgresStorage",
            dependencies: [
                "EchoPluginAPI",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Plugins/PostgresStorage",
            swiftSettings: swiftSettings
        ),
        .systemLibrary(
            name: "CArgon2",
            path: "Sources/Plugins/CArgon2",
            pkgConfig: "libargon2",
            providers: [.apt(["libargon2-dev"])]
        ),
        .target(
            name: "EchoLocalAuth",
            dependencies: ["EchoPluginAPI", "CArgon2"],
            path: "Sources/Plugins/LocalAuth",
            swiftSettings: swiftSettings
        ),
        .systemLibrary(
            name: "CLDAP",
            path: "Sources/Plugins/CLDAP",
            providers: [.apt(["libldap2-dev"])]
        ),
        .target(
            name: "EchoLDAPAuth",
            dependencies: [
                "EchoPluginAPI",
                "CLDAP",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Plugins/LDAPAuth",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "EchoSubroomStrategies",
            dependencies: ["EchoPluginAPI"],
            path: "Sources/Plugins/SubroomStrategies",
            swiftSettings: swiftSettings
        ),
        // Sub-room strategies from outside developers: WebAssembly modules run sandboxed by WasmKit.
        .target(
            name: "EchoWasmStrategy",
            dependencies: [
                "EchoPluginAPI",
                "EchoSubroomStrategies",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "WasmKit", package: "WasmKit"),
                .product(name: "WasmParser", package: "WasmKit"),
            ],
            path: "Sources/Plugins/WasmStrategy",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "EchoBuiltinPlugins",
            dependencies: [
                "EchoPluginAPI", "EchoSQLiteStorage", "EchoPostgresStorage", "EchoLocalAuth", "EchoLDAPAuth", "EchoSubroomStrategies",
                "EchoWasmStrategy",
            ],
            path: "Sources/Plugins/Builtin",
            swiftSettings: swiftSettings
        ),

        // Conformance checks and test helpers for plugin authors.
        .target(
            name: "EchoPluginTesting",
            dependencies: [
                "EchoPluginAPI",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // The system's ICU, for UTS #39 confusable skeletons. Swift code never imports CICU: its
        // C types clash with those of Foundation's own ICU (_FoundationICU), so CConfusables wraps
        // it behind a header of its own.
        .systemLibrary(
            name: "CICU",
            path: "Sources/CICU",
            pkgConfig: "icu-i18n",
            providers: [.apt(["libicu-dev"])]
        ),
        .target(
            name: "CConfusables",
            dependencies: ["CICU"],
            path: "Sources/CConfusables"
        ),

        // The host: configuration, plugin loading, HTTP API, CLI, entered with a plugin registry.
        .target(
            name: "EchoChatServer",
            dependencies: [
                "EchoPluginAPI",
                "EchoBuiltinPlugins",
                "EchoPluginTesting",
                "CConfusables",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            // The browser client (web/) and the OpenAPI document, copied beside the executable.
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
        // The `echochat` executable: the host with the built-in plugins.
        .executableTarget(
            name: "EchoChatMain",
            dependencies: ["EchoChatServer", "EchoBuiltinPlugins"],
            swiftSettings: swiftSettings
        ),

        // `echochat-bench`: the chat path under load, against a release `echochat`.
        .executableTarget(
            name: "EchoBench",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        .testTarget(
            name: "EchoPluginAPITests",
            dependencies: ["EchoPluginAPI"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EchoSQLiteStorageTests",
            dependencies: ["EchoSQLiteStorage", "EchoPluginAPI", "EchoPluginTesting"],
            swiftSettings: swiftSettings
        ),
        // Throwaway PostgreSQL servers for the tests.
        .target(
            name: "EchoTestSupport",
            dependencies: [],
            path: "Tests/Support/EchoTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EchoPostgresStorageTests",
            dependencies: ["EchoPostgresStorage", "EchoPluginAPI", "EchoPluginTesting", "EchoTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EchoLocalAuthTests",
            dependencies: ["EchoLocalAuth", "EchoSQLiteStorage", "EchoPluginAPI", "EchoPluginTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EchoLDAPAuthTests",
            dependencies: ["EchoLDAPAuth", "EchoPluginAPI", "EchoPluginTesting", "EchoTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EchoSubroomStrategiesTests",
            dependencies: ["EchoSubroomStrategies", "EchoPluginAPI", "EchoPluginTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EchoHostTests",
            dependencies: [
                "EchoChatServer",
                "EchoChatMain",
                "EchoPluginAPI",
                "EchoPluginTesting",
                "EchoSQLiteStorage",
                "EchoSubroomStrategies",
                "EchoTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)

// swift-tools-version:6.2
import PackageDescription

// An `echochat` built with two plugins of its own beside the built-in ones, the way a site adds
// a storage, auth or strategy plugin without forking EchoChat. Build with
// `swift build -c release`; the program is .build/release/echochat-custom.
let package = Package(
    name: "EchoChatCustomBuild",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "echochat-custom", targets: ["EchoChatCustom"])
    ],
    dependencies: [
        // A release would name EchoChat's repository and a version instead of a path.
        .package(name: "EchoChat", path: "../..")
    ],
    targets: [
        .target(
            name: "ExtraPlugins",
            dependencies: [.product(name: "EchoPluginAPI", package: "EchoChat")],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
        .executableTarget(
            name: "EchoChatCustom",
            dependencies: [
                "ExtraPlugins",
                .product(name: "EchoChatServer", package: "EchoChat"),
                .product(name: "EchoBuiltinPlugins", package: "EchoChat"),
                .product(name: "EchoPluginAPI", package: "EchoChat"),
            ]
        ),
    ]
)
